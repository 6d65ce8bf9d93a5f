#pragma once
// SMS encoding and segmenting (channels.md §2.8): which alphabet a text needs, how many billed
// segments it costs, and how to cut a long reply into several SMS. Pure functions; any thread;
// never throw on bad input.
//
// What the bot calls, for every SMS it sends (outbox worker, SMS leg):
//   for (const auto& body : channels::split_sms(text))   // default: at most 10 segments each
//     -> one Twilio REST call (POST .../Messages.json, Body=body), in order, each its own
//        outbox entry/idempotency key, so a retry never resends parts already delivered;
//   plan_sms(body).segments is what Twilio will bill (log it / compare with num_segments).
// Twilio reassembles concatenated segments itself, so never send plan_sms().parts one by one.

#include <string>
#include <string_view>
#include <vector>

namespace channels {

enum class sms_encoding { gsm7, ucs2 };
const char* to_string(sms_encoding e);  // "gsm7" | "ucs2"

// GSM 03.38 limits: 140 octets = 160 septets or 70 UCS-2 code units in one SMS; a concatenated
// SMS loses 6 octets to the UDH, leaving 153 septets or 67 code units per segment.
inline constexpr int gsm7_single = 160, gsm7_per_segment = 153;
inline constexpr int ucs2_single = 70, ucs2_per_segment = 67;
// Default split size: 10 segments (1530 GSM-7 / 670 UCS-2 characters) stays under Twilio's
// 1600-character Body limit in both encodings.
inline constexpr int sms_default_max_segments = 10;

struct sms_plan {
  sms_encoding encoding = sms_encoding::gsm7;
  int segments = 0;                // billed segments; 0 for the empty text
  int units = 0;                   // septets (GSM-7, extension characters count 2) or UTF-16
                                   // code units (UCS-2, characters beyond U+FFFF count 2)
  std::vector<std::string> parts;  // each segment's text as the handset network cuts it: an
                                   // escape pair or a surrogate pair is never cut
};

// Plans one SMS body. GSM-7 when every character is in the GSM 03.38 basic table or its
// extension table (^ { } \ [ ] ~ | € and form feed cost 2 septets); otherwise UCS-2 for the
// whole text. One segment when units <= 160 (GSM-7) / 70 (UCS-2), else 153 / 67 per segment.
// Input should be UTF-8; an invalid byte is counted as one non-GSM character (U+FFFD) and kept.
sms_plan plan_sms(std::string_view utf8);

// Cuts `utf8` into message bodies of at most `max_segments_per_message` segments each (values
// below 1 mean 1). A text that already fits comes back unchanged as the only element; the empty
// text gives no element. Cuts fall between characters (never inside a UTF-8 sequence, an escape
// pair, a surrogate pair, or an emoji sequence joined by ZWJ / variation selector / skin tone /
// keycap, or a flag's two regional indicators) and, when possible, after whitespace or
// punctuation (. , ; : ! ? ) and ，。！？；：、） in the last fifth (at most 40 characters) of
// each body; otherwise as late as fits. Whitespace at a cut is dropped, so the bodies
// concatenated equal the input except for whitespace at the cut points. Each body is planned on
// its own, so a GSM-only part of a mixed text may use GSM-7.
std::vector<std::string> split_sms(std::string_view utf8, int max_segments_per_message = sms_default_max_segments);

}  // namespace channels
