#include "dialogs/extract_service_method.hpp"

#include <array>
#include <tuple>

namespace dialogs {
namespace {

struct phrase {
  std::string_view text;
  std::string_view method;
  bool needs_awaited;
};

// Longer phrases first. Negations ("不要上门") are not understood; the summary shows the
// method, so the customer can still correct it there.
constexpr std::array<phrase, 28> phrases{{
    {"上门服务", "onsite", false},     {"上门维修", "onsite", false},      {"上门", "onsite", false},
    {"到家", "onsite", false},         {"远程指导", "remote", false},      {"远程协助", "remote", false},
    {"远程", "remote", true},          {"视频指导", "remote", true},       {"电话指导", "remote", true},
    {"到店检测", "carry_in", false},   {"到店", "carry_in", false},        {"送修", "carry_in", false},
    {"维修点", "carry_in", false},     {"网点", "carry_in", true},         {"come to my house", "onsite", false},
    {"come to my home", "onsite", false}, {"home visit", "onsite", false}, {"on-site", "onsite", false},
    {"onsite", "onsite", false},       {"on site", "onsite", false},       {"visit", "onsite", true},
    {"carry in", "carry_in", false},   {"carry-in", "carry_in", false},    {"bring it in", "carry_in", false},
    {"service point", "carry_in", false}, {"drop off", "carry_in", true},  {"remote", "remote", true},
    {"video call", "remote", true},
}};

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
  for (const phrase& p : phrases) {
    if (p.needs_awaited && !awaited) continue;
    const std::size_t pos = find_word(folded, p.text);
    if (pos != std::string_view::npos) return service_method_match{std::string(p.method), {pos, pos + p.text.size()}};
  }
  return std::nullopt;
}

}  // namespace dialogs
