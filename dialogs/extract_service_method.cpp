#include "dialogs/extract_service_method.hpp"


namespace dialogs {
namespace {

struct phrase {
  std::string_view text;
  std::string_view method;
  bool needs_awaited;
};

// Longer phrases first within a method. A phrase right after a negation ("不要上门", "no need
// to come to my house") does not count; the search goes on after it ("不用上门,我自己送过去").
constexpr phrase phrases[] = {
    {"上门服务", "onsite", false},      {"上门维修", "onsite", false},       {"上门检修", "onsite", false},
    {"上门修", "onsite", false},        {"上门看", "onsite", false},         {"上门", "onsite", false},
    {"到家", "onsite", false},          {"来家里", "onsite", false},         {"来我家", "onsite", false},
    {"到我家", "onsite", false},        {"家里来", "onsite", false},         {"派人来", "onsite", false},
    {"派个师傅", "onsite", false},      {"派师傅", "onsite", false},         {"师傅来", "onsite", false},
    {"过来看", "onsite", false},        {"过来修", "onsite", false},         {"来修", "onsite", true},
    {"远程指导", "remote", false},      {"远程协助", "remote", false},       {"远程帮", "remote", false},
    {"远程看", "remote", false},        {"远程", "remote", true},            {"视频指导", "remote", false},
    {"电话指导", "remote", false},      {"视频", "remote", true},            {"线上指导", "remote", false},
    {"到店检测", "carry_in", false},    {"到店", "carry_in", false},         {"送修", "carry_in", false},
    {"寄修", "carry_in", false},        {"维修点", "carry_in", false},       {"服务点", "carry_in", false},
    {"售后点", "carry_in", false},      {"网点", "carry_in", false},         {"自己送", "carry_in", false},
    {"送过去", "carry_in", false},      {"送到", "carry_in", true},          {"拿过去", "carry_in", false},
    {"拿到店", "carry_in", false},      {"带过去", "carry_in", false},       {"门店", "carry_in", false},
    {"come to my house", "onsite", false}, {"come to my home", "onsite", false}, {"come to my place", "onsite", false},
    {"come to the house", "onsite", false}, {"come over", "onsite", false},  {"come out", "onsite", true},
    {"send someone", "onsite", false},  {"send a technician", "onsite", false}, {"send an engineer", "onsite", false},
    {"technician to come", "onsite", false}, {"engineer to come", "onsite", false}, {"someone to come", "onsite", false},
    {"home visit", "onsite", false},    {"house call", "onsite", false},     {"on-site", "onsite", false},
    {"onsite", "onsite", false},        {"on site", "onsite", false},        {"at my home", "onsite", true},
    {"at home", "onsite", true},        {"visit", "onsite", true},
    {"carry in", "carry_in", false},    {"carry-in", "carry_in", false},     {"bring it in", "carry_in", false},
    {"bring it to", "carry_in", false}, {"bring it over", "carry_in", false}, {"take it to", "carry_in", false},
    {"drop it off", "carry_in", false}, {"drop off", "carry_in", false},     {"service point", "carry_in", false},
    {"service center", "carry_in", false}, {"service centre", "carry_in", false}, {"repair shop", "carry_in", false},
    {"the store", "carry_in", true},    {"the shop", "carry_in", true},      {"bring in", "carry_in", true},
    {"remote assistance", "remote", false}, {"remote help", "remote", false}, {"remote support", "remote", false},
    {"remotely", "remote", false},      {"over the phone", "remote", false}, {"video call", "remote", false},
    {"walk me through", "remote", false}, {"remote", "remote", true},       {"by phone", "remote", true},
    {"phone call", "remote", true},     {"video", "remote", true},
};

// Negations that may stand right before a phrase (folded text; up to a few bytes of gap).
struct negation {
  std::string_view text;
  std::size_t max_gap;  // bytes allowed between it and the phrase
};
constexpr negation negations[] = {{"不要", 9}, {"不用", 9}, {"不需要", 9}, {"不想", 9}, {"不必", 9}, {"不能", 6},
                                  {"没法", 6}, {"无法", 6}, {"不方便", 6}, {"别", 0}, {"不", 0},
                                  {"no need to ", 12}, {"no need for ", 6}, {"don't ", 12}, {"do not ", 12},
                                  {"dont ", 12}, {"can't ", 6}, {"cannot ", 6}, {"not ", 3}, {"no ", 0}};

bool negated(std::string_view folded, std::size_t pos) {
  const std::string_view before = folded.substr(0, pos);
  for (const auto& [n, max_gap] : negations) {
    // Allow a short filler between ("不要让师傅上门", "不需要派人上门").
    const std::size_t from = before.size() > n.size() + max_gap ? before.size() - n.size() - max_gap : 0;
    const std::size_t at = before.rfind(n);
    if (at == std::string_view::npos || at < from) continue;
    const std::string_view gap = before.substr(at + n.size());
    // A clause break in between ends the negation's reach ("不急,上门吧").
    if (gap.find(',') != std::string_view::npos || gap.find("。") != std::string_view::npos ||
        gap.find('.') != std::string_view::npos) {
      continue;
    }
    // ASCII negations must start a word.
    if (is_ascii_alpha(n.front()) && at > 0 && is_ascii_alpha(before[at - 1])) continue;
    return true;
  }
  return false;
}

}  // namespace

std::optional<service_method_match> extract_service_method(std::string_view folded, bool awaited) {
  if (awaited) {
    const std::string_view answer = trim_answer(folded);
    // "2", "2号", "选2", "option 2" — a single digit standing alone.
    std::size_t digit_at = std::string_view::npos;
    int digits = 0;
    for (std::size_t i = 0; i < answer.size(); ++i) {
      if (is_ascii_digit(answer[i])) {
        ++digits;
        digit_at = i;
      }
    }
    if (digits == 1 && answer[digit_at] >= '1' && answer[digit_at] <= '3' && answer.size() <= 12) {
      static constexpr std::string_view by_number[] = {"remote", "onsite", "carry_in"};
      const std::size_t begin = static_cast<std::size_t>(answer.data() - folded.data()) + digit_at;
      return service_method_match{std::string(by_number[answer[digit_at] - '1']), {begin, begin + 1}};
    }
  }
  // The earliest phrase that is not negated wins; at one position the longest.
  std::optional<service_method_match> best;
  for (const phrase& p : phrases) {
    if (p.needs_awaited && !awaited) continue;
    for (std::size_t pos = find_word(folded, p.text); pos != std::string_view::npos;
         pos = find_word(folded, p.text, pos + 1)) {
      if (negated(folded, pos)) continue;
      const std::size_t end = pos + p.text.size();
      if (!best || pos < best->where.begin || (pos == best->where.begin && end > best->where.end)) {
        best = service_method_match{std::string(p.method), {pos, end}};
      }
      break;
    }
  }
  return best;
}

}  // namespace dialogs
