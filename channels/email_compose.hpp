#pragma once
// Outbound e-mail text for SMTP (channels.md §3.5, §3.6): RFC 5322 headers with RFC 2047
// encoded words, threading headers, RFC 3834 Auto-Submitted, a base64 UTF-8 text body, CRLF
// everywhere, no line over 998 octets. Only builds bytes; bot/ hands them to libcurl (which
// dot-stuffs and sends). Pure functions except make_message_id (randomness); any thread.

#include "channels/parse_error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace channels {

// A header value for unstructured text (Subject, display names). Printable ASCII (no "=?",
// at most 900 bytes) is returned as is. Anything else becomes RFC 2047 B encoded words
// "=?UTF-8?B?...?=", each at most 75 characters (45 bytes of text), never splitting a UTF-8
// sequence, joined by CRLF SP (folding), so the result goes right after "Subject: ". Invalid
// UTF-8 bytes become U+FFFD first; control characters are carried inside the encoding.
std::string encode_header_word(std::string_view utf8);

// A fresh globally unique Message-ID without angle brackets: "sb." + 32 random hex digits
// (RAND_bytes) + "@" + domain (lower-cased, only letters, digits, '.' and '-' kept;
// "servicebot.invalid" when nothing is left). Throws std::runtime_error only when the OpenSSL
// random generator fails (an infrastructure failure, not bad input).
std::string make_message_id(std::string_view domain);

// "Tue, 12 May 2026 09:30:00 +0000" (RFC 5322 §3.3, always UTC) for Unix seconds.
std::string rfc5322_date(std::int64_t unix_seconds);

struct outgoing_email {
  std::string from_address;             // bare address: support@example.com
  std::string from_name;                // display name, UTF-8, "" for none ("售后服务")
  std::string to_address;               // the customer's bare address
  std::string to_name;                  // "" for none
  std::string reply_to;                 // bare address (e.g. plus-addressed support+SR...@), or ""
  std::string subject;                  // UTF-8
  std::string ticket_number;            // "SR20260512001": " [SR...]" appended unless already there
  std::int64_t date = 0;                // Unix seconds, the bot's clock
  std::string message_id;               // ours, without <> (make_message_id); store it for threading
  std::string in_reply_to;              // the customer's Message-Id without <>, "" for none
  std::vector<std::string> references;  // without <>, oldest first: their References + their id
  std::string auto_submitted = "auto-replied";  // RFC 3834 value; "" omits the header
  std::string body;                     // UTF-8 text, any line endings
};

// The complete message (headers, blank line, body) for SMTP DATA, in this header order: Date,
// From, To, Reply-To, Subject, Message-ID, In-Reply-To, References, Auto-Submitted,
// MIME-Version, Content-Type: text/plain; charset=UTF-8, Content-Transfer-Encoding: base64.
// Header injection is impossible by construction: CR, LF and other control characters in the
// subject and display names become spaces (then RFC 2047 when not plain ASCII); addresses and
// ids are validated instead. In-Reply-To / References ids that are not printable ASCII without
// spaces and <> (or longer than 900) are dropped, References keeps the first and the last 19 of
// more than 20 ids (RFC 5322 §3.6.4 allows trimming). The body's line breaks become CRLF,
// invalid UTF-8 becomes U+FFFD, then base64 in 76-character lines. Every line ends in CRLF and
// none exceeds 998 octets.
// Errors: missing_field (from_address, to_address or message_id empty), malformed (an address
// that is not one bare address, a message_id or auto_submitted value with unsafe characters).
std::variant<std::string, input_error> compose_email(const outgoing_email& mail);

}  // namespace channels
