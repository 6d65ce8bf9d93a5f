#pragma once
// Twilio Programmable Messaging inbound webhook: X-Twilio-Signature, the SMS/MMS form fields,
// opt-out/help keywords and the empty TwiML answer. Pure functions of bytes (no I/O); every
// function may be called from any thread and never throws on bad input.
// Protocol: ../shared/docs/channels.md §2.

#include "channels/form.hpp"
#include "channels/message.hpp"
#include "channels/parse_error.hpp"

#include <string>
#include <vector>
#include <string_view>
#include <variant>

namespace channels {

// Base64(HMAC-SHA1(auth_token, url + key1 + value1 + key2 + value2 ...)) (§2.2): keys sorted
// byte-wise, each key's distinct values sorted byte-wise (only matters for repeated keys),
// nothing URL-encoded, no separators. `url` is used byte for byte (scheme://host[:port]/path?query
// as configured in Twilio; query parameters are not added again). Total; never fails.
std::string twilio_signature(std::string_view auth_token, std::string_view url, const form_fields& params);

// Constant-time (CRYPTO_memcmp) check of an X-Twilio-Signature value. Accepts a signature made
// over `url` as given, over `url` with its default port removed ("https://h:443/p" →
// "https://h/p"), or with the default port added ("https://h/p" → "https://h:443/p"; :80 for
// http) — Twilio's own validators accept both because proxies sign either form (§2.2). Other
// ports are never added or removed. `params` are ALL decoded form pairs as received, repeated
// keys kept (parse_form's output), never a whitelist. Returns false on any mismatch, an empty
// token, or a URL that is not http(s)://. During an auth-token rotation call it once per token.
bool verify_twilio_signature(std::string_view auth_token, std::string_view url, const form_fields& params,
                             std::string_view header_value);

// Turns an inbound SMS/MMS webhook (§2.1) into a channel-neutral message:
//   channel "sms"; provider_id = MessageSid (required; the dedupe key, §2.4); from = From
//   (required, E.164 "+" and 2..15 digits); to = To (as sent, may be a short code);
//   text = Body (may be empty); created_at = 0 (Twilio sends no timestamp);
//   attachments: NumMedia (absent = 0, decimal 0..10) items, ref = MediaUrlN (required for each
//   N < NumMedia), content_type = MediaContentTypeN, kind image|video|voice (audio/*)|file;
//   kind = "text", or the first attachment's kind when Body is blank and media were sent.
// The first occurrence of a repeated field wins. Errors: missing_field (MessageSid, From or a
// MediaUrlN absent/empty), malformed (From not E.164, NumMedia not a decimal number),
// too_large (NumMedia > 10). MediaUrlN is attacker-controllable: send Twilio credentials only
// when is_twilio_media_url() holds (chatwoot#15464).
std::variant<inbound_message, input_error> parse_twilio_sms(const form_fields& fields);

// True when `url` is https:// on api.twilio.com or a subdomain of twilio.com (where MMS media
// live), i.e. a URL to which the bot may send Basic AccountSid:AuthToken when fetching media.
bool is_twilio_media_url(std::string_view url);

// Twilio's default keyword handling on long codes (§2.7).
enum class sms_keyword { none, stop, start, help };

// Classifies a whole SMS body: ASCII whitespace, U+00A0 and U+3000 around it and one trailing
// "." "!" "。" "！" are ignored, ASCII letters compared case-insensitively; anything else in the
// message makes it an ordinary message (none).
//   stop:  STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE OPTOUT 退订
//   start: START YES UNSTOP
//   help:  HELP INFO
// CANCEL (and END, QUIT, YES) are Twilio's keywords: Twilio itself blocks the number on CANCEL,
// so a customer who types CANCEL to abandon a dialog IS opted out and the bot must treat it as
// stop, not as the dialog's cancel command. 退订 is not Twilio's (it does not block on it); the
// contract makes it an opt-out for our own sending.
sms_keyword classify_sms_keyword(std::string_view body);
const char* to_string(sms_keyword k);  // "none" | "stop" | "start" | "help"

// The "no reply" TwiML answer for the webhook (§2.5): replies go out later through the REST API
// via the outbox. Exactly `<?xml version="1.0" encoding="UTF-8"?><Response/>`; serve it as
// text/xml.
std::string empty_twiml();

// A TwiML answer that replies with one <Message> per body, in order (§2.5): Twilio sends each as
// an SMS to the sender. Bodies are escaped by pugixml; characters XML 1.0 cannot carry (C0
// controls other than tab, newline and carriage return) are dropped. No bodies: empty_twiml().
std::string twiml_messages(const std::vector<std::string>& bodies);

}  // namespace channels
