#pragma once
// The ticket workflow (product.md "Lifecycle", "Service levels", "Assignment rules"; issue 5):
// who gets a ticket, what state it may move to, who is told, when an SLA is near or broken,
// and how the customer's survey reply closes the loop.
//
// Two layers:
//  - a pure core (state table, rule matcher, engineer choice) with no I/O, unit-tested as
//    tables (tests/bot/workflow_test.cpp);
//  - operations that run INSIDE a store write unit (on a store thread): each reads the ticket,
//    checks the transition against the table, writes the ticket, one history event with actor
//    and detail, and every notification as outbox entries (bot/outbound.hpp) — all in the same
//    transaction, so a change and its messages commit together or not at all.
//    They throw store::store_error (the unit is rolled back); outcomes a person caused
//    (unknown ticket, wrong role, illegal transition, bad input) are values (style.md §8).

#include "bot/app.hpp"
#include "bot/config.hpp"
#include "store/store.hpp"
#include "templates/library.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace channels {
struct inbound_message;
}
namespace dialogs {
struct conversation;
}

namespace bot::workflow {

// ---- pure core ----

// What can happen to a ticket. `note` never changes the state; the rate_* and expire_survey
// actions are the customer's survey answer (or its absence); `lock` and `requeue` (back to the
// queue: the engineer did not act by the customer's requested date) are the system's.
enum class action {
  assign, progress, resolve, note, close, reopen, suspend, lock, rate_satisfied, rate_unsatisfied, expire_survey,
  requeue
};
std::string_view to_string(action a);
inline constexpr action all_actions[] = {action::assign,         action::progress,         action::resolve,
                                         action::note,           action::close,            action::reopen,
                                         action::suspend,        action::lock,             action::rate_satisfied,
                                         action::rate_unsatisfied, action::expire_survey,  action::requeue};
// Every internal state (contract: ticket JSON `state`).
inline constexpr std::string_view all_states[] = {"pending_assignment", "suspended", "assigned",
                                                  "locked",             "in_progress", "resolved",
                                                  "reopened",           "closed",      "cancelled"};

// The state `a` moves a ticket in `state` to, or nullopt when the move is illegal (409).
std::optional<std::string_view> next_state(action a, std::string_view state);
// The customer-visible stage of a state: accepted | in_progress | awaiting_confirmation | completed.
std::string_view stage_of(std::string_view state);
// Open for an engineer's load: assigned | in_progress | locked | reopened | suspended.
bool counts_as_open(std::string_view state);

// What the assignment rules look at (contract: `when` keys).
struct ticket_facts {
  std::string type, line, model, priority, channel;
};
ticket_facts facts_of(const store::ticket_record& t, const dialogs::catalog& catalog);

// Index of the first rule whose every `when` key equals the ticket's value; nullopt when none.
std::optional<std::size_t> match_rule(std::span<const assignment_rule> rules, const ticket_facts& facts);
// "rule #2 line=laundry" (1-based, keys in name order; "rule #6 (any ticket)" for an empty when).
std::string describe_rule(const assignment_rule& rule, std::size_t index);

struct engineer_choice {
  std::string engineer;  // staff id; empty when nobody is eligible
  std::string reason;    // "rule #2 line=laundry; E001 had 1 open, E003 had 4"
};
// Among `staff` with the rule's role (engineer; supervisor for complaints), except `exclude`
// (the engineer a complaint is about), on duty, holding every skill of `rule` (none listed: any
// engineer) and with fewer open tickets than max_open: the fewest open tickets wins, ties go to
// the one whose last assignment is oldest (never assigned = oldest), then to staff-file order.
// `open` and `last_assigned` are by staff id (missing: 0). The reason names the rule and every
// eligible engineer's load, the chosen one first; with nobody eligible it says why.
engineer_choice choose_engineer(std::span<const staff_member> staff, const assignment_rule& rule,
                                std::size_t rule_index, const std::map<std::string, int>& open,
                                const std::map<std::string, std::int64_t>& last_assigned,
                                std::string_view exclude = {});

// ---- operations inside a write unit ----

// What a staff request did. status: 200, or 403 / 404 / 409 / 422 with code and message.
struct result {
  int status = 200;
  std::string code, message;
  std::optional<store::ticket_record> ticket;  // the ticket after the change (200 only)
};

// Everything a progress report carries.
struct progress_report {
  std::string step;  // remote | onsite | waiting_parts | repairing
  std::string note;
  std::optional<std::int64_t> eta;
};

// What the assignment rules chose for a ticket: the engineer (empty: nobody eligible), why, and
// whether the rule asks for an SMS alert on top of the notification.
struct ruled_choice {
  std::string engineer;
  std::string reason;
  bool alert_sms = false;
};

// Before a new ticket's insert: chooses by rule, and when someone is eligible assigns `t` to them
// (state "assigned"), so its row is written once instead of inserted and then updated. Pass
// the result to on_ticket_created after the insert.
ruled_choice preassign(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now);

// Right after `t` was inserted (state pending_assignment, or assigned by preassign): schedules
// its SLA timers (and, when the customer asked for a date, the requested_date timer at the end
// of that local day) and assigns it by rule — or, with `preassigned`, acts on that choice: the
// events and notifications of the assignment, or the ticket left pending and the supervisors
// notified. Updates `t`.
void on_ticket_created(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now,
                       const ruled_choice* preassigned = nullptr);

// Staff operations. `who` is the authenticated caller; role checks that need the ticket
// (an engineer's own ticket) happen here, role checks that do not happen in the API layer too.
result assign(store::transaction& tx, const app& a, const std::string& number, const std::string& engineer,
              const std::string& reason, const staff_member& who, std::int64_t now);
result progress(store::transaction& tx, const app& a, const std::string& number, const progress_report& report,
                const staff_member& who, std::int64_t now);
result resolve(store::transaction& tx, const app& a, const std::string& number, const std::string& report,
               const std::vector<std::string>& parts, const staff_member& who, std::int64_t now);
result add_note(store::transaction& tx, const app& a, const std::string& number, const std::string& text,
                const staff_member& who, std::int64_t now);
// close / reopen / suspend (supervisor). `why` may be empty.
result supervise(store::transaction& tx, const app& a, const std::string& number, action what,
                 const std::string& why, const staff_member& who, std::int64_t now);

// A customer message that answers a survey, in the intake unit before the dialog runs.
struct survey_answer {
  std::string ticket;                     // the rated ticket
  std::string language;
  std::vector<std::string> replies;       // rendered replies to send back (passive or outbox)
};
// When the customer has a resolved ticket on this channel awaiting a rating and `message` reads
// as a survey reply (or is the first ambiguous one), applies it and returns what to answer;
// nullopt lets the dialog handle the message (no survey pending, or chatter).
// `recent`, when the caller has listed them anyway: the customer's newest tickets (all channels,
// newest first, list_tickets by customer_id with limit recent_ticket_limit). It spares a query
// on every message; a full page that holds no candidate is looked up further in the store.
constexpr int recent_ticket_limit = 20;
std::optional<survey_answer> take_survey_reply(store::transaction& tx, const app& a,
                                               const store::customer_record& customer,
                                               const channels::inbound_message& message,
                                               const dialogs::conversation& dialog, std::int64_t now,
                                               const std::vector<store::ticket_record>* recent = nullptr);

// Fires one claimed timer (kinds: sla_{respond,resolve,onsite}[_near], sla_escalate,
// survey_remind, survey_expire, requested_date). Returns false when it no longer applied (the
// ticket moved on).
//
// requested_date (the end of the day the customer asked for): still without an engineer
// (pending_assignment, or reopened without assignee) → locked, reason
// no_engineer_by_requested_date; assigned and the engineer has not acted → back to
// pending_assignment (event requested_date_missed, supervisors and that engineer told), then
// assigned by rule again; any other state (suspended included: the hold waits for the
// customer) → nothing. Without a requested date, or once it has passed, the respond deadline
// stands in for it: a ticket still pending_assignment at the respond breach is locked
// (no_engineer_by_deadline).
bool fire_timer(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now);

// ---- building blocks for the other ticket programs (bot/programs.cpp) ----

// Points into a.files(): valid while the unit's files_pin (app.hpp) holds that set.
const staff_member* find_staff(const app& a, std::string_view id);
// "2026-05-12 12:30" in the configured zone.
std::string human_time(const app& a, std::int64_t t);
// At most `limit` code points of `text` (valid UTF-8, "…" when cut), for messages and history.
std::string summary(std::string_view text, std::size_t limit);
// A template flag: "1" when on, "" (unset) when off.
std::string flag(bool on);
// The domain of the configured e-mail From address, for the Message-IDs the bot mints.
std::string mail_domain(const app& a);
// Idempotency key prefix for the outbox entries of the ticket's next change.
std::string key_base(store::transaction& tx, const std::string& number);
void set_state(store::ticket_record& t, std::string_view state, std::int64_t now);
void append_event(store::transaction& tx, const store::ticket_record& t, std::int64_t now, const std::string& actor,
                  const std::string& event, std::string detail_json);
void schedule(store::transaction& tx, const store::ticket_record& t, std::string_view kind, std::int64_t due,
              std::string payload, std::int64_t now);
// A message to the ticket's customer on its channel and language (also into the transcript).
void notify_customer(store::transaction& tx, const app& a, const store::ticket_record& t, std::string_view key,
                     templates::params values, const std::string& hint, const std::string& idempotency_key,
                     std::int64_t now);
void notify_staff(store::transaction& tx, const app& a, const staff_member& s, const store::ticket_record& t,
                  std::string_view key, templates::params values, const std::string& key_prefix, std::int64_t now);
void notify_supervisors(store::transaction& tx, const app& a, const store::ticket_record& t, std::string_view key,
                        const templates::params& values, const std::string& key_prefix, std::int64_t now);

// WeChat customer-service window (contract: 48 h after the customer's last message, at most
// cs_quota messages in it). note_wechat_inbound records a customer message (in the webhook's
// unit); plan_wechat picks cs | template | sms for a proactive message and counts a cs use.
void note_wechat_inbound(store::transaction& tx, const std::string& openid, std::int64_t now);
std::string plan_wechat(store::transaction& tx, const app& a, const std::string& openid, const std::string& hint,
                        bool has_phone, std::int64_t now);

}  // namespace bot::workflow
