#pragma once
// Why a gateway payload was refused, shared by the SMS, e-mail and multipart parsers (WeChat keeps
// its own channels::wechat::parse_error). Any thread.

namespace channels {

enum class input_error {
  malformed,      // syntax broken: bad framing, bad header line, bad number, bad JSON, ...
  missing_field,  // a field the message cannot do without is absent or empty
  not_utf8,       // text that must be UTF-8 is not
  too_large,      // a structural limit was exceeded (parts, header block, media count)
  unsupported,    // well-formed, but something we do not handle (e.g. a transfer encoding)
};

// Stable lower-case name for logs and 400 bodies ("malformed", "missing_field", ...).
const char* to_string(input_error e);

}  // namespace channels
