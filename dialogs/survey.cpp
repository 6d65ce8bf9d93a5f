#include "dialogs/survey.hpp"

#include "dialogs/text.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

namespace dialogs {
namespace {

struct word {
  std::string_view text;
  survey_score score;
};

constexpr survey_score sat = survey_score::satisfied;
constexpr survey_score neu = survey_score::neutral;
constexpr survey_score dis = survey_score::dissatisfied;

// Read longest first (sorted_words()), so "不满意" is read before "满意" can be, and
// "not bad" before "bad" (a matched phrase is blanked out).
constexpr word words[] = {
    {"非常不满意", dis}, {"很不满意", dis},     {"不太满意", dis},    {"不是很满意", dis}, {"不满意", dis},
    {"不好", dis},       {"不行", dis},         {"很差", dis},        {"太差", dis},       {"极差", dis},
    {"差评", dis},       {"差劲", dis},         {"垃圾", dis},        {"失望", dis},       {"糟糕", dis},
    {"很烂", dis},       {"太烂", dis},         {"不专业", dis},      {"态度差", dis},     {"态度不好", dis},
    {"中评", neu},       {"一般般", neu},       {"一般", neu},        {"还行", neu},       {"还可以", neu},
    {"凑合", neu},       {"马马虎虎", neu},     {"过得去", neu},      {"普普通通", neu},   {"没有不满意", sat},
    {"非常满意", sat},   {"很满意", sat},       {"挺满意", sat},      {"满意", sat},       {"五星好评", sat},
    {"好评", sat},       {"非常好", sat},       {"很好", sat},        {"挺好", sat},       {"不错", sat},
    {"很棒", sat},       {"太棒", sat},         {"棒", sat},          {"点赞", sat},       {"赞", sat},
    {"very dissatisfied", dis}, {"dissatisfied", dis}, {"unsatisfied", dis}, {"not satisfied", dis},
    {"not happy", dis},  {"unhappy", dis},      {"not good", dis},    {"not great", dis},  {"terrible", dis},
    {"awful", dis},      {"horrible", dis},     {"poor", dis},        {"bad", dis},        {"worst", dis},
    {"disappointed", dis}, {"disappointing", dis}, {"thumbs down", dis}, {"so-so", neu},   {"so so", neu},
    {"neutral", neu},    {"average", neu},      {"mediocre", neu},    {"okay", neu},       {"ok", neu},
    {"fine", neu},       {"alright", neu},      {"meh", neu},         {"not bad", neu},    {"very satisfied", sat},
    {"satisfied", sat},  {"happy", sat},        {"very good", sat},   {"good", sat},       {"great", sat},
    {"excellent", sat},  {"perfect", sat},      {"awesome", sat},     {"amazing", sat},    {"fantastic", sat},
    {"thumbs up", sat},  {"well done", sat},    {"\xF0\x9F\x91\x8D", sat} /* 👍 */,
    {"\xF0\x9F\x91\x8E", dis} /* 👎 */, {"\xF0\x9F\x98\xA1", dis} /* 😡 */, {"\xF0\x9F\x98\x8A", sat} /* 😊 */,
};

const std::vector<word>& sorted_words() {
  static const std::vector<word> sorted = [] {
    std::vector<word> v(std::begin(words), std::end(words));
    std::stable_sort(v.begin(), v.end(), [](const word& a, const word& b) { return a.text.size() > b.text.size(); });
    return v;
  }();
  return sorted;
}

constexpr std::array<std::string_view, 10> chinese_numerals{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};

survey_score from_stars(int stars) {
  if (stars >= 4) return sat;
  if (stars == 3) return neu;
  return dis;
}

survey_score from_option(int n) {
  switch (n) {
    case 1: return sat;
    case 2: return neu;
    case 3: return dis;
    default: return from_stars(n);
  }
}

survey_score from_ten(int points) {
  if (points >= 8) return sat;
  if (points >= 5) return neu;
  return dis;
}

bool is_question(std::string_view folded) {
  for (std::string_view q : {"?", "吗", "多久", "什么时候", "怎么", "为什么", "when", "why", "how"}) {
    if (find_word(folded, q) != std::string_view::npos) return true;
  }
  return false;
}

struct signal {
  survey_score score;
  span where;  // in the folded text
};

// Separators and filler a comment does not start or end with.
std::string_view trim_comment(std::string_view text) {
  for (bool changed = true; changed;) {
    changed = false;
    const std::string_view before = text;
    text = trim_answer(text);
    for (std::string_view f : {"分", "星", "吧", "了", "的", ":", "-", "/", "，", "：", "!", "、"}) {
      if (text.starts_with(f)) text.remove_prefix(f.size());
      if (text.ends_with(f) && f != "的" && f != "了") text.remove_suffix(f.size());
    }
    changed = text.size() != before.size();
  }
  return text;
}

}  // namespace

std::string_view to_string(survey_score s) {
  switch (s) {
    case survey_score::satisfied: return "satisfied";
    case survey_score::neutral: return "neutral";
    case survey_score::dissatisfied: return "dissatisfied";
    case survey_score::unknown: return "unknown";
    case survey_score::ambiguous: return "ambiguous";
  }
  return "unknown";
}

survey_reply parse_survey_reply(std::string_view text, std::string_view language) {
  (void)language;  // both languages' words are always read; kept for future tie-breaking
  survey_reply out;
  const std::string clean = sanitise_utf8(text.substr(0, 2000));
  const folded_text folded = fold(clean);
  std::string work = folded.text;
  const std::string_view answer = trim_answer(work);
  if (answer.empty()) return out;
  const std::size_t answer_at = static_cast<std::size_t>(answer.data() - work.data());

  std::vector<signal> signals;
  auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < work.size(); ++i) work[i] = masked_byte;
  };

  // A number at the start: an option (1/2/3), stars ("4星", "5 stars", "4/5") or points ("9分").
  std::size_t i = answer_at;
  int value = -1;
  std::size_t digits = 0;
  while (i < work.size() && is_ascii_digit(work[i]) && digits < 3) {
    value = (value < 0 ? 0 : value * 10) + (work[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0) {
    for (std::size_t n = 0; n < chinese_numerals.size(); ++n) {
      const std::string_view num = chinese_numerals[n];
      const std::string_view rest = std::string_view(work).substr(answer_at);
      if (rest.starts_with(num)) {
        const std::string_view after = rest.substr(num.size());
        if (after.starts_with("星") || after.starts_with("颗星") || after.starts_with("分")) {
          value = static_cast<int>(n);
          i = answer_at + num.size();
          digits = 1;
        }
        break;
      }
    }
  }
  if (digits > 0 && digits <= 2 && !(i < work.size() && (is_ascii_digit(work[i]) || work[i] == '.'))) {
    std::size_t j = i;
    while (j < work.size() && work[j] == ' ') ++j;
    const std::string_view rest = std::string_view(work).substr(j);
    bool star = false, ten = false;
    std::size_t unit = 0;
    for (std::string_view u : {"颗星", "星", "stars", "star"}) {
      if (rest.starts_with(u) && !(u.front() == 's' && rest.size() > u.size() && is_ascii_alpha(rest[u.size()]))) {
        star = true;
        unit = u.size();
        break;
      }
    }
    if (!star) {
      for (std::string_view u : {"/5", "out of 5", "of 5"}) {
        if (rest.starts_with(u)) {
          star = true;
          unit = u.size();
          break;
        }
      }
    }
    if (!star) {
      for (std::string_view u : {"/10", "out of 10", "分", "points", "point"}) {
        if (rest.starts_with(u)) {
          ten = true;
          unit = u.size();
          break;
        }
      }
    }
    const bool touches_letter = !star && !ten && i < work.size() && is_ascii_alpha(work[i]);
    if (!touches_letter) {
      const std::size_t end = (star || ten) ? j + unit : i;
      if (star && value >= 1 && value <= 5) {
        out.stars = value;
        signals.push_back({from_stars(value), {answer_at, end}});
      } else if (ten && value >= 0 && value <= 10) {
        signals.push_back({from_ten(value), {answer_at, end}});
      } else if (!star && !ten && value >= 1 && value <= 5) {
        if (value >= 4) out.stars = value;
        signals.push_back({from_option(value), {answer_at, end}});
      }
      if (!signals.empty()) blank(answer_at, end);
      // "1 or 3", "2还是3": two options given, which is no answer.
      if (!signals.empty()) {
        std::string_view rest = trim_answer(std::string_view(work).substr(end));
        for (std::string_view joiner : {"or", "还是", "或者", "或", "/", "-", "~"}) {
          if (rest.starts_with(joiner)) rest = trim_answer(rest.substr(joiner.size()));
        }
        if (rest.size() == 1 && rest[0] >= '1' && rest[0] <= '5' && rest[0] - '0' != value) {
          signals.push_back({survey_score::ambiguous, {end, work.size()}});
        }
      }
    }
  }

  // Star characters: ★★★★☆ counts the filled ones; ⭐ too.
  {
    int filled = 0;
    std::size_t first = std::string::npos, last = 0;
    for (std::string_view star : {"\xE2\x98\x85", "\xE2\xAD\x90"}) {  // ★ ⭐
      for (std::size_t pos = work.find(star); pos != std::string::npos; pos = work.find(star, pos + star.size())) {
        ++filled;
        first = std::min(first, pos);
        last = std::max(last, pos + star.size());
      }
    }
    if (filled >= 1 && filled <= 5) {
      for (std::size_t pos = work.find("\xE2\x98\x86"); pos != std::string::npos;  // ☆
           pos = work.find("\xE2\x98\x86", pos + 3)) {
        last = std::max(last, pos + 3);
      }
      out.stars = filled;
      signals.push_back({from_stars(filled), {first, last}});
      blank(first, last);
    }
  }

  const bool question = is_question(work);
  if (!question || !signals.empty()) {
    for (const word& w : sorted_words()) {
      for (std::size_t pos = find_word(work, w.text); pos != std::string_view::npos;
           pos = find_word(work, w.text, pos + 1)) {
        signals.push_back({w.score, {pos, pos + w.text.size()}});
        blank(pos, pos + w.text.size());
      }
    }
  }
  if (signals.empty()) return out;

  out.score = signals.front().score;
  for (const signal& s : signals) {
    if (s.score != out.score) out.score = survey_score::ambiguous;
  }
  // Two option numbers or two star ratings would also have disagreed above; equal ones agree.

  // The comment: the message without a score at its start or end, in the customer's spelling.
  std::size_t from = answer_at, to = answer_at + answer.size();
  std::vector<span> spans;
  for (const signal& s : signals) spans.push_back(s.where);
  for (bool moved = true; moved;) {
    moved = false;
    const std::string_view inner = trim_comment(std::string_view(folded.text).substr(from, to - from));
    from = static_cast<std::size_t>(inner.data() - folded.text.data());
    to = from + inner.size();
    // Each move strictly shrinks [from, to), so this ends.
    for (const span& s : spans) {
      if (from >= to) break;
      if (s.begin == from && s.end > from) {
        from = std::min(s.end, to);
        moved = true;
      } else if (s.end == to && s.begin < to && s.begin >= from) {
        to = s.begin;
        moved = true;
      }
    }
  }
  if (from < to) {
    const std::size_t src_from = folded.origin[from], src_to = folded.origin[to];
    out.comment = std::string(trim_comment(std::string_view(clean).substr(src_from, src_to - src_from)));
  }
  return out;
}

}  // namespace dialogs
