// multipart/form-data (Mailgun with attachments). The first line is the Content-Type header
// value (the boundary comes from it, as in the webhook); the rest is the body.
#include "channels/multipart.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fuzz::split(fuzz::text(data, size), '\n', 2);
  const auto content_type = parts[0];
  const auto body = parts.size() > 1 ? parts[1] : std::string_view{};
  auto boundary = channels::boundary_from_content_type(content_type);
  if (boundary) fuzz::require(!boundary->empty() && boundary->size() <= 70, "boundary within RFC 2046 limits");
  auto parsed = channels::parse_multipart(body, boundary ? *boundary : std::string{"fuzzboundary"});
  if (auto* m = std::get_if<channels::multipart_body>(&parsed)) {
    fuzz::require(m->fields.size() + m->files.size() <= channels::multipart_max_parts, "part count bounded");
    for (const auto& f : m->fields) fuzz::require(channels::valid_utf8(f.second), "field values are UTF-8");
  }
  return 0;
}
