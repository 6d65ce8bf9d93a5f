#pragma once
// multipart/form-data request bodies (RFC 7578 on RFC 2046 framing): what Mailgun posts when a
// mail has attachments (channels.md §3.1). Strict and bounded. Pure functions of bytes; any
// thread; never throw on bad input.

#include "channels/form.hpp"
#include "channels/parse_error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace channels {

// A part that carried a filename parameter (an uploaded file).
struct multipart_file {
  std::string name;          // the form field name ("attachment-1"), UTF-8
  std::string filename;      // as sent (quotes unescaped; filename* preferred), UTF-8, may hold a path
  std::string content_type;  // the part's Content-Type, or "" when absent
  std::string bytes;         // the content, untouched
};

struct multipart_body {
  form_fields fields;                // parts without a filename, in order; names and values UTF-8
  std::vector<multipart_file> files;  // parts with a filename, in order
};

inline constexpr std::size_t multipart_max_parts = 200;
inline constexpr std::size_t multipart_max_header_block = 16 * 1024;

// The boundary of a `multipart/form-data; boundary=...` Content-Type (media type matched
// case-insensitively; the parameter may be a token or a quoted-string with \-escapes). Returns
// nullopt for another media type, a missing or repeated boundary, or one RFC 2046 forbids
// (empty, longer than 70, characters outside bchars, ending in a space).
std::optional<std::string> boundary_from_content_type(std::string_view content_type);

// Splits a multipart/form-data body on `boundary` (as returned above). A preamble before the
// first delimiter and an epilogue after the closing one are ignored; transport padding
// (spaces/tabs) after a delimiter is allowed. Each part needs a CRLF-terminated header block
// (no bare LF, no folding) with one `Content-Disposition: form-data; name="..."`; filename /
// filename* (RFC 5987, UTF-8 only) make it a file. Content-Transfer-Encoding other than
// 7bit/8bit/binary is refused. Errors:
//   malformed     — no first delimiter, no part, no closing delimiter, a delimiter followed by other text,
//                   a header line without ':' or with a bad name, duplicate or non-form-data
//                   Content-Disposition, bad parameters, an invalid boundary argument;
//   missing_field — a part without Content-Disposition or without name;
//   not_utf8      — a name, filename or non-file value that is not UTF-8;
//   too_large     — more than multipart_max_parts parts, or a header block over
//                   multipart_max_header_block bytes;
//   unsupported   — base64/quoted-printable Content-Transfer-Encoding, filename* in another charset.
std::variant<multipart_body, input_error> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace channels
