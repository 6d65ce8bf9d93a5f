// Outbound mail text (RFC 5322, RFC 2045/2047, RFC 3834; channels.md §3.5–3.6).
#include "channels/email_compose.hpp"

#include "channels/form.hpp"
#include "channels/mailgun.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>

namespace channels {
namespace {

// An encoded word is at most 75 characters (RFC 2047 §2): "=?UTF-8?B?" + base64 + "?=" leaves
// 63, i.e. 60 base64 characters = 45 bytes of text.
constexpr std::size_t encoded_word_text_bytes = 45;
// Longest plain-ASCII header text left unencoded: "Subject: " + 900 stays far below 998.
constexpr std::size_t max_plain_header_text = 900;
constexpr std::size_t max_id_length = 900;
constexpr std::size_t max_references = 20;
constexpr std::size_t body_line = 76;  // RFC 2045 §6.8
constexpr std::string_view crlf = "\r\n";

std::string encode_base64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3;
  else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4;
  if (len == 0 || i + len > s.size()) return 0;
  return valid_utf8(s.substr(i, len)) ? len : 0;
}

// Valid UTF-8 with every invalid byte replaced by U+FFFD.
std::string repair_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// Display text for a header: control characters (CR and LF above all) become spaces.
std::string header_text(std::string_view s) {
  std::string out = repair_utf8(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return out;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

// One bare address, exactly: bare_address() finds one and the text holds nothing else.
bool valid_address(std::string_view a) {
  if (a.empty()) return false;
  const auto bare = bare_address(a);
  if (bare.size() != a.size()) return false;
  return std::equal(a.begin(), a.end(), bare.begin(), [](char x, char y) {
    return ((x >= 'A' && x <= 'Z') ? static_cast<char>(x - 'A' + 'a') : x) == y;
  });
}

// msg-id content: printable ASCII, no spaces, no angle brackets.
bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= max_id_length &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F && c != '<' && c != '>'; });
}

// RFC 5322 atext and spaces: a display name that needs neither quoting nor encoding.
bool is_plain_phrase(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
  });
}

std::string mailbox(std::string_view name, std::string_view address) {
  const auto text = header_text(name);
  std::string_view trimmed = text;
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  if (trimmed.empty()) return std::string(address);
  std::string phrase;
  if (printable_ascii(trimmed) && trimmed.size() <= max_plain_header_text &&
      trimmed.find("=?") == std::string_view::npos) {
    if (is_plain_phrase(trimmed)) {
      phrase = trimmed;
    } else {  // quoted-string
      phrase = "\"";
      for (char c : trimmed) {
        if (c == '"' || c == '\\') phrase.push_back('\\');
        phrase.push_back(c);
      }
      phrase += "\"";
    }
  } else {
    phrase = encode_header_word(trimmed);
  }
  return phrase + " <" + std::string(address) + ">";
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append(crlf);
}

std::string body_base64(std::string_view body) {
  // Canonical text/plain has CRLF line breaks before it is base64-encoded (RFC 2045 §6.8).
  const auto text = repair_utf8(body);
  std::string canonical;
  canonical.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      canonical += crlf;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      canonical += crlf;
    } else {
      canonical.push_back(c);
    }
  }
  const auto encoded = encode_base64(canonical);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / body_line * 2 + 2);
  for (std::size_t i = 0; i < encoded.size(); i += body_line) out.append(encoded.substr(i, body_line)).append(crlf);
  return out;
}

// Days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

std::string two_digits(unsigned v) { return {static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)}; }

}  // namespace

std::string encode_header_word(std::string_view utf8) {
  if (printable_ascii(utf8) && utf8.size() <= max_plain_header_text && utf8.find("=?") == std::string_view::npos)
    return std::string(utf8);
  const auto text = repair_utf8(utf8);
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Take whole characters while they fit in one word; text is valid UTF-8 here.
    std::size_t end = pos;
    while (end < text.size()) {
      const auto len = utf8_sequence_length(text, end);
      if (end + len - pos > encoded_word_text_bytes) break;
      end += len;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + encode_base64(std::string_view(text).substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

std::string make_message_id(std::string_view domain) {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "sb.";
  for (unsigned char b : raw) {
    id.push_back(digits[b >> 4]);
    id.push_back(digits[b & 15]);
  }
  std::string host;
  for (char c : domain) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') host.push_back(c);
    else if (c >= 'A' && c <= 'Z') host.push_back(static_cast<char>(c - 'A' + 'a'));
  }
  while (!host.empty() && host.front() == '.') host.erase(host.begin());
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.size() > 253) host.resize(253);
  if (host.empty()) host = "servicebot.invalid";
  return id + "@" + host;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
  // Indexed by days since 1970-01-01, which was a Thursday.
  static constexpr const char* weekdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 7) % 7);
  const auto s = static_cast<unsigned>(secs);
  return std::string(weekdays[weekday]) + ", " + std::to_string(day) + " " + months[month - 1] + " " +
         std::to_string(year) + " " + two_digits(s / 3600) + ":" + two_digits(s / 60 % 60) + ":" + two_digits(s % 60) +
         " +0000";
}

std::variant<std::string, input_error> compose_email(const outgoing_email& mail) {
  if (mail.from_address.empty() || mail.to_address.empty() || mail.message_id.empty())
    return input_error::missing_field;
  if (!valid_address(mail.from_address) || !valid_address(mail.to_address) ||
      (!mail.reply_to.empty() && !valid_address(mail.reply_to)) || !valid_id(mail.message_id))
    return input_error::malformed;
  if (!std::all_of(mail.auto_submitted.begin(), mail.auto_submitted.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      }))
    return input_error::malformed;

  auto subject = header_text(mail.subject);
  if (!mail.ticket_number.empty()) {
    const auto tag = "[" + header_text(mail.ticket_number) + "]";
    if (subject.find(tag) == std::string::npos) subject += subject.empty() ? tag : " " + tag;
  }

  std::vector<std::string> references;
  for (const auto& id : mail.references)
    if (valid_id(id)) references.push_back(id);
  if (references.size() > max_references)
    references.erase(references.begin() + 1, references.end() - static_cast<std::ptrdiff_t>(max_references - 1));

  std::string out;
  add_header(out, "Date", rfc5322_date(mail.date));
  add_header(out, "From", mailbox(mail.from_name, mail.from_address));
  add_header(out, "To", mailbox(mail.to_name, mail.to_address));
  if (!mail.reply_to.empty()) add_header(out, "Reply-To", mail.reply_to);
  add_header(out, "Subject", encode_header_word(subject));
  add_header(out, "Message-ID", "<" + mail.message_id + ">");
  if (valid_id(mail.in_reply_to)) add_header(out, "In-Reply-To", "<" + mail.in_reply_to + ">");
  if (!references.empty()) {
    std::string value;
    for (const auto& id : references) value += (value.empty() ? "<" : "\r\n <") + id + ">";  // one id per line
    add_header(out, "References", value);
  }
  if (!mail.auto_submitted.empty()) add_header(out, "Auto-Submitted", mail.auto_submitted);
  add_header(out, "MIME-Version", "1.0");
  add_header(out, "Content-Type", "text/plain; charset=UTF-8");
  add_header(out, "Content-Transfer-Encoding", "base64");
  out += crlf;
  out += body_base64(mail.body);
  return out;
}

}  // namespace channels
