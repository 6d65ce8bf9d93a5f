#pragma once
// Complaints, service agreements and proactive maintenance (issue 9), built on the same
// tickets, timers, outbox and templates as the workflow (bot/workflow.hpp):
//
//  - complaints: tickets of type `complaint` with a target and reason (ticket attributes),
//    their own response SLA (rules complaints.respond_minutes), routed to supervisors (never to
//    the engineer they are about), and a follow-up visit message (回访) after closing whose
//    answer is recorded on the ticket;
//  - agreements (agreements_file): the covering agreement is recorded on the ticket, its SLA
//    overrides the rules', the service report prices parts as covered / charged, and visit
//    plans create proactive tickets ahead of time that wait for a supervisor's confirmation
//    (下达) before the customer is contacted;
//  - maintenance: products with maintenance_cycle_days get a reminder before each cycle falls
//    due; "需要" opens a maintenance ticket, "不需要" waits for the next cycle.
//
// Every function runs inside a store write unit, like the workflow's operations.
// Timer kinds: complaint_follow_up, visit_plan, visit_unconfirmed, maintenance_remind.

#include "bot/app.hpp"
#include "bot/workflow.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace channels {
struct inbound_message;
}
namespace dialogs {
struct ticket_draft;
}

namespace bot::programs {

// Before a ticket is inserted: complaint attributes and the requested date from the draft (may
// be null), the covering agreement, and the SLA deadlines that follow from both (replacing the
// rules' ones).
void classify(const app& a, store::ticket_record& t, const dialogs::ticket_draft* draft, std::int64_t now);

// After workflow::on_ticket_created: a product with a maintenance cycle gets its reminder.
void after_created(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now);
// After a resolution: a maintenance ticket restarts its product's cycle from today.
void after_resolved(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now);
// After a ticket closed (every path): a complaint gets its follow-up visit.
void after_closed(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now);

// Fires a timer of one of this file's kinds; nullopt when the kind is not ours, else whether
// it still applied.
std::optional<bool> fire(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now);

// A customer message answering a maintenance reminder ("需要" / "不需要") or a complaint
// follow-up; nullopt lets the survey and the dialog have it.
std::optional<workflow::survey_answer> take_reply(store::transaction& tx, const app& a,
                                                  const store::customer_record& customer,
                                                  const channels::inbound_message& message, std::int64_t now);

// At start: every agreement visit plan has its next visit_plan timer (idempotent).
void ensure_visit_timers(store::transaction& tx, const app& a, std::int64_t now);

// POST /tickets/{n}/confirm (supervisor): releases a planned visit ("下达"): the customer is
// told, SLA timers start and the ticket is assigned by rule.
workflow::result confirm_visit(store::transaction& tx, const app& a, const std::string& number,
                               const staff_member& who, std::int64_t now);

// Template parameters for the service report's parts, priced by the ticket's agreement:
// "减震器(协议内免费)、滤芯(收费,9折)" and a JSON array of {part, covered, discount_percent}.
struct priced_parts {
  std::string text;
  std::string json;
};
priced_parts price_report_parts(const app& a, const store::ticket_record& t, const std::vector<std::string>& parts);

// The agreement with this id, or null; like workflow::find_staff it points into a.files().
const agreement* find_agreement(const app& a, const std::string& id);

}  // namespace bot::programs
