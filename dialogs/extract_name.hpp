#pragma once
// Finds the customer's name when they introduce themselves ("我叫张伟", "my name is Ann Lee").

#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace dialogs {

// Longest name we keep, in code points; longer answers are cut (a name field, not a letter).
inline constexpr std::size_t max_name_code_points = 40;

struct name_match {
  std::string name;  // as the customer wrote it (folded text: ASCII is lower case)
  span where;        // in the folded text, including the introducing phrase
  span value;        // in the folded text, the name alone (map back to the source for case)
};

// The words after an introducing phrase (我叫, 我的名字是, 姓名, 联系人, my name is, name:,
// call me), up to the next punctuation or digit. Returns nullopt when there is no such phrase
// or nothing follows it.
std::optional<name_match> extract_name(std::string_view folded);

// A free-text answer to "what is your name": `answer` trimmed of punctuation, without an
// introducing phrase, cut to max_name_code_points. Empty when nothing name-like is left.
std::string name_from_answer(std::string_view answer);

}  // namespace dialogs
