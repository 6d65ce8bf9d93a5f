#pragma once
// Reads the preferred service method: remote help, on-site visit, or bring to a service point.

#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace dialogs {

struct service_method_match {
  std::string method;  // remote | onsite | carry_in
  span where;          // in the folded text
};

// With `awaited` (the customer is answering the method question, whose options are numbered
// 1 远程指导 / 2 上门服务 / 3 到店检测) a bare "1"/"2"/"3" and the short words ("远程",
// "remote") count. Otherwise only phrases that cannot mean anything else ("上门", "on-site",
// "bring it in"): "remote" alone might be a TV remote. Returns nullopt when nothing matches.
std::optional<service_method_match> extract_service_method(std::string_view folded, bool awaited);

}  // namespace dialogs
