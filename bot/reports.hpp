#pragma once
// The supervisors' numbers (contract: GET /api/v1/reports/summary; product.md "Reports"),
// computed from tickets and their history. Pure: the caller reads the store.
//
// Limits: everything is computed per request from the tickets created in the range (and, for
// repeat faults, the 30 days before it) and their events. That is fine for thousands of
// tickets per range; beyond that the figures want running totals kept by the workflow.

#include "bot/clock.hpp"
#include "bot/config.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bot {

struct report_input {
  std::int64_t from = 0, to = 0;                 // created_at range [from, to)
  std::vector<store::ticket_record> tickets;     // created in [from - 30 days, to), any order
  std::map<std::string, std::vector<store::ticket_event>> events;  // by number, for tickets in range
  std::vector<std::pair<std::string, int>> open_now;  // store::transaction::count_open_by_assignee
  std::int64_t deflected = 0;                    // intakes solved by self-service in the range
};

// The summary as JSON:
//   {"from", "to", "tickets", "by_type", "by_state", "by_channel", "by_product",
//    "first_response": {"mean_minutes", "count"}, "assignment": {...}, "resolution": {...},
//    "sla": {"breached", "breach_rate"}, "satisfaction": {"satisfied", "neutral", "dissatisfied",
//    "unrated", "rate"}, "deflected", "repeat_faults": {"count", "serials": [{"serial", "tickets"}]},
//    "complaints": {"count", "by_target": {"engineer:E001": n, "department:客服部": n, ...},
//    "by_reason", "follow_ups_sent", "follow_ups_answered"},
//    "engineers": [{"id", "name", "open", "assigned", "closed", "mean_resolution_minutes",
//    "complaints", "rated", "satisfied", "satisfaction_rate"}]}
// Means and rates are null when nothing was measured.
std::string report_summary_json(const report_input& in, const std::vector<staff_member>& staff, const clock& clk);

}  // namespace bot
