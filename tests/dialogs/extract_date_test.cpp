#include "dialogs/extract_date.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

namespace {
constexpr local_date today{2026, 5, 12};
}

TEST_CASE("extract_date reads absolute and relative purchase dates", "[dialogs][date]") {
  // expected "" = no date; a trailing "~" marks an approximate (month-level) answer.
  auto [language, input, expected] = GENERATE(table<std::string, std::string, std::string>({
      {"zh-CN", "2025-03-15", "2025-03-15"},
      {"zh-CN", "2025/3/15", "2025-03-15"},
      {"zh-CN", "2025.3.15", "2025-03-15"},
      {"zh-CN", "２０２５－０３－１５", "2025-03-15"},
      {"zh-CN", "2025年3月15日", "2025-03-15"},
      {"zh-CN", "2025年3月15号", "2025-03-15"},
      {"zh-CN", "2025 年 3 月 15 日买的", "2025-03-15"},
      {"zh-CN", "二〇二五年三月十五日", "2025-03-15"},
      {"zh-CN", "25年3月15号", "2025-03-15"},
      {"zh-CN", "去年3月15号", "2025-03-15"},
      {"zh-CN", "去年三月十五", "2025-03-15"},
      {"zh-CN", "前年12月1日", "2024-12-01"},
      {"zh-CN", "今年1月2日", "2026-01-02"},
      {"zh-CN", "3月15号买的", "2026-03-15"},
      {"zh-CN", "6月1号", "2025-06-01"},
      {"zh-CN", "去年3月", "2025-03-01~"},
      {"zh-CN", "2024年5月", "2024-05-01~"},
      {"zh-CN", "2024-05", "2024-05-01~"},
      {"zh-CN", "昨天", "2026-05-11"},
      {"zh-CN", "前天刚买", "2026-05-10"},
      {"zh-CN", "3天前", "2026-05-09"},
      {"zh-CN", "两个月前", "2026-03-12~"},
      {"zh-CN", "半年前", "2025-11-12~"},
      {"zh-CN", "一年前", "2025-05-12~"},
      {"zh-CN", "15/03/2025", "2025-03-15"},
      {"en", "3/15/2025", "2025-03-15"},
      {"en", "15/3/2025", "2025-03-15"},
      {"en", "March 15, 2025", "2025-03-15"},
      {"en", "mar 15 2025", "2025-03-15"},
      {"en", "15 March 2025", "2025-03-15"},
      {"en", "the 15th of March 2025", "2025-03-15"},
      {"en", "March 2025", "2025-03-01~"},
      {"en", "last March", "2025-03-01~"},
      {"en", "last March 15", "2025-03-15"},
      {"en", "March 15 last year", "2025-03-15"},
      {"en", "March 15", "2026-03-15"},
      {"en", "Sept 3rd, 2024", "2024-09-03"},
      {"en", "yesterday", "2026-05-11"},
      {"en", "3 weeks ago", "2026-04-21~"},
      {"en", "two months ago", "2026-03-12~"},
      {"en", "a year ago", "2025-05-12~"},
      {"en", "I bought it in 2025-03-15 at a shop", "2025-03-15"},
      {"zh-CN", "2025-02-30", ""},
      {"zh-CN", "2025-13-01", ""},
      {"zh-CN", "13800135678", ""},
      {"zh-CN", "138-0013-5678", ""},
      {"zh-CN", "SN5612345", ""},
      {"zh-CN", "去年", "2025-01-01~"},
      {"zh-CN", "改一下日期", ""},
      {"en", "may I ask", ""},
      {"en", "the washer is broken", ""},
      {"zh-CN", "", ""},
  }));
  CAPTURE(language, input);
  const auto m = extract_date(fold(input).text, today, language);
  std::string got;
  if (m) got = format_date(m->date) + (m->approximate ? "~" : "");
  CHECK(got == expected);
}

TEST_CASE("extract_date returns future dates so the dialog can refuse them", "[dialogs][date]") {
  const auto m = extract_date(fold("2026-06-01").text, today, "zh-CN");
  REQUIRE(m);
  CHECK(after(m->date, today));
  CHECK_FALSE(after(local_date{2026, 5, 12}, today));
}

TEST_CASE("parse_iso_date accepts only real YYYY-MM-DD dates", "[dialogs][date]") {
  CHECK(parse_iso_date("2024-02-29").has_value());
  CHECK_FALSE(parse_iso_date("2025-02-29"));
  CHECK_FALSE(parse_iso_date("2025-3-15"));
  CHECK_FALSE(parse_iso_date("20250315"));
  CHECK_FALSE(parse_iso_date(""));
}
