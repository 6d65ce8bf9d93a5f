#pragma once
// Infers the ticket's service type and priority from what the customer writes. The customer is
// never asked for a type: a fault report is a repair unless the words say otherwise.

#include <string>
#include <string_view>

namespace dialogs {

struct service_type_hint {
  // emergency|installation|return|complaint|value_added|remote|usage|repair, empty: no hint
  std::string type;
  // critical (safety words, major loss: "影响生产") | urgent ("急", "不能用了", asap) |
  // low ("不急", "no rush") | empty: nothing said
  std::string priority;
};

// Keyword inference over folded text. Safety words (冒烟, 漏电, 起火, 焦味, 异常发热, smoke,
// sparks, burning smell, electric shock, ...) give type "emergency" and priority "critical"
// and win over everything else; then installation, return/exchange, complaint, paid value-added
// service (延保, 保养, extended warranty, maintenance), remote help, usage question, then fault
// words (坏了, broken) for "repair". Negated urgency ("不急", "not urgent") is low priority.
// Never fails; an empty hint means nothing was recognised.
service_type_hint infer_service_type(std::string_view folded);

}  // namespace dialogs
