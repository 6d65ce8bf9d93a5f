// multipart/form-data (RFC 7578) on RFC 2046 §5.1.1 framing. Written by hand because no Debian
// C++ library offers a strict, bounded parser; every structural rule below is checked, never
// guessed around.
#include "channels/multipart.hpp"

#include <algorithm>
#include <utility>

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

// RFC 9110 tchar: header names and parameter names.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 2046 bchars, plus the rule that the last character is not a space.
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
  });
}

// `value; name=token; name="quoted"` as used by Content-Type and Content-Disposition.
struct parameterised {
  std::string value;                                        // lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, in order
};

// Unquoted parameter values: anything printable but separators; bytes >= 0x80 pass (raw UTF-8
// filenames are common and are validated later).
bool is_bare_value_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u > 0x20 && u != 0x7F && c != ';' && c != '"' && c != ',');
}

std::optional<parameterised> parse_parameterised(std::string_view text) {
  parameterised out;
  std::size_t i = text.find(';');
  out.value = lower(trim_ows(text.substr(0, i)));
  if (out.value.empty()) return std::nullopt;
  while (i < text.size()) {
    ++i;  // past ';'
    while (i < text.size() && is_ows(text[i])) ++i;
    if (i == text.size()) break;  // a trailing ';' is tolerated
    const std::size_t name_start = i;
    while (i < text.size() && is_tchar(text[i])) ++i;
    std::string name = lower(text.substr(name_start, i - name_start));
    while (i < text.size() && is_ows(text[i])) ++i;
    if (name.empty() || i == text.size() || text[i] != '=') return std::nullopt;
    ++i;
    while (i < text.size() && is_ows(text[i])) ++i;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      // quoted-string. \" and \\ are escapes; any other backslash is kept, because browsers
      // send Windows paths (C:\dir\x.txt) unescaped.
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
          value.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
        value.push_back(c);
        ++i;
      }
      if (!closed) return std::nullopt;
    } else {
      const std::size_t value_start = i;
      while (i < text.size() && is_bare_value_char(text[i])) ++i;
      value.assign(text.substr(value_start, i - value_start));
      if (value.empty()) return std::nullopt;
    }
    while (i < text.size() && is_ows(text[i])) ++i;
    if (i < text.size() && text[i] != ';') return std::nullopt;
    for (const auto& p : out.params)
      if (p.first == name) return std::nullopt;  // a repeated parameter is ambiguous
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

const std::string* param(const parameterised& p, std::string_view name) {
  for (const auto& [k, v] : p.params)
    if (k == name) return &v;
  return nullptr;
}

// RFC 5987 ext-value: charset'language'percent-encoded. Only UTF-8 is accepted.
std::variant<std::string, input_error> decode_ext_value(std::string_view v) {
  const auto q1 = v.find('\'');
  const auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return input_error::malformed;
  if (!iequals(v.substr(0, q1), "utf-8")) return input_error::unsupported;
  auto decoded = percent_decode(v.substr(q2 + 1), false);
  if (!decoded) return input_error::malformed;
  if (!valid_utf8(*decoded)) return input_error::not_utf8;
  return std::move(*decoded);
}

struct part_headers {
  std::optional<std::string> disposition;
  std::string content_type;
  std::string transfer_encoding;
};

// Parses the header block at the start of `part` (which ends just before the next delimiter).
// On success `content_start` is the offset of the content.
std::variant<part_headers, input_error> parse_part_headers(std::string_view part, std::size_t& content_start) {
  part_headers h;
  bool seen_type = false, seen_encoding = false;
  std::size_t pos = 0;
  while (true) {
    const auto eol = part.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      // The header block runs into the next delimiter (or past the limit) without a blank line.
      return part.size() > multipart_max_header_block ? input_error::too_large : input_error::malformed;
    }
    if (eol + 2 > multipart_max_header_block) return input_error::too_large;
    const auto line = part.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;
    if (line.find_first_of("\r\n") != std::string_view::npos) return input_error::malformed;  // bare CR/LF
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return input_error::malformed;
    const auto name = line.substr(0, colon);
    if (!is_token(name)) return input_error::malformed;  // also refuses folded continuation lines
    const auto value = trim_ows(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F; }))
      return input_error::malformed;
    if (iequals(name, "content-disposition")) {
      if (h.disposition) return input_error::malformed;
      h.disposition.emplace(value);
    } else if (iequals(name, "content-type")) {
      if (seen_type) return input_error::malformed;
      seen_type = true;
      h.content_type.assign(value);
    } else if (iequals(name, "content-transfer-encoding")) {
      if (seen_encoding) return input_error::malformed;
      seen_encoding = true;
      h.transfer_encoding = lower(value);
    }
    // Other headers are allowed by RFC 7578 and ignored.
  }
  content_start = pos;
  return h;
}

}  // namespace

std::optional<std::string> boundary_from_content_type(std::string_view content_type) {
  const auto parsed = parse_parameterised(content_type);
  if (!parsed || parsed->value != "multipart/form-data") return std::nullopt;
  const auto* b = param(*parsed, "boundary");
  if (!b || !valid_boundary(*b)) return std::nullopt;
  return *b;
}

std::variant<multipart_body, input_error> parse_multipart(std::string_view body, std::string_view boundary) {
  if (!valid_boundary(boundary)) return input_error::malformed;
  const std::string dash_boundary = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash_boundary;

  // The first delimiter either opens the body or follows a preamble line.
  std::size_t pos;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    pos = dash_boundary.size();
  } else {
    const auto first = body.find(delimiter);
    if (first == std::string_view::npos) return input_error::malformed;
    pos = first + delimiter.size();
  }

  multipart_body out;
  std::size_t parts = 0;
  while (true) {
    // `pos` is just past a "--boundary": the closing "--", or transport padding and CRLF.
    if (body.substr(pos, 2) == "--") {
      if (parts == 0) return input_error::malformed;  // RFC 2046: at least one body part
      return out;                                     // the epilogue, if any, is ignored
    }
    while (pos < body.size() && is_ows(body[pos])) ++pos;
    if (body.substr(pos, 2) != "\r\n") return input_error::malformed;
    pos += 2;

    if (++parts > multipart_max_parts) return input_error::too_large;
    const auto next = body.find(delimiter, pos);
    if (next == std::string_view::npos) return input_error::malformed;  // no closing delimiter
    const auto part = body.substr(pos, next - pos);
    pos = next + delimiter.size();

    std::size_t content_start = 0;
    auto headers = parse_part_headers(part, content_start);
    if (auto* e = std::get_if<input_error>(&headers)) return *e;
    const auto& h = std::get<part_headers>(headers);
    if (!h.disposition) return input_error::missing_field;
    if (!h.transfer_encoding.empty() && h.transfer_encoding != "7bit" && h.transfer_encoding != "8bit" &&
        h.transfer_encoding != "binary")
      return input_error::unsupported;

    const auto disposition = parse_parameterised(*h.disposition);
    if (!disposition || disposition->value != "form-data") return input_error::malformed;
    const auto* name = param(*disposition, "name");
    if (!name || name->empty()) return input_error::missing_field;
    if (!valid_utf8(*name)) return input_error::not_utf8;
    const auto content = part.substr(content_start);

    std::optional<std::string> filename;
    if (const auto* ext = param(*disposition, "filename*")) {
      auto decoded = decode_ext_value(*ext);
      if (auto* e = std::get_if<input_error>(&decoded)) return *e;
      filename = std::move(std::get<std::string>(decoded));
    } else if (const auto* plain = param(*disposition, "filename")) {
      if (!valid_utf8(*plain)) return input_error::not_utf8;
      filename = *plain;
    }

    if (filename) {
      out.files.push_back(multipart_file{*name, std::move(*filename), h.content_type, std::string(content)});
    } else {
      if (!valid_utf8(content)) return input_error::not_utf8;
      out.fields.emplace_back(*name, std::string(content));
    }
  }
}

}  // namespace channels
