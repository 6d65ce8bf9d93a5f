#pragma once
// Pieces of the date reader (dialogs/extract_date.cpp) shared with the requested-date reader
// (dialogs/extract_requested_date.cpp): a cursor over folded text and the small readers that
// move it. Not for other callers; extract_date() and extract_requested_date() are the API.

#include "dialogs/text.hpp"

#include <cstddef>
#include <string_view>

namespace dialogs::date_parts {

// A position in folded text (see fold()) that the readers below advance on success.
struct cursor {
  std::string_view s;
  std::size_t i = 0;

  bool eat(std::string_view literal) {
    if (s.substr(i).starts_with(literal)) {
      i += literal.size();
      return true;
    }
    return false;
  }
  void spaces() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  bool digit_here() const { return i < s.size() && is_ascii_digit(s[i]); }
  bool alpha_here() const { return i < s.size() && is_ascii_alpha(s[i]); }
};

// A number at the cursor: 1-4 Arabic digits, or Chinese numerals ("十五", "二十一", "二〇二五").
// Sets `digits` to the number of digits read (2 for 十..九十九). False (cursor unmoved) when
// there is none or an Arabic run is longer than 4 digits.
bool number(cursor& c, int& value, int& digits);

// An English month name or abbreviation ("march", "mar", "sept") as a whole word, with an
// optional trailing '.': 1..12, or 0 (cursor unmoved) when there is none.
int month_name(cursor& c);

// `word` as a whole ASCII word at the cursor; false (cursor unmoved) otherwise.
bool english_word(cursor& c, std::string_view word);

// A day of the month: "15", "15th", "1st" (1-2 digits, not followed by a letter or digit).
bool english_day(cursor& c, int& d);

// A count from one to ten as a whole English word: "a", "one" .. "ten". False (cursor
// unmoved) otherwise; digits are the caller's (each reader bounds them its own way).
bool english_count_word(cursor& c, int& n);

}  // namespace dialogs::date_parts
