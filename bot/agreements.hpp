#pragma once
// Service agreements (agreements_file; issue 9), the pure part: which agreement covers a
// ticket, the SLA it promises, which parts of a service report are free, and when its planned
// visits fall. Calendar dates are "YYYY-MM-DD" strings in the configured zone.

#include "bot/config.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bot {

// Calendar arithmetic on "YYYY-MM-DD"; nullopt / "" for text that is not a date.
namespace calendar {
std::optional<int> days_from_epoch(const std::string& ymd);  // 1970-01-01 = 0
std::string from_days(int days);
std::string add_days(const std::string& ymd, int days);
}  // namespace calendar

// What a ticket is matched on.
struct coverage_query {
  std::string phone, customer_no;  // the customer (either may be empty)
  std::string model, serial;       // serial normalised like the catalog's
  std::string type;                // ticket type
  std::string day;                 // today, YYYY-MM-DD
};

// The first agreement (file order) for this customer (same phone or same customer number),
// valid on `day`, listing the ticket type among its covered services (none listed: all), and
// covering the product: its serial among `serials`, or its model among `models`, or both lists
// empty. nullptr when none.
const agreement* covering_agreement(std::span<const agreement> list, const coverage_query& q);

// The SLA for `priority`: the rules' policy with every minute the agreement sets replacing it.
sla_policy effective_sla(const rules& r, const agreement* a, const std::string& priority);

// One part of a service report, priced by the agreement.
struct part_line {
  std::string part;
  bool covered = false;      // free under the agreement
  int discount_percent = 0;  // charged parts: the agreement's discount
};
std::vector<part_line> price_parts(const agreement* a, const std::vector<std::string>& parts);

// The first planned visit on or after `day` (first_visit, then every every_days), or "" when
// it would fall after the agreement's valid_to.
std::string next_visit(const agreement& a, const std::string& day);

}  // namespace bot
