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

// A name given in passing, in the customer's spelling: a surname with a title ("张先生",
// "联系王女士"), "我姓李" ("李"), "Mr Zhang" / "Ms. Lee", "I'm John Smith" / "this is Ann"
// (capitalised words only, so "I'm not sure" is no name), or an e-mail sign-off ("Thanks,
// John" ending the message). `work` is the folded text (masked parts are skipped), `folded`
// maps it back to `source`. `name` holds the source spelling. nullopt when there is none.
std::optional<name_match> extract_name_in_passing(std::string_view work, const folded_text& folded,
                                                  std::string_view source);

// A free-text answer to "what is your name": `answer` trimmed of punctuation, without an
// introducing phrase, cut to max_name_code_points. Empty when nothing name-like is left.
std::string name_from_answer(std::string_view answer);

}  // namespace dialogs
