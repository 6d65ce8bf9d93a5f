#include "channels/parse_error.hpp"

namespace channels {

const char* to_string(input_error e) {
  switch (e) {
    case input_error::malformed: return "malformed";
    case input_error::missing_field: return "missing_field";
    case input_error::not_utf8: return "not_utf8";
    case input_error::too_large: return "too_large";
    case input_error::unsupported: return "unsupported";
  }
  return "unknown";
}

}  // namespace channels
