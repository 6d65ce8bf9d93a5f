#pragma once
// application/x-www-form-urlencoded (and URL query strings): the encoding Twilio, Mailgun and
// every query string use. Pure functions; any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace channels {

using form_fields = std::vector<std::pair<std::string, std::string>>;

// Decodes "a=1&b=x+y&c=%E4%B8%AD" into pairs, in order, repeated keys kept. '+' is a space.
// Returns nullopt on a malformed percent escape or when a decoded name/value is not valid
// UTF-8. Empty segments ("a=1&&b=2") are skipped; a segment without '=' has an empty value.
std::optional<form_fields> parse_form(std::string_view encoded);

// Percent-decodes one component ('+' → space when plus_is_space). nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Encodes one component: unreserved characters (A-Z a-z 0-9 - _ . ~) kept, space as '+' when
// plus_for_space, else %20, everything else %XX (upper-case hex).
std::string form_encode(std::string_view text, bool plus_for_space = true);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace channels
