// WeChat push XML (channels.md §1.3, §1.4) into channel-neutral messages, and the passive reply
// XML (§1.6, §1.7.4).
#include "channels/wechat.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>

namespace channels::wechat {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
  return it != haystack.end();
}

// Tencent patched its samples in 2018 after XXE reports (§1.7.4, §1.13). pugixml never expands
// external entities and we parse without parse_doctype, but a push never legitimately declares
// a DTD, so refusing the raw text outright keeps this independent of parser flags. The cost is
// that a customer typing "<!DOCTYPE" into a chat message is refused too.
bool declares_dtd(std::string_view xml) {
  return contains_ignoring_case(xml, "<!DOCTYPE") || contains_ignoring_case(xml, "<!ENTITY");
}

// pugixml copies bytes through unchecked with encoding_utf8, and character references such as
// &#xD800; come out as encoded surrogates, so every field we hand on is checked here: no
// overlongs, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      extra = 1;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      extra = 2;
      if (b0 == 0xe0) lo = 0xa0;
      if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      extra = 3;
      if (b0 == 0xf0) lo = 0x90;
      if (b0 == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xbf;
      if (b < min || b > max) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string_view trim_ascii_space(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> to_int64(std::string_view text) {
  text = trim_ascii_space(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<double> to_double(std::string_view text) {
  text = trim_ascii_space(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// The text of the first child element `name`, joining every text and CDATA piece: a sender may
// split CDATA around "]]>" (as text_reply_xml does), and pugixml's child_value() returns only the
// first piece. nullopt when the element is absent.
std::optional<std::string> field(pugi::xml_node parent, const char* name) {
  const pugi::xml_node element = parent.child(name);
  if (!element) return std::nullopt;
  std::string text;
  for (const pugi::xml_node piece : element.children())
    if (piece.type() == pugi::node_pcdata || piece.type() == pugi::node_cdata) text += piece.value();
  return text;
}

std::string field_or_empty(pugi::xml_node parent, const char* name) {
  return field(parent, name).value_or(std::string{});
}

// Loads `xml` and returns its <xml> root, or the reason it cannot be used.
std::variant<pugi::xml_node, parse_error> load_root(pugi::xml_document& doc, std::string_view xml) {
  if (declares_dtd(xml)) return parse_error::doctype_refused;
  // No parse_doctype (so a DTD is skipped, never interpreted); UTF-8 forced so a BOM-less body is
  // not guessed to be another encoding.
  constexpr unsigned options = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol;
  const pugi::xml_parse_result result = doc.load_buffer(xml.data(), xml.size(), options, pugi::encoding_utf8);
  if (!result) return parse_error::malformed_xml;
  // pugixml tolerates several top-level elements; a push has exactly one, named xml (§1.3).
  std::size_t elements = 0;
  for (const pugi::xml_node node : doc.children())
    if (node.type() == pugi::node_element) ++elements;
  const pugi::xml_node root = doc.document_element();
  if (elements != 1 || std::string_view(root.name()) != "xml") return parse_error::malformed_xml;
  return root;
}

bool all_utf8(const inbound_message& m) {
  const std::string_view fields[] = {m.provider_id, m.from, m.to, m.kind, m.text, m.event, m.event_key,
                                     m.location_label};
  if (!std::all_of(std::begin(fields), std::end(fields), is_valid_utf8)) return false;
  return std::all_of(m.attachments.begin(), m.attachments.end(),
                     [](const attachment& a) { return is_valid_utf8(a.ref) && is_valid_utf8(a.kind); });
}

// A CDATA section cannot contain "]]>", so it is closed after "]]" and reopened before ">".
void append_cdata(std::string& out, std::string_view text) {
  out += "<![CDATA[";
  std::size_t pos = 0;
  for (std::size_t hit = text.find("]]>"); hit != std::string_view::npos; hit = text.find("]]>", pos)) {
    out.append(text.substr(pos, hit + 2 - pos));
    out += "]]><![CDATA[";
    pos = hit + 2;
  }
  out.append(text.substr(pos));
  out += "]]>";
}

void append_cdata_element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  append_cdata(out, text);
  out += "</";
  out += name;
  out += '>';
}

void append_number_element(std::string& out, std::string_view name, std::int64_t value) {
  out += '<';
  out += name;
  out += '>';
  out += std::to_string(value);
  out += "</";
  out += name;
  out += '>';
}

// Fills the event part of `m` from an <xml> whose MsgType is event.
std::optional<parse_error> read_event(pugi::xml_node root, inbound_message& m) {
  const std::optional<std::string> event = field(root, "Event");
  if (!event || event->empty()) return parse_error::missing_field;
  m.event = lower_ascii(*event);
  std::string key = field_or_empty(root, "EventKey");
  // Template-message delivery reports carry the id of our template message as MsgID (capital
  // ID, §1.4) and the outcome in Status; that id is the key the bot can match on.
  if (m.event == "templatesendjobfinish") {
    key = field_or_empty(root, "MsgID");
    m.text = field_or_empty(root, "Status");
  }
  // Events have no MsgId; several can share a second, so the event and its key join the
  // sender and time in the dedupe key (§1.5).
  m.provider_id = m.from + "|" + std::to_string(m.created_at) + "|" + *event;
  if (!key.empty()) m.provider_id += "|" + key;
  // A follow through a parametric QR code says qrscene_<scene> while the SCAN of an existing
  // follower says <scene> (§1.4); strip the prefix so both give the bot the same scene value.
  constexpr std::string_view qr_prefix = "qrscene_";
  if (m.event == "subscribe" && key.starts_with(qr_prefix)) key.erase(0, qr_prefix.size());
  m.event_key = std::move(key);

  if (m.event == "location") {
    const std::optional<std::string> lat = field(root, "Latitude");
    const std::optional<std::string> lon = field(root, "Longitude");
    if (!lat || !lon) return parse_error::missing_field;
    m.latitude = to_double(*lat);
    m.longitude = to_double(*lon);
    if (!m.latitude || !m.longitude) return parse_error::malformed_xml;
  }
  return std::nullopt;
}

// Fills the message-type specific part of `m` for a non-event MsgType.
std::optional<parse_error> read_message(pugi::xml_node root, const std::string& type, inbound_message& m) {
  constexpr std::string_view known[] = {"text", "image", "voice", "video", "shortvideo", "location", "link"};
  if (std::find(std::begin(known), std::end(known), type) == std::end(known)) return parse_error::unsupported;
  const std::optional<std::string> msg_id = field(root, "MsgId");
  if (!msg_id || trim_ascii_space(*msg_id).empty()) return parse_error::missing_field;
  m.provider_id = std::string(trim_ascii_space(*msg_id));

  if (type == "text") {
    std::optional<std::string> content = field(root, "Content");
    if (!content) return parse_error::missing_field;
    m.text = std::move(*content);
  } else if (type == "image") {
    std::string ref = field_or_empty(root, "MediaId");
    if (ref.empty()) ref = field_or_empty(root, "PicUrl");
    if (ref.empty()) return parse_error::missing_field;
    m.attachments.push_back({"image", std::move(ref), {}});
  } else if (type == "voice") {
    std::string ref = field_or_empty(root, "MediaId");
    if (ref.empty()) return parse_error::missing_field;
    m.text = field_or_empty(root, "Recognition");
    m.attachments.push_back({"voice", std::move(ref), {}});
  } else if (type == "video" || type == "shortvideo") {
    std::string ref = field_or_empty(root, "MediaId");
    if (ref.empty()) return parse_error::missing_field;
    m.attachments.push_back({"video", std::move(ref), {}});
  } else if (type == "location") {
    const std::optional<std::string> lat = field(root, "Location_X");
    const std::optional<std::string> lon = field(root, "Location_Y");
    if (!lat || !lon) return parse_error::missing_field;
    m.latitude = to_double(*lat);
    m.longitude = to_double(*lon);
    if (!m.latitude || !m.longitude) return parse_error::malformed_xml;
    m.location_label = field_or_empty(root, "Label");
  } else if (type == "link") {
    // The neutral message has no link fields; the URL is the part a person or a rule can act on.
    std::optional<std::string> url = field(root, "Url");
    if (!url) return parse_error::missing_field;
    m.text = std::move(*url);
  } else {
    return parse_error::unsupported;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(parse_error e) {
  switch (e) {
    case parse_error::malformed_xml: return "malformed_xml";
    case parse_error::doctype_refused: return "doctype_refused";
    case parse_error::missing_field: return "missing_field";
    case parse_error::not_utf8: return "not_utf8";
    case parse_error::unsupported: return "unsupported";
  }
  return "unknown";
}

std::variant<envelope, parse_error> parse_envelope(std::string_view xml) {
  pugi::xml_document doc;
  const auto root = load_root(doc, xml);
  if (const auto* error = std::get_if<parse_error>(&root)) return *error;
  const pugi::xml_node node = std::get<pugi::xml_node>(root);

  std::optional<std::string> encrypt = field(node, "Encrypt");
  if (!encrypt || encrypt->empty()) return parse_error::missing_field;
  // Only Encrypt is needed: the receiver is proven by the appid inside the ciphertext (§1.7.2),
  // so a push without ToUserName is still usable.
  envelope out{field_or_empty(node, "ToUserName"), std::move(*encrypt)};
  if (!is_valid_utf8(out.to_user) || !is_valid_utf8(out.encrypt)) return parse_error::not_utf8;
  return out;
}

std::variant<inbound_message, parse_error> parse_message(std::string_view xml) {
  pugi::xml_document doc;
  const auto loaded = load_root(doc, xml);
  if (const auto* error = std::get_if<parse_error>(&loaded)) return *error;
  const pugi::xml_node root = std::get<pugi::xml_node>(loaded);

  inbound_message m;
  m.channel = "wechat";
  const std::optional<std::string> to = field(root, "ToUserName");
  const std::optional<std::string> from = field(root, "FromUserName");
  const std::optional<std::string> create_time = field(root, "CreateTime");
  const std::optional<std::string> msg_type = field(root, "MsgType");
  if (!to || to->empty() || !from || from->empty() || !create_time || !msg_type || msg_type->empty())
    return parse_error::missing_field;
  const std::optional<std::int64_t> created_at = to_int64(*create_time);
  if (!created_at) return parse_error::malformed_xml;
  m.to = *to;
  m.from = *from;
  m.created_at = *created_at;

  const std::string type = lower_ascii(*msg_type);
  m.kind = type == "shortvideo" ? "video" : type;
  const std::optional<parse_error> error = type == "event" ? read_event(root, m) : read_message(root, type, m);
  if (error) return *error;
  if (!all_utf8(m)) return parse_error::not_utf8;
  return m;
}

std::string text_reply_xml(std::string_view to, std::string_view from, std::int64_t create_time,
                           std::string_view content) {
  std::string out;
  out.reserve(200 + to.size() + from.size() + content.size());
  out += "<xml>";
  append_cdata_element(out, "ToUserName", to);
  append_cdata_element(out, "FromUserName", from);
  append_number_element(out, "CreateTime", create_time);
  append_cdata_element(out, "MsgType", "text");
  append_cdata_element(out, "Content", content);
  out += "</xml>";
  return out;
}

std::string encrypted_reply_xml(std::string_view encrypt_b64, std::string_view msg_signature,
                                std::int64_t timestamp, std::string_view nonce) {
  std::string out;
  out.reserve(200 + encrypt_b64.size() + msg_signature.size() + nonce.size());
  out += "<xml>";
  append_cdata_element(out, "Encrypt", encrypt_b64);
  append_cdata_element(out, "MsgSignature", msg_signature);
  append_number_element(out, "TimeStamp", timestamp);
  append_cdata_element(out, "Nonce", nonce);
  out += "</xml>";
  return out;
}

}  // namespace channels::wechat
