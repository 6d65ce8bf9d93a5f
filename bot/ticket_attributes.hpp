#pragma once
// What some tickets carry beyond the contract's fields (issue 9), kept in the store as the
// ticket's attributes_json: the complaint's target and reason, the service agreement that
// covers it, where a proactive ticket came from, and the date the customer asked for. Unknown members are dropped on rewrite,
// so only this file decides what the object holds.

#include "store/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bot {

struct ticket_attributes {
  // Complaints: product | department | engineer, and the model / department / staff id.
  std::string complaint_target_kind, complaint_target, complaint_reason;
  // The agreement that covers this ticket (id), empty when none.
  std::string agreement;
  // Proactive tickets: "visit_plan" (an agreement's planned visit) | "maintenance" (the
  // customer accepted a maintenance reminder); empty for tickets customers opened.
  std::string origin;
  std::string visit_date;   // visit_plan: YYYY-MM-DD the visit is planned for
  bool confirmed = false;   // visit_plan: a supervisor released it ("下达")
  std::string due_date;     // maintenance: the cycle date it serves
  // YYYY-MM-DD the customer asked for the service by (the dialog's requested date); empty when
  // they named none. An engineer must be on it by the end of that day (bot/workflow.cpp).
  std::string requested_date;

  bool empty() const;
  std::string to_json() const;
  // Never throws: "" or malformed JSON gives the empty attributes.
  static ticket_attributes from_json(std::string_view json);
};

inline ticket_attributes attributes_of(const store::ticket_record& t) {
  return ticket_attributes::from_json(t.attributes_json);
}

}  // namespace bot
