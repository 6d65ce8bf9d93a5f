#include "dialogs/extract_name.hpp"

#include <array>

namespace dialogs {
namespace {

constexpr std::array<std::string_view, 14> introductions{
    "我的名字是", "我的名字叫", "我叫", "姓名是", "姓名:", "姓名", "联系人是", "联系人:", "联系人", "my name is",
    "name is", "name:", "call me", "my name's"};

// Characters that end a surname search going backwards from a title: they belong to the words
// around a name ("是张先生", "联系王女士", "找李小姐"), not to it.
constexpr std::string_view not_surname[] = {"是", "叫", "我", "的", "找", "给", "请", "系", "位", "这", "那", "和",
                                            "跟", "个", "你", "您", "老", "姓", "打", "问", "谢", "好", "令", "对"};

bool is_cjk_char(std::string_view text, std::size_t i) { return is_cjk_at(text, i); }

// Start of the UTF-8 character that ends right before `pos` (pos > 0).
std::size_t previous_char(std::string_view text, std::size_t pos) {
  std::size_t i = pos - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return i;
}

bool capitalised_word_at(std::string_view source, std::size_t at) {
  return at < source.size() && source[at] >= 'A' && source[at] <= 'Z';
}

// Up to `max_words` capitalised ASCII words of `work` starting at `from` (folded offsets);
// returns the end offset, or `from` when the first word is not capitalised in the source.
std::size_t capitalised_words(std::string_view work, const folded_text& folded, std::string_view source,
                              std::size_t from, int max_words) {
  std::size_t end = from, i = from;
  for (int w = 0; w < max_words; ++w) {
    if (i >= work.size() || !is_ascii_alpha(work[i]) || !capitalised_word_at(source, folded.origin[i])) break;
    std::size_t j = i;
    while (j < work.size() && (is_ascii_alpha(work[j]) || work[j] == '\'' || work[j] == '-')) ++j;
    end = j;
    i = j;
    if (i < work.size() && work[i] == ' ') ++i;
  }
  return end;
}

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
    // "call me on +1 212...", "call me back": a way to reach them, not a name.
    if (intro == "call me") {
      bool not_a_name = false;
      for (std::string_view w : {"on", "at", "back", "any", "anytime", "after", "before", "today", "tomorrow", "asap",
                                 "please", "in", "when", "if", "via", "between"}) {
        const std::string_view rest = folded.substr(from);
        not_a_name = not_a_name || (rest.starts_with(w) && (rest.size() == w.size() || !is_ascii_alpha(rest[w.size()])));
      }
      if (not_a_name) continue;
    }
    const std::size_t end = name_end(folded, from);
    std::string name = clean(folded.substr(from, end - from));
    if (!name.empty()) return name_match{std::move(name), {pos, end}, {from, end}};
  }
  return std::nullopt;
}

std::optional<name_match> extract_name_in_passing(std::string_view work, const folded_text& folded,
                                                  std::string_view source) {
  auto from_source = [&](std::size_t b, std::size_t e) {
    return std::string(trim_answer(source.substr(folded.origin[b], folded.origin[e] - folded.origin[b])));
  };
  // 张先生, 王女士, 李小姐: one or two characters before the title.
  for (std::string_view title : {"先生", "女士", "小姐"}) {
    for (std::size_t pos = work.find(title); pos != std::string_view::npos; pos = work.find(title, pos + 1)) {
      std::size_t begin = pos;
      for (int k = 0; k < 2 && begin > 0; ++k) {
        const std::size_t prev = previous_char(work, begin);
        if (!is_cjk_char(work, prev)) break;
        const std::string_view ch = work.substr(prev, begin - prev);
        bool stop = false;
        for (std::string_view s : not_surname) stop = stop || ch == s;
        if (stop) break;
        begin = prev;
      }
      if (begin == pos) continue;
      const std::size_t end = pos + title.size();
      return name_match{from_source(begin, end), {begin, end}, {begin, end}};
    }
  }
  // 我姓李 / 免贵姓李: the surname alone.
  if (const std::size_t pos = work.find("姓"); pos != std::string_view::npos && pos + 3 < work.size() &&
                                                 is_cjk_char(work, pos + 3) && work.find("姓名") != pos) {
    const std::size_t begin = pos + 3, end = begin + 3;
    const std::string_view before = work.substr(0, pos);
    if (before.ends_with("我") || before.ends_with("免贵") || before.ends_with("本人") || pos == 0) {
      return name_match{from_source(begin, end), {pos, end}, {begin, end}};
    }
  }
  // Mr Zhang, Ms. Lee, Mrs Smith.
  for (std::string_view title : {"mr", "mrs", "ms", "miss", "dr"}) {
    for (std::size_t pos = find_word(work, title); pos != std::string_view::npos;
         pos = find_word(work, title, pos + 1)) {
      std::size_t i = pos + title.size();
      if (i < work.size() && work[i] == '.') ++i;
      if (i >= work.size() || work[i] != ' ') continue;
      ++i;
      const std::size_t end = capitalised_words(work, folded, source, i, 2);
      if (end > i) return name_match{from_source(pos, end), {pos, end}, {pos, end}};
    }
  }
  // I'm John Smith / this is Ann.
  for (std::string_view intro : {"i'm ", "i am ", "im ", "this is ", "it's ", "i’m "}) {
    for (std::size_t pos = work.find(intro); pos != std::string_view::npos; pos = work.find(intro, pos + 1)) {
      if (pos > 0 && is_ascii_alpha(work[pos - 1])) continue;
      const std::size_t i = pos + intro.size();
      const std::size_t end = capitalised_words(work, folded, source, i, 3);
      if (end > i) return name_match{from_source(i, end), {pos, end}, {i, end}};
    }
  }
  // Thanks, John / Regards, Ann Lee / Best, Tom — ending the message.
  for (std::string_view closing : {"thanks,", "thank you,", "regards,", "best,", "cheers,", "sincerely,", "thx,",
                                   "-- ", "- "}) {
    const std::size_t pos = work.rfind(closing);
    if (pos == std::string_view::npos) continue;
    std::size_t i = pos + closing.size();
    while (i < work.size() && (work[i] == ' ' || work[i] == '\n')) ++i;
    const std::size_t end = capitalised_words(work, folded, source, i, 3);
    if (end > i && trim_answer(work.substr(end)).empty()) {
      return name_match{from_source(i, end), {pos, end}, {i, end}};
    }
  }
  // "..., Ann Lee" / "... 0147. John Smith": a last clause of capitalised words only.
  {
    std::size_t end = work.size();
    while (end > 0 && (work[end - 1] == ' ' || work[end - 1] == '.' || work[end - 1] == '!' || work[end - 1] == '\n')) {
      --end;
    }
    std::size_t begin = end;
    while (begin > 0 && (is_ascii_alpha(work[begin - 1]) || work[begin - 1] == ' ' || work[begin - 1] == '\'' ||
                         work[begin - 1] == '-')) {
      --begin;
    }
    const bool after_break = begin == 0 || work[begin - 1] == ',' || work[begin - 1] == '.' ||
                             work[begin - 1] == '\n' || work[begin - 1] == '!';
    while (begin < end && work[begin] == ' ') ++begin;
    if (after_break && begin > 0 && begin < end && capitalised_words(work, folded, source, begin, 3) == end) {
      const std::string_view words = work.substr(begin, end - begin);
      bool stop = false;
      for (std::string_view w : {"thanks", "thank you", "regards", "please", "cheers", "hello", "hi", "bye", "best",
                                 "urgent", "help", "asap", "ok", "yes", "no", "sorry"}) {
        stop = stop || words == w || words.starts_with(std::string(w) + " ");
      }
      if (!stop) return name_match{from_source(begin, end), {begin, end}, {begin, end}};
    }
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
