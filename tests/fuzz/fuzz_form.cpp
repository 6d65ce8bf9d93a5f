// application/x-www-form-urlencoded (Twilio, Mailgun, query strings): parse, and every decoded
// field must survive form_encode → parse_form unchanged.
#include "channels/form.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::text(data, size);
  (void)channels::percent_decode(input, true);
  (void)channels::percent_decode(input, false);
  auto fields = channels::parse_form(input);
  if (!fields) return 0;
  std::string encoded;
  for (const auto& [k, v] : *fields) {
    fuzz::require(channels::valid_utf8(k) && channels::valid_utf8(v), "decoded fields are UTF-8");
    encoded += (encoded.empty() ? "" : "&") + channels::form_encode(k) + "=" + channels::form_encode(v);
  }
  auto again = channels::parse_form(encoded);
  fuzz::require(again.has_value(), "form_encode output parses");
  // Empty pairs ("&&") are dropped by the parser, so compare the non-empty ones.
  channels::form_fields kept;
  for (const auto& f : *fields)
    if (!f.first.empty() || !f.second.empty()) kept.push_back(f);
  channels::form_fields kept_again;
  for (const auto& f : *again)
    if (!f.first.empty() || !f.second.empty()) kept_again.push_back(f);
  fuzz::require(kept == kept_again, "parse_form(form_encode(fields)) == fields");
  return 0;
}
