// Staff API bodies and stored dialog state: the strict RapidJSON parse the staff write API
// runs on every body (RFC 8259, UTF-8 validated; bot/staff_write_api.cpp parse_object), a walk
// over the members as its validators do, and the conversation-state JSON the store keeps.
#include "dialogs/intake.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <rapidjson/document.h>

namespace {
void walk(const rapidjson::Value& v, int depth) {
  if (depth > 64) return;
  if (v.IsObject())
    for (const auto& m : v.GetObject()) {
      (void)std::string_view(m.name.GetString(), m.name.GetStringLength());
      walk(m.value, depth + 1);
    }
  else if (v.IsArray())
    for (const auto& e : v.GetArray()) walk(e, depth + 1);
  else if (v.IsString())
    (void)std::string_view(v.GetString(), v.GetStringLength());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::text(data, size);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(input.data(), input.size());
  if (!d.HasParseError()) walk(d, 0);
  if (auto c = dialogs::conversation::from_json(input)) {
    auto again = dialogs::conversation::from_json(c->to_json());
    fuzz::require(again.has_value(), "to_json output parses");
    fuzz::require(again->to_json() == c->to_json(), "conversation JSON round-trips");
  }
  return 0;
}
