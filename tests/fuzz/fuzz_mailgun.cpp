// Mailgun's inbound route fields (form-encoded, as the webhook decodes them) through
// parse_mailgun, plus the header helpers it uses on raw header text.
#include "channels/form.hpp"
#include "channels/mailgun.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::text(data, size);
  (void)channels::find_ticket_token(input);
  (void)channels::bare_address(input);
  (void)channels::message_ids(input);
  auto fields = channels::parse_form(input);
  if (!fields) return 0;
  auto parsed = channels::parse_mailgun(*fields, {});
  if (auto* m = std::get_if<channels::mailgun_message>(&parsed)) {
    fuzz::require(m->msg.channel == "email", "parsed mail has channel email");
    fuzz::require(!m->msg.provider_id.empty(), "parsed mail has a provider id");
  }
  return 0;
}
