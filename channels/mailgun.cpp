// Mailgun inbound routes (channels.md §3.1–3.3) and the e-mail header rules of §3.6.
#include "channels/mailgun.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/error/error.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <memory>
#include <set>

namespace channels {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

const std::string* first_value(const form_fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return &v;
  return nullptr;
}

using header_list = std::vector<std::pair<std::string, std::string>>;

const std::string* find_header(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return &v;
  return nullptr;
}

// RFC 5322 field-name: printable ASCII except ':'.
bool is_header_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F && c != ':'; });
}

// message-headers: [["Name", "value"], ...]. Parsed iteratively so nesting depth cannot exhaust
// the stack.
std::variant<header_list, input_error> parse_message_headers(std::string_view json) {
  header_list out;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError())
    return doc.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding ? input_error::not_utf8
                                                                               : input_error::malformed;
  if (!doc.IsArray()) return input_error::malformed;
  for (const auto& pair : doc.GetArray()) {
    if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString())
      return input_error::malformed;
    std::string name(pair[0].GetString(), pair[0].GetStringLength());
    std::string value(pair[1].GetString(), pair[1].GetStringLength());
    // \uDC00-style escapes come out as encoded surrogates; refuse them like any bad UTF-8.
    if (!valid_utf8(name) || !valid_utf8(value)) return input_error::not_utf8;
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string kind_for_content_type(std::string_view content_type) {
  if (istarts_with(content_type, "image/")) return "image";
  if (istarts_with(content_type, "video/")) return "video";
  if (istarts_with(content_type, "audio/")) return "voice";
  return "file";
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}

constexpr std::size_t max_storage_name = 150;

// A file name safe to use as one path component on any common filesystem.
std::string storage_name(std::string_view filename) {
  const auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  std::string out;
  for (char c : filename) {
    const auto u = static_cast<unsigned char>(c);
    const bool unsafe = u < 0x20 || u == 0x7F || std::string_view(":*?\"<>|").find(c) != std::string_view::npos;
    out.push_back(unsafe ? '_' : c);
  }
  out = std::string(trim(out));
  return truncate_utf8(std::move(out), max_storage_name);
}

// attachment-N → N (N >= 1), else 0.
std::size_t attachment_index(std::string_view field_name) {
  constexpr std::string_view prefix = "attachment-";
  if (field_name.substr(0, prefix.size()) != prefix) return 0;
  const auto digits = field_name.substr(prefix.size());
  if (!all_digits(digits) || digits.size() > 6) return 0;
  std::size_t n = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return n;
}

std::string local_part(std::string_view address) { return std::string(address.substr(0, address.find('@'))); }

bool is_daemon_address(std::string_view address) {
  const auto local = local_part(address);
  return local == "mailer-daemon" || local == "postmaster";
}

// SHA-256 of length-prefixed fields, so ("ab","c") and ("a","bc") differ.
class digest {
 public:
  digest() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void add(std::string_view s) {
    const auto len = std::to_string(s.size()) + ":";
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), len.data(), len.size()) == 1 &&
          EVP_DigestUpdate(ctx_.get(), s.data(), s.size()) == 1;
  }
  // Lower hex, or "" when OpenSSL failed.
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int n = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) != 1) return {};
    return to_hex(out.data(), n);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  bool ok_ = false;
};

// RFC 5322 atext, plus UTF-8 bytes (RFC 6531).
bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_dot_atom(std::string_view s, bool (*char_ok)(char)) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [char_ok](char c) { return c == '.' || char_ok(c); });
}

bool is_domain_char(char c) {
  return static_cast<unsigned char>(c) >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         c == '-';
}

bool valid_domain(std::string_view d) {
  if (d.size() > 255 || !valid_dot_atom(d, is_domain_char)) return false;
  std::size_t start = 0;
  while (start <= d.size()) {
    auto end = d.find('.', start);
    if (end == std::string_view::npos) end = d.size();
    const auto label = d.substr(start, end - start);
    if (label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    start = end + 1;
  }
  return true;
}

std::string checked_address(std::string_view candidate) {
  candidate = trim(candidate);
  const auto at = candidate.rfind('@');
  if (at == std::string_view::npos) return {};
  const auto local = candidate.substr(0, at), domain = candidate.substr(at + 1);
  if (local.size() > 64 || !valid_dot_atom(local, is_atext) || !valid_domain(domain) || !valid_utf8(candidate))
    return {};
  return lower(candidate);
}

}  // namespace

std::string mailgun_signature(std::string_view signing_key, std::string_view timestamp, std::string_view token) {
  std::string data;
  data.reserve(timestamp.size() + token.size());
  data.append(timestamp).append(token);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), signing_key.data(), static_cast<int>(signing_key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &mac_len))
    return {};
  return to_hex(mac.data(), mac_len);
}

bool verify_mailgun_signature(std::string_view signing_key, std::string_view timestamp, std::string_view token,
                              std::string_view signature) {
  if (signing_key.empty()) return false;
  const auto expected = mailgun_signature(signing_key, timestamp, token);
  return !expected.empty() && expected.size() == signature.size() &&
         CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

bool mailgun_timestamp_fresh(std::string_view timestamp, std::int64_t now, std::int64_t window_s) {
  if (window_s < 0 || !all_digits(timestamp) || timestamp.size() > 18) return false;
  std::int64_t ts = 0;
  std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  // In unsigned arithmetic so a far-off `now` cannot overflow: ts < 10^18, |now| < 2^63.
  const auto distance = now >= ts ? static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(ts)
                                  : static_cast<std::uint64_t>(ts) - static_cast<std::uint64_t>(now);
  return distance <= static_cast<std::uint64_t>(window_s);
}

std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> out;
  if (value.find('<') != std::string_view::npos) {
    std::size_t pos = 0;
    while ((pos = value.find('<', pos)) != std::string_view::npos) {
      const auto close = value.find('>', pos + 1);
      if (close == std::string_view::npos) break;
      const auto id = trim(value.substr(pos + 1, close - pos - 1));
      if (!id.empty() && id.find('<') == std::string_view::npos) out.emplace_back(id);
      pos = close + 1;
    }
    return out;
  }
  std::size_t start = 0;
  while (start < value.size()) {
    while (start < value.size() && (is_wsp(value[start]) || value[start] == ',')) ++start;
    std::size_t end = start;
    while (end < value.size() && !is_wsp(value[end]) && value[end] != ',') ++end;
    if (end > start) out.emplace_back(value.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string bare_address(std::string_view from) {
  // Walk the first mailbox: quoted strings and comments are skipped, "<...>" wins, a top-level
  // ',' or ';' ends the mailbox, a top-level ':' ends a group's display name.
  std::string plain;
  bool in_quote = false;
  int comment_depth = 0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const char c = from[i];
    if (in_quote) {
      if (c == '\\') ++i;
      else if (c == '"') in_quote = false;
      plain.push_back('"');  // a quoted local part is not accepted; keep a marker that fails
      continue;
    }
    if (comment_depth > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++comment_depth;
      else if (c == ')') --comment_depth;
      continue;
    }
    switch (c) {
      case '"':
        in_quote = true;
        break;
      case '(':
        comment_depth = 1;
        break;
      case '<': {
        const auto close = from.find('>', i + 1);
        if (close == std::string_view::npos) return {};
        return checked_address(from.substr(i + 1, close - i - 1));
      }
      case ',':
      case ';':
        return checked_address(plain);
      case ':':
        plain.clear();
        break;
      default:
        plain.push_back(c);
    }
  }
  if (in_quote || comment_depth > 0) return {};
  return checked_address(plain);
}

std::optional<std::string> find_ticket_token(std::string_view subject) {
  std::size_t pos = 0;
  while ((pos = subject.find('[', pos)) != std::string_view::npos) {
    std::size_t i = pos + 1;
    if (i < subject.size() && subject[i] == '#') ++i;
    if (istarts_with(subject.substr(i), "sr")) {
      i += 2;
      const std::size_t digits_start = i;
      while (i < subject.size() && is_digit(subject[i])) ++i;
      const std::size_t n = i - digits_start;
      if (n >= 11 && n <= 20 && i < subject.size() && subject[i] == ']')
        return "SR" + std::string(subject.substr(digits_start, n));
    }
    ++pos;
  }
  return std::nullopt;
}

std::variant<mailgun_message, input_error> parse_mailgun(const form_fields& fields,
                                                         const std::vector<multipart_file>& files) {
  mailgun_message out;
  auto& m = out.msg;
  m.channel = "email";

  if (const auto* json = first_value(fields, "message-headers"); json && !trim(*json).empty()) {
    auto parsed = parse_message_headers(*json);
    if (auto* e = std::get_if<input_error>(&parsed)) return *e;
    out.headers = std::move(std::get<header_list>(parsed));
  }
  // Mailgun also posts every MIME header as its own field ("Message-Id", "In-Reply-To"); its own
  // fields are lower-case ("from", "body-plain"), so an upper-case first letter marks a header.
  {
    std::set<std::string> present;
    for (const auto& h : out.headers) present.insert(lower(h.first));
    for (const auto& [name, value] : fields) {
      if (name.empty() || name[0] < 'A' || name[0] > 'Z' || !is_header_name(name)) continue;
      if (present.insert(lower(name)).second) out.headers.emplace_back(name, value);
    }
  }
  const auto header = [&out](std::string_view name) -> std::string_view {
    const auto* v = find_header(out.headers, name);
    return v ? std::string_view(*v) : std::string_view{};
  };

  const auto* from_field = first_value(fields, "from");
  const auto* sender_field = first_value(fields, "sender");
  const std::string from_address = from_field ? bare_address(*from_field) : std::string{};
  const std::string sender_address = sender_field ? bare_address(*sender_field) : std::string{};
  m.from = !from_address.empty() ? from_address : sender_address;
  if (m.from.empty()) return input_error::missing_field;

  const auto* recipient = first_value(fields, "recipient");
  if (!recipient || trim(*recipient).empty()) return input_error::missing_field;
  m.to = bare_address(*recipient);
  if (m.to.empty()) m.to = lower(trim(*recipient));

  if (const auto* s = first_value(fields, "subject")) out.subject = *s;
  else out.subject = std::string(header("Subject"));
  if (const auto* ts = first_value(fields, "timestamp"); ts && all_digits(*ts) && ts->size() <= 18)
    std::from_chars(ts->data(), ts->data() + ts->size(), m.created_at);
  if (const auto* body = first_value(fields, "body-plain")) out.body_plain = *body;
  if (const auto* sig = first_value(fields, "stripped-signature")) out.stripped_signature = *sig;
  // stripped-text, even empty, is what the customer wrote; body-plain would feed our own quoted
  // prompt back into the dialog.
  const auto* stripped = first_value(fields, "stripped-text");
  m.text = stripped ? *stripped : out.body_plain;

  if (auto ids = message_ids(header("Message-Id")); !ids.empty()) out.message_id = ids.front();
  if (auto ids = message_ids(header("In-Reply-To")); !ids.empty()) out.in_reply_to = ids.front();
  out.references = message_ids(header("References"));

  // Loop prevention (RFC 3834, §3.6): never answer machines.
  {
    const auto* auto_submitted = find_header(out.headers, "Auto-Submitted");
    std::string_view auto_value = auto_submitted ? std::string_view(*auto_submitted) : std::string_view{};
    auto_value = trim(auto_value.substr(0, auto_value.find(';')));  // "auto-replied; owner-email=..."
    const auto precedence = lower(trim(header("Precedence")));
    out.auto_submitted =
        (auto_submitted && !iequals(auto_value, "no")) || precedence == "bulk" || precedence == "list" ||
        precedence == "junk" || precedence == "auto_reply" || find_header(out.headers, "X-Autoreply") ||
        find_header(out.headers, "X-Autorespond") || is_daemon_address(from_address) ||
        is_daemon_address(sender_address) || trim(header("Return-Path")) == "<>" ||
        (sender_field && trim(*sender_field).empty());
  }

  // Files: attachment-N only, in N order.
  std::vector<std::pair<std::size_t, const multipart_file*>> numbered;
  for (const auto& f : files)
    if (const auto n = attachment_index(f.name); n > 0) numbered.emplace_back(n, &f);
  std::stable_sort(numbered.begin(), numbered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (const auto* count = first_value(fields, "attachment-count")) {
    if (!all_digits(*count)) return input_error::malformed;
    if (count->size() > 4) return input_error::too_large;
    std::size_t expected = 0;
    std::from_chars(count->data(), count->data() + count->size(), expected);
    if (expected > multipart_max_parts) return input_error::too_large;
    if (numbered.size() < expected) return input_error::missing_field;
  }
  std::set<std::string> used_names;
  for (const auto& [n, f] : numbered) {
    attachment a;
    a.kind = kind_for_content_type(f->content_type);
    a.content_type = f->content_type;
    a.ref = storage_name(f->filename);
    if (a.ref.empty() || a.ref == "." || a.ref == ".." || used_names.count(lower(a.ref))) {
      a.ref = "attachment-" + std::to_string(n);
      for (int k = 2; used_names.count(lower(a.ref)); ++k)
        a.ref = "attachment-" + std::to_string(n) + "-" + std::to_string(k);
    }
    used_names.insert(lower(a.ref));
    m.attachments.push_back(std::move(a));
    out.files.push_back(mail_file{f->name, f->filename, f->content_type, f->bytes});
  }
  const bool blank = std::all_of(m.text.begin(), m.text.end(), is_wsp);
  m.kind = (blank && !m.attachments.empty()) ? m.attachments.front().kind : "text";

  if (!out.message_id.empty()) {
    m.provider_id = out.message_id;
  } else {
    // No Message-Id: derive a dedupe key from what a re-POST of the same mail repeats.
    digest d;
    for (const auto* name : {"sender", "from", "recipient", "subject", "body-plain"}) {
      const auto* v = first_value(fields, name);
      d.add(v ? std::string_view(*v) : std::string_view{});
    }
    d.add(header("Date"));
    for (const auto& f : out.files) {
      d.add(f.filename);
      d.add(f.bytes);
    }
    const auto hex = d.hex();
    if (hex.empty()) return input_error::malformed;  // OpenSSL failed: nothing to dedupe on
    m.provider_id = "derived:" + hex;
  }
  return out;
}

}  // namespace channels
