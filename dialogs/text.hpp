#pragma once
// UTF-8 text helpers shared by the extractors: sanitising, width folding, trimming,
// language detection. Pure functions; none of them throws on malformed input.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dialogs {

// A byte range [begin, end) inside a folded_text::text.
struct span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Text as the extractors see it: full-width forms folded to ASCII, Unicode dashes to '-',
// the ideographic space to ' ', ASCII letters lower-cased. `origin` maps each byte of `text`
// (plus one past the end) to its offset in the source, so a match can be traced back.
struct folded_text {
  std::string text;
  std::vector<std::size_t> origin;
};

// Folds `source` (see folded_text). Bytes that are not valid UTF-8 are copied unchanged.
folded_text fold(std::string_view source);

// fold(source).text without the offset map: for catalog names and codes, where nothing is traced
// back (cheaper, since it runs for every product on every message).
std::string fold_plain(std::string_view source);

// `source` with every invalid UTF-8 sequence replaced by U+FFFD and NUL bytes dropped, so
// anything stored in a conversation serialises to valid JSON.
std::string sanitise_utf8(std::string_view source);

// `text` without leading/trailing ASCII whitespace, ideographic spaces and the punctuation
// customers put around an answer (。,,.!?!?、~).
std::string_view trim_answer(std::string_view text);

// Number of code points in valid UTF-8 `text`.
std::size_t code_points(std::string_view text);

// The first `limit` code points of valid UTF-8 `text`.
std::string_view first_code_points(std::string_view text, std::size_t limit);

// "zh-CN" when `text` contains a CJK ideograph, "en" when it contains a Latin word (letters
// inside codes such as "ABC-2000" or "SN5612345" do not count), else `fallback`.
std::string detect_language(std::string_view text, std::string_view fallback);

// True when the code point starting at text[i] is a CJK ideograph (used for word boundaries).
bool is_cjk_at(std::string_view text, std::size_t i);

// True for a byte that is an ASCII letter or digit (folded text is lower case).
inline bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
inline bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// True when `text` contains `needle` as a whole word: ASCII needles must not touch an ASCII
// letter or digit on either side ("washer" is not in "dishwasher"); others match anywhere.
// Returns the position or std::string_view::npos.
std::size_t find_word(std::string_view text, std::string_view needle, std::size_t from = 0);

// True when a clause ends at text[i] (, ; ! ? line breaks, 。；！？…, and '.' unless between
// digits); `len` is then the length of the break in bytes. Folded text has ASCII , ; ! ?.
bool clause_break_at(std::string_view text, std::size_t i, std::size_t& len);

// Byte the dialog writes over text an extractor already used, so no other extractor reads it
// again; it is neither a letter, a digit, a space nor a dash, so it also ends every token.
inline constexpr char masked_byte = '\x1f';

// A code-like run in folded text (model numbers, serials): one to a few ASCII alphanumeric
// tokens separated only by spaces or dashes, upper-cased and joined ("abc 2000" -> "ABC2000").
struct code_candidate {
  std::string code;
  span where;
  std::size_t tokens = 0;
};

// Every candidate of 1..max_tokens tokens, ordered by start position and, at one start,
// longest first. Empty when the text has no ASCII letters or digits.
std::vector<code_candidate> code_candidates(std::string_view folded, std::size_t max_tokens = 4);

}  // namespace dialogs
