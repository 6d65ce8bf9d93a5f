#include "dialogs/extract_name.hpp"

#include <array>

namespace dialogs {
namespace {

constexpr std::array<std::string_view, 12> introductions{
    "我的名字是", "我的名字叫", "我叫", "姓名是", "姓名:", "姓名", "联系人:", "联系人", "my name is", "name is",
    "name:", "call me"};

// End of the name that starts at `from`: the next punctuation, digit or masked byte.
std::size_t name_end(std::string_view text, std::size_t from) {
  static constexpr std::string_view stops[] = {",", ".", ";", "!", "?", "\n", "。", "、", ":", "(", ")",
                                               "\x1f"};
  std::size_t end = text.size();
  for (std::string_view s : stops) {
    const std::size_t pos = text.find(s, from);
    if (pos < end) end = pos;
  }
  for (std::size_t i = from; i < end; ++i) {
    if (is_ascii_digit(text[i]) || text[i] == '+') return i;
  }
  return end;
}

std::string clean(std::string_view raw) {
  std::string_view name = trim_answer(raw);
  name = first_code_points(name, max_name_code_points);
  return std::string(trim_answer(name));
}

}  // namespace

std::optional<name_match> extract_name(std::string_view folded) {
  for (std::string_view intro : introductions) {
    const std::size_t pos = find_word(folded, intro);
    if (pos == std::string_view::npos) continue;
    std::size_t from = pos + intro.size();
    while (from < folded.size() && folded[from] == ' ') ++from;
    const std::size_t end = name_end(folded, from);
    std::string name = clean(folded.substr(from, end - from));
    if (!name.empty()) return name_match{std::move(name), {pos, end}, {from, end}};
  }
  return std::nullopt;
}

std::string name_from_answer(std::string_view answer) {
  std::string_view text = trim_answer(answer);
  for (std::string_view intro : introductions) {
    // Introductions are ASCII lower case or CJK; compare case-insensitively for ASCII.
    if (text.size() >= intro.size()) {
      bool same = true;
      for (std::size_t i = 0; i < intro.size() && same; ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        same = c == intro[i];
      }
      if (same) {
        text.remove_prefix(intro.size());
        break;
      }
    }
  }
  // A name has at least one letter or ideograph; "123" or "..." is not one.
  bool has_letter = false;
  for (std::size_t i = 0; i < text.size() && !has_letter; ++i) {
    has_letter = is_ascii_alpha(text[i]) || (static_cast<unsigned char>(text[i]) >= 0xC0);
  }
  if (!has_letter) return {};
  return clean(text);
}

}  // namespace dialogs
