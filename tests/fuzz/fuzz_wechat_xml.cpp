// WeChat push XML as it arrives in plain mode: the message parser and the safe-mode envelope
// parser (pugixml without DOCTYPE or entity expansion). Neither may crash, and a parsed
// message must have the fields the dialog relies on.
#include "channels/wechat.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto xml = fuzz::text(data, size);
  auto parsed = channels::wechat::parse_message(xml);
  if (auto* m = std::get_if<channels::inbound_message>(&parsed)) {
    fuzz::require(m->channel == "wechat", "parsed message has channel wechat");
    fuzz::require(!m->kind.empty(), "parsed message has a kind");
  }
  (void)channels::wechat::parse_envelope(xml);
  return 0;
}
