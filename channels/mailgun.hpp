#pragma once
// Mailgun inbound routes (forward action): webhook signature, freshness, and the posted mail
// fields (urlencoded, or multipart with attachments) as a channel-neutral message plus the
// e-mail threading data. Pure functions of bytes (no I/O, no clock, no store); any thread;
// never throw on bad input. Protocol: ../shared/docs/channels.md §3.1–3.3, §3.6.

#include "channels/form.hpp"
#include "channels/message.hpp"
#include "channels/multipart.hpp"
#include "channels/parse_error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace channels {

// lower_hex(HMAC-SHA256(signing_key, timestamp + token)) (§3.2). `signing_key` is the "HTTP
// webhook signing key", not the API key. Total; never fails.
std::string mailgun_signature(std::string_view signing_key, std::string_view timestamp, std::string_view token);

// Constant-time (CRYPTO_memcmp) check of the posted `signature` field (64 lower-case hex
// characters) against mailgun_signature(). False on any mismatch or an empty key. This is only
// the first of three checks; the bot also needs mailgun_timestamp_fresh() and its token store.
bool verify_mailgun_signature(std::string_view signing_key, std::string_view timestamp, std::string_view token,
                              std::string_view signature);

// True when `timestamp` is 1..18 ASCII digits (no sign, no spaces) and |now - timestamp| <=
// window_s (Mailgun suggests 15 minutes, §3.2); false for anything else, including a future
// timestamp beyond the window. `now` is the bot's clock in Unix seconds.
bool mailgun_timestamp_fresh(std::string_view timestamp, std::int64_t now, std::int64_t window_s = 900);

// A file that came with the mail, kept whole so the bot can persist it.
struct mail_file {
  std::string field_name;    // "attachment-1", ...
  std::string filename;      // as the sender named it (may be empty, may contain a path)
  std::string content_type;  // as posted, or ""
  std::string bytes;
};

struct mailgun_message {
  // channel "email"; provider_id = message_id, or "derived:<sha256 hex>" when the mail had no
  // Message-Id (see parse_mailgun); from = bare lower-case address of `from` (else `sender`);
  // to = bare lower-case `recipient` (envelope RCPT TO; the raw lower-cased value when it is not
  // one address); created_at = the posted `timestamp` (0 when not numeric); text = the
  // `stripped-text` field when posted (even if empty: the customer wrote nothing new above the
  // quote), else `body-plain`; kind "text", or the first attachment's kind when the text is
  // blank and files came; attachments[i] describes files[i] (kind by content type: image,
  // video, voice for audio/*, file; ref = storage name, see files; content_type as posted).
  inbound_message msg;
  std::string subject;
  std::string message_id;               // Message-Id without <>, "" when absent
  std::string in_reply_to;              // first id of In-Reply-To without <>, "" when absent
  std::vector<std::string> references;  // References ids without <>, in order
  std::string body_plain;               // the full body-plain (quoted history included)
  std::string stripped_signature;       // Mailgun's removed signature block, "" when none
  bool auto_submitted = false;          // an auto-reply, bounce or bulk mail: record, never answer
  // Original headers from `message-headers` (JSON [[name, value], ...], in order), followed by
  // the posted top-level fields that are named like headers (first letter upper-case, e.g.
  // "Message-Id", "X-Mailgun-Sflag") and absent from the JSON.
  std::vector<std::pair<std::string, std::string>> headers;
  // attachment-1..N in N order. attachments[i].ref is a storage name for files[i]: the
  // filename's last path component (after '/' or '\\') with control characters and
  // : * ? " < > | replaced by '_', trimmed, cut to 150 bytes on a UTF-8 boundary; or
  // "attachment-N" (then "attachment-N-2", ...) when that is empty, ".", ".." or already used
  // in this mail (case-insensitively). Unique within the mail only, so the bot namespaces it
  // (ticket, message) when it stores the bytes.
  std::vector<mail_file> files;
};

// Parses the fields of a Mailgun forward POST: `fields` from parse_form (urlencoded) or
// multipart_body::fields, `files` = multipart_body::files (empty for urlencoded).
// Header values are looked up case-insensitively in message-headers first, then top-level
// fields. auto_submitted is true when: Auto-Submitted is present and not "no"; Precedence is
// bulk, list or junk; X-Autoreply / X-Autorespond is present; the from or sender local part is
// mailer-daemon or postmaster; Return-Path is "<>"; or the posted `sender` is empty (null
// envelope sender, as for bounces).
// A missing Message-Id is not an error: refusing would make Mailgun retry for 8 h and then drop
// the mail. provider_id is then derived from SHA-256 over sender, from, recipient, subject,
// Date, body-plain and the files, which a re-POST of the same mail reproduces (unlike
// timestamp/token); message_id stays "" so nobody threads onto an invented id.
// Errors: missing_field (no usable from/sender address, no recipient, fewer attachment-N files
// than attachment-count), malformed (message-headers not a JSON array of [string, string]
// pairs, attachment-count not a number), not_utf8 (a header from the JSON is not UTF-8),
// too_large (attachment-count over multipart_max_parts).
std::variant<mailgun_message, input_error> parse_mailgun(const form_fields& fields,
                                                         const std::vector<multipart_file>& files);

// The first "[SR" + 11..20 digits + "]" token in a subject (also "[#SR...]", "sr" in any case),
// returned upper-case without brackets or '#': "Re: 维修 [SR20260512001]" → "SR20260512001".
// nullopt when there is none.
std::optional<std::string> find_ticket_token(std::string_view subject);

// The bare address of the first mailbox in an address header, lower-cased:
// "Bob <Bob@Example.com>" → "bob@example.com", "\"Doe, J\" <j@x.org>, k@y.org" → "j@x.org",
// "j@x.org (Joe)" → "j@x.org". Returns "" when there is no valid dot-atom local@domain (quoted
// local parts, domain literals and groups are not accepted; UTF-8 is).
std::string bare_address(std::string_view from);

// The ids in a Message-Id / In-Reply-To / References value, without <>, in order: every
// <...> in it, or, when it has no angle brackets, its whitespace/comma separated words.
std::vector<std::string> message_ids(std::string_view header_value);

}  // namespace channels
