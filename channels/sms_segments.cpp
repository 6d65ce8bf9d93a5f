// SMS alphabets and segments (channels.md §2.8; GSM 03.38 / 3GPP TS 23.038 tables).
#include "channels/sms_segments.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace channels {
namespace {

constexpr char32_t replacement = 0xFFFD;

// One character of the text: where its bytes are and what it costs in each alphabet.
struct sms_char {
  std::size_t offset = 0;
  std::size_t length = 0;
  char32_t cp = 0;
  int gsm = 0;   // septets in GSM-7: 1 basic table, 2 extension table (ESC + code), 0 not in GSM-7
  int ucs2 = 1;  // UTF-16 code units: 2 beyond the BMP (a surrogate pair)
};

// The basic table's non-ASCII characters (3GPP TS 23.038 §6.2.1). Sorted for binary search.
constexpr char32_t gsm_basic_non_ascii[] = {
    0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7, 0x00C9, 0x00D1, 0x00D6,
    0x00D8, 0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6, 0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6,
    0x00F8, 0x00F9, 0x00FC, 0x0393, 0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
};

int gsm_septets(char32_t cp) {
  if (cp == '\n' || cp == '\r') return 1;
  if (cp == '\f' || cp == 0x20AC) return 2;  // form feed and € live in the extension table
  if (cp >= 0x20 && cp < 0x7F) {
    switch (cp) {
      case '^': case '{': case '}': case '\\': case '[': case ']': case '~': case '|': return 2;
      case '`': return 0;  // the one printable ASCII character GSM-7 lacks
      default: return 1;
    }
  }
  return std::binary_search(std::begin(gsm_basic_non_ascii), std::end(gsm_basic_non_ascii), cp) ? 1 : 0;
}

// Decodes UTF-8 strictly; each byte that does not start a well-formed sequence becomes one
// U+FFFD character of its own, so nothing is lost and nothing is cut inside a sequence.
std::vector<sms_char> decode(std::string_view s) {
  std::vector<sms_char> out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    char32_t cp = replacement;
    if (b0 < 0x80) {
      cp = b0;
    } else {
      std::size_t extra = 0;
      unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
      char32_t value = 0;
      if (b0 >= 0xC2 && b0 <= 0xDF) {
        extra = 1, value = b0 & 0x1F;
      } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        extra = 2, value = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
      } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        extra = 3, value = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
      }
      bool ok = extra > 0 && i + extra < s.size();
      for (std::size_t k = 1; ok && k <= extra; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        const unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
        if (c < min || c > max) ok = false;
        value = (value << 6) | (c & 0x3F);
      }
      if (ok) {
        cp = value;
        len = extra + 1;
      }
    }
    sms_char ch;
    ch.offset = i;
    ch.length = len;
    ch.cp = cp;
    ch.gsm = gsm_septets(cp);
    ch.ucs2 = cp > 0xFFFF ? 2 : 1;
    out.push_back(ch);
    i += len;
  }
  return out;
}

struct measured {
  sms_encoding encoding = sms_encoding::gsm7;
  int units = 0;
  int segments = 0;
};

int cost(const sms_char& c, sms_encoding e) { return e == sms_encoding::gsm7 ? c.gsm : c.ucs2; }

// Segment boundaries (indices into cs) of cs[b, e) packed greedily; a character whose units
// would straddle a segment edge moves whole to the next segment.
std::vector<std::size_t> pack(const std::vector<sms_char>& cs, std::size_t b, std::size_t e, sms_encoding enc) {
  const int per = enc == sms_encoding::gsm7 ? gsm7_per_segment : ucs2_per_segment;
  std::vector<std::size_t> starts{b};
  int fill = 0;
  for (std::size_t i = b; i < e; ++i) {
    const int c = cost(cs[i], enc);
    if (fill + c > per) {
      starts.push_back(i);
      fill = 0;
    }
    fill += c;
  }
  return starts;
}

measured measure(const std::vector<sms_char>& cs, std::size_t b, std::size_t e) {
  measured m;
  bool gsm = true;
  int gsm_units = 0, ucs2_units = 0;
  for (std::size_t i = b; i < e; ++i) {
    gsm = gsm && cs[i].gsm > 0;
    gsm_units += cs[i].gsm;
    ucs2_units += cs[i].ucs2;
  }
  m.encoding = gsm ? sms_encoding::gsm7 : sms_encoding::ucs2;
  m.units = gsm ? gsm_units : ucs2_units;
  const int single = gsm ? gsm7_single : ucs2_single;
  if (m.units == 0) m.segments = 0;
  else if (m.units <= single) m.segments = 1;
  else m.segments = static_cast<int>(pack(cs, b, e, m.encoding).size());
  return m;
}

bool is_space(char32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x00A0 || cp == 0x3000;
}

// After these a cut reads naturally.
bool is_break_after(char32_t cp) {
  switch (cp) {
    case '.': case ',': case ';': case ':': case '!': case '?': case ')':
    case 0xFF0C: case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0xFF1A: case 0x3001: case 0xFF09:
      return true;
    default:
      return is_space(cp);
  }
}

// Characters that continue the preceding one (emoji modifiers and joiners, combining marks).
bool is_extend(char32_t cp) {
  return cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0x20E3 ||
         (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0xE0020 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

bool is_regional_indicator(char32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

// May a message end before cs[b]? Not inside an emoji sequence or between a flag's two halves.
bool cut_allowed(const std::vector<sms_char>& cs, std::size_t b) {
  if (b == 0 || b >= cs.size()) return true;
  if (is_extend(cs[b].cp) || cs[b - 1].cp == 0x200D) return false;
  if (is_regional_indicator(cs[b].cp) && is_regional_indicator(cs[b - 1].cp)) {
    std::size_t run = 0;
    for (std::size_t i = b; i > 0 && is_regional_indicator(cs[i - 1].cp); --i) ++run;
    return run % 2 == 0;
  }
  return true;
}

std::string_view bytes_of(std::string_view text, const std::vector<sms_char>& cs, std::size_t b, std::size_t e) {
  const std::size_t from = b < cs.size() ? cs[b].offset : text.size();
  const std::size_t to = e < cs.size() ? cs[e].offset : text.size();
  return text.substr(from, to - from);
}

}  // namespace

const char* to_string(sms_encoding e) { return e == sms_encoding::gsm7 ? "gsm7" : "ucs2"; }

sms_plan plan_sms(std::string_view utf8) {
  const auto cs = decode(utf8);
  const auto m = measure(cs, 0, cs.size());
  sms_plan plan;
  plan.encoding = m.encoding;
  plan.units = m.units;
  plan.segments = m.segments;
  if (m.segments == 1) {
    plan.parts.emplace_back(utf8);
  } else if (m.segments > 1) {
    auto starts = pack(cs, 0, cs.size(), m.encoding);
    starts.push_back(cs.size());
    for (std::size_t k = 0; k + 1 < starts.size(); ++k)
      plan.parts.emplace_back(bytes_of(utf8, cs, starts[k], starts[k + 1]));
  }
  return plan;
}

std::vector<std::string> split_sms(std::string_view utf8, int max_segments_per_message) {
  const int max_segments = std::max(1, max_segments_per_message);
  const auto cs = decode(utf8);
  std::vector<std::string> out;
  if (cs.empty()) return out;
  if (measure(cs, 0, cs.size()).segments <= max_segments) {
    out.emplace_back(utf8);
    return out;
  }
  // Here max_segments < segments <= characters, so these products cannot overflow.
  const std::size_t most_chars =
      static_cast<std::size_t>(std::max<std::int64_t>(gsm7_single, std::int64_t{gsm7_per_segment} * max_segments));
  std::size_t pos = 0;
  const std::size_t n = cs.size();
  while (pos < n) {
    std::size_t end;
    // Only a remainder of at most most_chars characters can fit (every character costs >= 1).
    if (n - pos <= most_chars && measure(cs, pos, n).segments <= max_segments) {
      end = n;
    } else {
      // Longest fitting prefix: segments(prefix) only grows with the prefix, so bisect.
      std::size_t lo = pos + 1, hi = std::min(n, pos + most_chars);
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo + 1) / 2;
        if (measure(cs, pos, mid).segments <= max_segments) lo = mid;
        else hi = mid - 1;
      }
      end = lo;
      // Prefer a cut after whitespace/punctuation near the end; else the latest allowed cut.
      const std::size_t window = std::max<std::size_t>(1, std::min<std::size_t>(40, (end - pos) / 5));
      std::size_t cut = 0;
      for (std::size_t b = end; b > pos && b + window > end; --b) {
        if (!cut_allowed(cs, b)) continue;
        if (is_break_after(cs[b - 1].cp) || (b < n && is_space(cs[b].cp))) {
          cut = b;
          break;
        }
      }
      if (cut == 0) {
        cut = end;
        while (cut > pos + 1 && !cut_allowed(cs, cut)) --cut;
        if (!cut_allowed(cs, cut)) cut = end;  // a "character" longer than a message: cut anyway
      }
      end = cut;
    }
    std::size_t last = end;
    while (end < n && last > pos && is_space(cs[last - 1].cp)) --last;
    if (last > pos) out.emplace_back(bytes_of(utf8, cs, pos, last));
    pos = end;
    while (pos < n && is_space(cs[pos].cp)) ++pos;
  }
  return out;
}

}  // namespace channels
