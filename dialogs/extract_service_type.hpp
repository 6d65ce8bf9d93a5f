#pragma once
// Infers the ticket's service type and priority from what the customer writes. The customer is
// never asked for a type: a fault report is a repair unless the words say otherwise.

#include <string>
#include <string_view>

namespace dialogs {

struct service_type_hint {
  std::string type;      // emergency|installation|return|complaint|usage|repair, empty: no hint
  std::string priority;  // critical (safety words) | urgent ("急") | empty
};

// Keyword inference over folded text. Safety words (冒烟, 漏电, 起火, 焦味, smoke, sparks,
// burning, ...) give type "emergency" and priority "critical" and win over everything else;
// then installation, return/exchange, complaint, usage question, then fault words (坏了,
// broken) for "repair". Never fails; an empty hint means nothing was recognised.
service_type_hint infer_service_type(std::string_view folded);

}  // namespace dialogs
