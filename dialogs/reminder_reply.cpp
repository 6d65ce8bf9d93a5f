#include "dialogs/reminder_reply.hpp"

#include "dialogs/text.hpp"

#include <array>
#include <cctype>
#include <string>

namespace dialogs {
namespace {

// Removes `word` from the front or the back of `s` when it is there.
bool strip_edge(std::string& s, std::string_view word) {
  if (s.size() > word.size() && s.starts_with(word)) {
    s.erase(0, word.size());
    return true;
  }
  if (s.size() > word.size() && s.ends_with(word)) {
    s.erase(s.size() - word.size());
    return true;
  }
  return false;
}

// Folded text without spaces and punctuation (ASCII and CJK), polite words at the edges removed.
std::string core_of(std::string_view text) {
  const std::string folded = fold_plain(text);
  std::string out;
  for (std::size_t i = 0; i < folded.size();) {
    const unsigned char c = static_cast<unsigned char>(folded[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    std::size_t len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : 2;
    const std::string_view ch = std::string_view{folded}.substr(i, len);
    static constexpr std::array<std::string_view, 10> punctuation{"，", "。", "！", "？", "、", "～", "…", "；", "：", "·"};
    bool skip = false;
    for (auto p : punctuation) skip = skip || ch == p;
    if (!skip) out.append(ch);
    i += len;
  }
  static constexpr std::array<std::string_view, 12> polite{"谢谢", "谢谢你", "麻烦了", "please", "thanks", "thankyou",
                                                           "了", "的", "啊", "呢", "吧", "哦"};
  for (bool again = true; again;) {
    again = false;
    for (auto w : polite) again = strip_edge(out, w) || again;
  }
  return out;
}

}  // namespace

reminder_answer read_reminder_answer(std::string_view text) {
  const std::string core = core_of(text);
  if (core.empty()) return reminder_answer::none;
  static constexpr std::array<std::string_view, 16> no{"不需要", "不要", "不用", "暂时不需要", "暂不需要", "先不用", "算",
                                                       "不约", "no", "n", "nope", "notnow", "nothanks", "skip",
                                                       "notneeded", "dontneed"};
  static constexpr std::array<std::string_view, 17> yes{"需要", "要", "好", "好啊", "可以", "是", "预约", "约", "行",
                                                        "yes", "y", "ok", "okay", "sure", "yep", "book", "yesplease"};
  for (auto w : no)
    if (core == w) return reminder_answer::no;
  for (auto w : yes)
    if (core == w) return reminder_answer::yes;
  return reminder_answer::none;
}

}  // namespace dialogs
