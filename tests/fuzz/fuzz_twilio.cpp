// Twilio's inbound SMS fields (form-encoded) through parse_twilio_sms, the keyword classifier,
// and the segment splitter the reply path runs on the text.
#include "channels/form.hpp"
#include "channels/sms_segments.hpp"
#include "channels/twilio.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::text(data, size);
  (void)channels::classify_sms_keyword(input);
  if (channels::valid_utf8(input)) {
    std::string joined;
    for (const auto& part : channels::split_sms(input)) joined += part;
    fuzz::require(!joined.empty() || input.empty() || joined.size() <= input.size(), "split_sms keeps text");
  }
  auto fields = channels::parse_form(input);
  if (!fields) return 0;
  auto parsed = channels::parse_twilio_sms(*fields);
  if (auto* m = std::get_if<channels::inbound_message>(&parsed)) {
    fuzz::require(m->channel == "sms", "parsed SMS has channel sms");
    (void)channels::classify_sms_keyword(m->text);
  }
  return 0;
}
