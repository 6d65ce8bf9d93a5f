// Twilio inbound webhook (channels.md §2): signature, SMS/MMS fields, keywords, empty TwiML.
#include "channels/twilio.hpp"

#include <openssl/crypto.h>
#include <pugixml.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <sstream>
#include <vector>

namespace channels {
namespace {

// Twilio accepts at most 10 media per MMS; a larger NumMedia is not Twilio talking.
constexpr int max_media = 10;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string encode_base64(const unsigned char* bytes, std::size_t n) {
  std::string out((n + 2) / 3 * 4 + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
  out.resize(written < 0 ? 0 : static_cast<std::size_t>(written));
  return out;
}

const std::string* first_value(const form_fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return &v;
  return nullptr;
}

// The pieces of an http(s) URL needed for port normalisation.
struct url_shape {
  std::string_view default_port;  // "443" or "80"
  std::size_t host_end = 0;       // offset just past the host (where ":port" would go)
  std::size_t authority_end = 0;  // offset of the first '/', '?' or '#' after the authority
  bool has_port = false;
};

std::optional<url_shape> shape_of(std::string_view url) {
  url_shape shape;
  std::size_t start;
  if (istarts_with(url, "https://")) {
    shape.default_port = "443";
    start = 8;
  } else if (istarts_with(url, "http://")) {
    shape.default_port = "80";
    start = 7;
  } else {
    return std::nullopt;
  }
  shape.authority_end = std::min(url.find_first_of("/?#", start), url.size());
  const auto authority = url.substr(start, shape.authority_end - start);
  // user:password@ may precede the host (Twilio supports credentials in webhook URLs).
  const auto at = authority.rfind('@');
  const std::size_t host_start = start + (at == std::string_view::npos ? 0 : at + 1);
  const auto host_port = url.substr(host_start, shape.authority_end - host_start);
  std::size_t colon = std::string_view::npos;
  if (!host_port.empty() && host_port.front() == '[') {  // IPv6 literal: the port follows ']'
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (close + 1 < host_port.size()) {
      if (host_port[close + 1] != ':') return std::nullopt;
      colon = close + 1;
    }
  } else {
    colon = host_port.rfind(':');
  }
  shape.has_port = colon != std::string_view::npos;
  shape.host_end = host_start + (shape.has_port ? colon : host_port.size());
  return shape;
}

// The URL as given plus its default-port twin, if any.
std::vector<std::string> url_variants(std::string_view url) {
  const auto shape = shape_of(url);
  if (!shape) return {};
  std::vector<std::string> out{std::string(url)};
  std::string u(url);
  if (!shape->has_port) {
    out.push_back(u.substr(0, shape->host_end) + ":" + std::string(shape->default_port) + u.substr(shape->host_end));
  } else if (url.substr(shape->host_end + 1, shape->authority_end - shape->host_end - 1) == shape->default_port) {
    out.push_back(u.substr(0, shape->host_end) + u.substr(shape->authority_end));
  }
  return out;
}

bool is_e164(std::string_view s) {
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string kind_for_content_type(std::string_view content_type) {
  if (istarts_with(content_type, "image/")) return "image";
  if (istarts_with(content_type, "video/")) return "video";
  if (istarts_with(content_type, "audio/")) return "voice";
  return "file";
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Strips one layer of separators the keyword check ignores; returns true when it removed any.
bool strip_space_front(std::string_view& s) {
  static constexpr std::string_view nbsp = "\xC2\xA0", ideographic_space = "\xE3\x80\x80";
  if (!s.empty() && (s.front() == ' ' || (s.front() >= '\t' && s.front() <= '\r'))) {
    s.remove_prefix(1);
    return true;
  }
  for (auto sp : {nbsp, ideographic_space})
    if (s.substr(0, sp.size()) == sp) {
      s.remove_prefix(sp.size());
      return true;
    }
  return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool strip_space_back(std::string_view& s) {
  static constexpr std::string_view nbsp = "\xC2\xA0", ideographic_space = "\xE3\x80\x80";
  if (!s.empty() && (s.back() == ' ' || (s.back() >= '\t' && s.back() <= '\r'))) {
    s.remove_suffix(1);
    return true;
  }
  for (auto sp : {nbsp, ideographic_space})
    if (ends_with(s, sp)) {
      s.remove_suffix(sp.size());
      return true;
    }
  return false;
}

}  // namespace

std::string twilio_signature(std::string_view auth_token, std::string_view url, const form_fields& params) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs(params.begin(), params.end());
  std::sort(pairs.begin(), pairs.end());  // byte-wise by key, then by value
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::string data(url);
  for (const auto& [k, v] : pairs) {
    data += k;
    data += v;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &mac_len))
    return {};
  return encode_base64(mac.data(), mac_len);
}

bool verify_twilio_signature(std::string_view auth_token, std::string_view url, const form_fields& params,
                             std::string_view header_value) {
  if (auth_token.empty()) return false;
  bool ok = false;
  for (const auto& candidate : url_variants(url)) {
    const auto expected = twilio_signature(auth_token, candidate, params);
    // Lengths are public (always 28); only the bytes are compared in constant time.
    if (!expected.empty() && expected.size() == header_value.size() &&
        CRYPTO_memcmp(expected.data(), header_value.data(), expected.size()) == 0)
      ok = true;
  }
  return ok;
}

std::variant<inbound_message, input_error> parse_twilio_sms(const form_fields& fields) {
  inbound_message m;
  m.channel = "sms";
  const auto* sid = first_value(fields, "MessageSid");
  if (!sid || sid->empty()) return input_error::missing_field;
  m.provider_id = *sid;
  const auto* from = first_value(fields, "From");
  if (!from || from->empty()) return input_error::missing_field;
  if (!is_e164(*from)) return input_error::malformed;
  m.from = *from;
  if (const auto* to = first_value(fields, "To")) m.to = *to;
  if (const auto* body = first_value(fields, "Body")) m.text = *body;

  int num_media = 0;
  if (const auto* n = first_value(fields, "NumMedia")) {
    if (n->empty() || !std::all_of(n->begin(), n->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return input_error::malformed;
    if (n->size() > 9) return input_error::too_large;  // keeps from_chars within int
    std::from_chars(n->data(), n->data() + n->size(), num_media);
    if (num_media > max_media) return input_error::too_large;
  }
  for (int i = 0; i < num_media; ++i) {
    const auto index = std::to_string(i);
    const auto* url = first_value(fields, "MediaUrl" + index);
    if (!url || url->empty()) return input_error::missing_field;
    attachment a;
    a.ref = *url;
    if (const auto* type = first_value(fields, "MediaContentType" + index)) a.content_type = *type;
    a.kind = kind_for_content_type(a.content_type);
    m.attachments.push_back(std::move(a));
  }
  m.kind = (is_blank(m.text) && !m.attachments.empty()) ? m.attachments.front().kind : "text";
  return m;
}

bool is_twilio_media_url(std::string_view url) {
  if (!istarts_with(url, "https://")) return false;
  auto authority = url.substr(8, std::min(url.find_first_of("/?#", 8), url.size()) - 8);
  // Credentials or a port in a media URL are not Twilio's shape; refuse rather than parse them.
  if (authority.find_first_of("@:[]\\") != std::string_view::npos) return false;
  return iequals(authority, "api.twilio.com") ||
         (authority.size() > 11 && iequals(authority.substr(authority.size() - 11), ".twilio.com"));
}

sms_keyword classify_sms_keyword(std::string_view body) {
  while (strip_space_front(body)) {
  }
  while (strip_space_back(body)) {
  }
  // One trailing full stop or exclamation mark ("Stop." "退订。") still means the keyword.
  for (std::string_view mark : {".", "!", "\xE3\x80\x82" /* 。 */, "\xEF\xBC\x81" /* ！ */})
    if (ends_with(body, mark)) {
      body.remove_suffix(mark.size());
      while (strip_space_back(body)) {
      }
      break;
    }
  if (body.empty() || body.size() > 16) return sms_keyword::none;
  std::string word(body);
  std::transform(word.begin(), word.end(), word.begin(), ascii_upper);
  struct entry {
    std::string_view word;
    sms_keyword keyword;
  };
  static constexpr entry table[] = {
      {"STOP", sms_keyword::stop},   {"STOPALL", sms_keyword::stop}, {"UNSUBSCRIBE", sms_keyword::stop},
      {"CANCEL", sms_keyword::stop}, {"END", sms_keyword::stop},     {"QUIT", sms_keyword::stop},
      {"REVOKE", sms_keyword::stop}, {"OPTOUT", sms_keyword::stop},
      {"\xE9\x80\x80\xE8\xAE\xA2" /* 退订 */, sms_keyword::stop},
      {"START", sms_keyword::start}, {"YES", sms_keyword::start},    {"UNSTOP", sms_keyword::start},
      {"HELP", sms_keyword::help},   {"INFO", sms_keyword::help},
  };
  for (const auto& e : table)
    if (word == e.word) return e.keyword;
  return sms_keyword::none;
}

const char* to_string(sms_keyword k) {
  switch (k) {
    case sms_keyword::none: return "none";
    case sms_keyword::stop: return "stop";
    case sms_keyword::start: return "start";
    case sms_keyword::help: return "help";
  }
  return "none";
}

std::string empty_twiml() { return R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)"; }

std::string twiml_messages(const std::vector<std::string>& bodies) {
  if (bodies.empty()) return empty_twiml();
  pugi::xml_document doc;
  auto declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  auto response = doc.append_child("Response");
  for (const auto& body : bodies) {
    std::string text;
    text.reserve(body.size());
    for (char c : body)
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') text += c;
    response.append_child("Message").append_child(pugi::node_pcdata).set_value(text.c_str());
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

}  // namespace channels
