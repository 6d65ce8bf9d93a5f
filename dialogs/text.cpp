#include "dialogs/text.hpp"

namespace dialogs {
namespace {

// Decodes the UTF-8 sequence at s[i]. Returns its length (1..4) and sets `cp`; returns 0 for
// an invalid, overlong or truncated sequence.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The ASCII character a code point folds to, or 0 when it stays as it is. Chinese input
// methods produce full-width letters, digits and dashes; customers copy serials from web
// pages with typographic dashes.
char fold_to_ascii(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return static_cast<char>(cp - 0xFEE0);
  if (cp == 0x3000 || cp == 0x00A0) return ' ';
  if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE63 || cp == 0x30FC) return '-';
  return 0;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x20000 && cp <= 0x2FA1F);
}

}  // namespace

folded_text fold(std::string_view source) {
  folded_text out;
  out.text.reserve(source.size());
  out.origin.reserve(source.size() + 1);
  std::size_t i = 0;
  while (i < source.size()) {
    char32_t cp = 0;
    const std::size_t len = decode(source, i, cp);
    if (len == 0) {  // keep the stray byte so offsets stay honest
      out.text += source[i];
      out.origin.push_back(i);
      ++i;
      continue;
    }
    char ascii = cp < 0x80 ? static_cast<char>(cp) : fold_to_ascii(cp);
    if (ascii != 0) {
      if (ascii >= 'A' && ascii <= 'Z') ascii = static_cast<char>(ascii - 'A' + 'a');
      out.text += ascii;
      out.origin.push_back(i);
    } else {
      for (std::size_t k = 0; k < len; ++k) {
        out.text += source[i + k];
        out.origin.push_back(i + k);
      }
    }
    i += len;
  }
  out.origin.push_back(source.size());
  return out;
}

std::string fold_plain(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  std::size_t i = 0;
  while (i < source.size()) {
    char32_t cp = 0;
    const std::size_t len = decode(source, i, cp);
    if (len == 0) {
      out += source[i++];
      continue;
    }
    char ascii = cp < 0x80 ? static_cast<char>(cp) : fold_to_ascii(cp);
    if (ascii != 0) {
      if (ascii >= 'A' && ascii <= 'Z') ascii = static_cast<char>(ascii - 'A' + 'a');
      out += ascii;
    } else {
      out.append(source.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string sanitise_utf8(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  std::size_t i = 0;
  while (i < source.size()) {
    char32_t cp = 0;
    const std::size_t len = decode(source, i, cp);
    if (len == 0) {
      append_utf8(out, 0xFFFD);
      ++i;
    } else {
      if (cp != 0) out.append(source.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string_view trim_answer(std::string_view text) {
  // Multi-byte punctuation is matched as whole UTF-8 sequences.
  static constexpr std::string_view multi[] = {"\u3000", "\u3002", "\uFF0C", "\uFF0E", "\uFF01", "\uFF1F",
                                               "\u3001", "\uFF5E", "\u00A0"};
  auto strip_front = [&](std::string_view& t) {
    if (t.empty()) return false;
    if (std::string_view(" \t\r\n,.!?~;").find(t.front()) != std::string_view::npos) {
      t.remove_prefix(1);
      return true;
    }
    for (auto m : multi) {
      if (t.starts_with(m)) {
        t.remove_prefix(m.size());
        return true;
      }
    }
    return false;
  };
  auto strip_back = [&](std::string_view& t) {
    if (t.empty()) return false;
    if (std::string_view(" \t\r\n,.!?~;").find(t.back()) != std::string_view::npos) {
      t.remove_suffix(1);
      return true;
    }
    for (auto m : multi) {
      if (t.ends_with(m)) {
        t.remove_suffix(m.size());
        return true;
      }
    }
    return false;
  };
  while (strip_front(text)) {
  }
  while (strip_back(text)) {
  }
  return text;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string_view first_code_points(std::string_view text, std::size_t limit) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (n == limit) return text.substr(0, i);
      ++n;
    }
  }
  return text;
}

bool is_cjk_at(std::string_view text, std::size_t i) {
  if (i >= text.size()) return false;
  char32_t cp = 0;
  return decode(text, i, cp) != 0 && is_cjk(cp);
}

std::string detect_language(std::string_view text, std::string_view fallback) {
  // Letters inside a code ("ABC-2000", "SN5612345") say nothing about the customer's language:
  // only runs of letters/digits/dashes without a digit count as Latin words.
  bool latin = false;
  bool run_has_letter = false, run_has_digit = false;
  auto end_run = [&] {
    if (run_has_letter && !run_has_digit) latin = true;
    run_has_letter = run_has_digit = false;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    const std::size_t len = decode(text, i, cp);
    if (len == 0) {
      end_run();
      ++i;
      continue;
    }
    if (is_cjk(cp)) return "zh-CN";
    const char ascii = cp < 0x80 ? static_cast<char>(cp) : fold_to_ascii(cp);
    if (is_ascii_alpha(ascii)) {
      run_has_letter = true;
    } else if (is_ascii_digit(ascii)) {
      run_has_digit = true;
    } else if (ascii != '-') {
      end_run();
    }
    i += len;
  }
  end_run();
  return latin ? std::string("en") : std::string(fallback);
}

std::size_t find_word(std::string_view text, std::string_view needle, std::size_t from) {
  if (needle.empty()) return std::string_view::npos;
  const bool ascii_word = is_ascii_alnum(needle.front()) || is_ascii_alnum(needle.back());
  for (std::size_t pos = text.find(needle, from); pos != std::string_view::npos;
       pos = text.find(needle, pos + 1)) {
    if (!ascii_word) return pos;
    const bool left_ok = pos == 0 || !is_ascii_alnum(text[pos - 1]) || !is_ascii_alnum(needle.front());
    const std::size_t end = pos + needle.size();
    const bool right_ok = end >= text.size() || !is_ascii_alnum(text[end]) || !is_ascii_alnum(needle.back());
    if (left_ok && right_ok) return pos;
  }
  return std::string_view::npos;
}

std::vector<code_candidate> code_candidates(std::string_view folded, std::size_t max_tokens) {
  std::vector<span> tokens;
  for (std::size_t i = 0; i < folded.size();) {
    if (!is_ascii_alnum(folded[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < folded.size() && is_ascii_alnum(folded[j])) ++j;
    tokens.push_back({i, j});
    i = j;
  }
  // Tokens join only across a short gap of spaces and dashes ("ABC - 2000", "SN 561 2345").
  auto joinable = [&](std::size_t k) {
    const std::size_t from = tokens[k - 1].end, to = tokens[k].begin;
    if (to - from > 3) return false;
    for (std::size_t i = from; i < to; ++i) {
      if (folded[i] != ' ' && folded[i] != '-') return false;
    }
    return true;
  };
  std::vector<code_candidate> out;
  for (std::size_t first = 0; first < tokens.size(); ++first) {
    std::size_t last = first;
    while (last + 1 < tokens.size() && last + 1 - first < max_tokens && joinable(last + 1)) ++last;
    for (std::size_t end = last + 1; end > first; --end) {
      code_candidate c;
      c.where = {tokens[first].begin, tokens[end - 1].end};
      c.tokens = end - first;
      for (std::size_t k = first; k < end; ++k) {
        for (std::size_t i = tokens[k].begin; i < tokens[k].end; ++i) {
          const char ch = folded[i];
          c.code += (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

bool clause_break_at(std::string_view s, std::size_t i, std::size_t& len) {
  const char c = s[i];
  if (c == ',' || c == ';' || c == '!' || c == '?' || c == '\n' || c == '\r') {
    len = 1;
    return true;
  }
  // '.' ends a clause unless it sits between digits ("2025.3.15" was masked anyway) or letters ("s/n.").
  if (c == '.') {
    len = 1;
    return !(i > 0 && i + 1 < s.size() && is_ascii_digit(s[i - 1]) && is_ascii_digit(s[i + 1]));
  }
  for (std::string_view p : {"。", "；", "！", "？", "…"}) {
    if (s.substr(i, p.size()) == p) {
      len = p.size();
      return true;
    }
  }
  return false;
}

}  // namespace dialogs
