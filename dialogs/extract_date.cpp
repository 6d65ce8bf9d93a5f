#include "dialogs/extract_date.hpp"

#include "dialogs/date_parts.hpp"

#include <date/date.h>

#include <array>
#include <cstdio>

namespace dialogs {

// ---- pieces shared with extract_requested_date (dialogs/date_parts.hpp) ----

namespace date_parts {
namespace {

// Chinese numeral characters customers use in dates; value -1 is 十 (ten).
constexpr std::array<std::pair<std::string_view, int>, 13> chinese_digits{{{"〇", 0},
                                                                           {"零", 0},
                                                                           {"一", 1},
                                                                           {"二", 2},
                                                                           {"两", 2},
                                                                           {"三", 3},
                                                                           {"四", 4},
                                                                           {"五", 5},
                                                                           {"六", 6},
                                                                           {"七", 7},
                                                                           {"八", 8},
                                                                           {"九", 9},
                                                                           {"十", -1}}};

}  // namespace

bool number(cursor& c, int& value, int& digits) {
  if (c.digit_here()) {
    std::size_t j = c.i;
    value = 0;
    while (j < c.s.size() && is_ascii_digit(c.s[j]) && j - c.i < 5) value = value * 10 + (c.s[j++] - '0');
    digits = static_cast<int>(j - c.i);
    if (digits > 4) return false;
    c.i = j;
    return true;
  }
  // Every Chinese numeral is a 3-byte UTF-8 sequence starting with 0xE3..0xE9.
  if (c.i >= c.s.size() || static_cast<unsigned char>(c.s[c.i]) < 0xE3) return false;
  int seq[4] = {0, 0, 0, 0};
  int count = 0;
  std::size_t j = c.i;
  while (count < 4) {
    bool found = false;
    for (auto [text, v] : chinese_digits) {
      if (c.s.substr(j).starts_with(text)) {
        seq[count++] = v;
        j += text.size();
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  if (count == 0) return false;
  int tens_at = -1;
  for (int k = 0; k < count; ++k) {
    if (seq[k] == -1) {
      if (tens_at >= 0) return false;
      tens_at = k;
    }
  }
  if (tens_at < 0) {  // plain digit string: 二〇二五, 三
    value = 0;
    for (int k = 0; k < count; ++k) value = value * 10 + seq[k];
    digits = count;
  } else {  // 十, 十五, 二十, 二十一
    if (tens_at > 1 || count - tens_at > 2) return false;
    const int high = tens_at == 1 ? seq[0] : 1;
    const int low = tens_at + 1 < count ? seq[tens_at + 1] : 0;
    if (high < 1 || low < 0) return false;
    value = high * 10 + low;
    digits = 2;
  }
  c.i = j;
  return true;
}

int month_name(cursor& c) {
  static constexpr std::array<std::string_view, 12> names{"january", "february", "march",     "april",
                                                          "may",     "june",     "july",      "august",
                                                          "september", "october", "november", "december"};
  if (c.i > 0 && is_ascii_alpha(c.s[c.i - 1])) return 0;
  for (std::size_t k = 0; k < names.size(); ++k) {
    for (std::string_view form : {names[k], names[k].substr(0, 3), std::string_view(k == 8 ? "sept" : "")}) {
      if (form.empty()) continue;
      cursor probe = c;
      if (probe.eat(form) && !probe.alpha_here()) {
        c = probe;
        c.eat(".");
        return static_cast<int>(k) + 1;
      }
    }
  }
  return 0;
}

bool english_word(cursor& c, std::string_view word) {
  if (c.i > 0 && is_ascii_alpha(c.s[c.i - 1])) return false;
  cursor probe = c;
  if (!probe.eat(word) || probe.alpha_here()) return false;
  c = probe;
  return true;
}

bool english_day(cursor& c, int& d) {
  cursor probe = c;
  int value = 0, digits = 0;
  if (!probe.digit_here() || !number(probe, value, digits) || digits > 2) return false;
  for (std::string_view suffix : {"st", "nd", "rd", "th"}) {
    if (probe.eat(suffix)) break;
  }
  if (probe.alpha_here() || probe.digit_here()) return false;
  c = probe;
  d = value;
  return true;
}

bool english_count_word(cursor& c, int& n) {
  static constexpr std::array<std::pair<std::string_view, int>, 11> words{{{"a", 1},
                                                                           {"one", 1},
                                                                           {"two", 2},
                                                                           {"three", 3},
                                                                           {"four", 4},
                                                                           {"five", 5},
                                                                           {"six", 6},
                                                                           {"seven", 7},
                                                                           {"eight", 8},
                                                                           {"nine", 9},
                                                                           {"ten", 10}}};
  for (auto [word, v] : words) {
    if (english_word(c, word)) {
      n = v;
      return true;
    }
  }
  return false;
}

}  // namespace date_parts

std::optional<local_date> make_date(int y, int m, int d) {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const date::year_month_day ymd =
      date::year{y} / date::month{static_cast<unsigned>(m)} / date::day{static_cast<unsigned>(d)};
  if (!ymd.ok()) return std::nullopt;
  return local_date{y, m, d};
}

local_date add_days(local_date d, int delta) {
  const date::year_month_day from =
      date::year{d.year} / date::month{static_cast<unsigned>(d.month)} / date::day{static_cast<unsigned>(d.day)};
  const date::year_month_day to{date::sys_days{from} + date::days{delta}};
  return {static_cast<int>(to.year()), static_cast<int>(static_cast<unsigned>(to.month())),
          static_cast<int>(static_cast<unsigned>(to.day()))};
}

int weekday(local_date d) {
  const date::year_month_day ymd =
      date::year{d.year} / date::month{static_cast<unsigned>(d.month)} / date::day{static_cast<unsigned>(d.day)};
  return static_cast<int>((date::weekday{date::sys_days{ymd}}.c_encoding() + 6) % 7);
}

namespace {

using namespace date_parts;

using date::day;
using date::month;
using date::months;
using date::sys_days;
using date::year;
using date::year_month_day;
using date::years;

year_month_day to_ymd(local_date d) {
  return year{d.year} / month{static_cast<unsigned>(d.month)} / day{static_cast<unsigned>(d.day)};
}

local_date from_ymd(year_month_day ymd) {
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// `d` moved by whole months; the day is clamped to the target month's length (Mar 31 - 1
// month = Feb 28/29).
local_date add_months(local_date d, int delta) {
  const year_month_day ymd = to_ymd(d) + months{delta};
  if (ymd.ok()) return from_ymd(ymd);
  const date::year_month_day_last last{ymd.year(), date::month_day_last{ymd.month()}};
  return from_ymd(year_month_day{last});
}

std::optional<date_match> found(local_date d, bool approximate, std::size_t begin, std::size_t end) {
  return date_match{d, approximate, false, {begin, end}};
}

std::optional<date_match> year_found(local_date d, std::size_t begin, std::size_t end) {
  date_match m{d, true, true, {begin, end}};
  return m;
}

// The year of a year-less month/day: this year, or last year when this year's is to come.
int recent_year(int m, int d, local_date today) {
  if (m > today.month || (m == today.month && d > today.day)) return today.year - 1;
  return today.year;
}

bool eat_day_suffix(cursor& c) { return c.eat("日") || c.eat("号") || c.eat("號"); }

// 2025-03-15, 2025/3/15, 2025.3.15, and 2025-03 / 2025/3 (approximate).
std::optional<date_match> numeric_ymd(cursor c, local_date) {
  const std::size_t begin = c.i;
  int y = 0, m = 0, d = 0, dy = 0, dm = 0, dd = 0;
  if (!c.digit_here() || !number(c, y, dy) || dy != 4) return std::nullopt;
  if (c.i >= c.s.size()) return std::nullopt;
  const char sep = c.s[c.i];
  if (sep != '-' && sep != '/' && sep != '.') return std::nullopt;
  ++c.i;
  if (!c.digit_here() || !number(c, m, dm) || dm > 2) return std::nullopt;
  if (c.i + 1 < c.s.size() && c.s[c.i] == sep && is_ascii_digit(c.s[c.i + 1])) {
    ++c.i;
    if (!number(c, d, dd) || dd > 2) return std::nullopt;
    if (auto date = make_date(y, m, d)) return found(*date, false, begin, c.i);
    return std::nullopt;
  }
  if (sep == '.') return std::nullopt;  // "2025.3" reads as a decimal number
  if (auto date = make_date(y, m, 1)) return found(*date, true, begin, c.i);
  return std::nullopt;
}

// Month and optional day after a known year: "3月15号", "3月", "三月十五日".
std::optional<date_match> month_day_after_year(cursor& c, int y, std::size_t begin) {
  int m = 0, d = 0, dm = 0, dd = 0;
  c.spaces();
  if (!number(c, m, dm) || dm > 2) return std::nullopt;
  c.spaces();
  if (!c.eat("月")) return std::nullopt;
  c.eat("份");
  cursor after_month = c;
  c.spaces();
  if (number(c, d, dd) && dd <= 2) {
    c.spaces();
    const bool suffix = eat_day_suffix(c);
    // Without 日/号 the number must end the date: "3月15" yes, "3月15台" still yes, "3月1500" no.
    if (suffix || !c.digit_here()) {
      if (auto date = make_date(y, m, d)) return found(*date, false, begin, c.i);
      return std::nullopt;
    }
  }
  c = after_month;
  if (auto date = make_date(y, m, 1)) return found(*date, true, begin, c.i);
  return std::nullopt;
}

// 2025年3月15日, 25年3月, 二〇二五年三月十五号.
std::optional<date_match> chinese_ymd(cursor c, local_date) {
  const std::size_t begin = c.i;
  int y = 0, dy = 0;
  if (!number(c, y, dy) || (dy != 4 && dy != 2)) return std::nullopt;
  if (dy == 2) y += 2000;
  c.spaces();
  if (!c.eat("年")) return std::nullopt;
  if (auto m = month_day_after_year(c, y, begin)) return m;
  // "2023年买的": a year alone takes January 1st, approximate (like a month alone takes the 1st).
  if (dy != 4 || c.s.substr(c.i).starts_with("前") || c.s.substr(c.i).starts_with("多") ||
      c.s.substr(c.i).starts_with("以前") || c.s.substr(c.i).starts_with("之前")) {
    return std::nullopt;
  }
  if (auto date = make_date(y, 1, 1)) return year_found(*date, begin, c.i);
  return std::nullopt;
}

// 去年3月15号, 前年五月, 今年1月2日.
std::optional<date_match> chinese_relative_year(cursor c, local_date today) {
  const std::size_t begin = c.i;
  static constexpr std::array<std::pair<std::string_view, int>, 4> words{
      {{"大前年", -3}, {"前年", -2}, {"去年", -1}, {"今年", 0}}};
  for (auto [word, delta] : words) {
    if (c.eat(word)) {
      const std::size_t year_end = c.i;
      c.eat("的");
      if (auto m = month_day_after_year(c, today.year + delta, begin)) return m;
      // "去年买的", "前年": the year alone, from January 1st (approximate).
      if (delta == 0) return std::nullopt;  // "今年" alone says too little
      if (auto date = make_date(today.year + delta, 1, 1)) return year_found(*date, begin, year_end);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// 3月15号, 3月 (no year).
std::optional<date_match> chinese_month_day(cursor c, local_date today) {
  const std::size_t begin = c.i;
  cursor probe = c;
  int m = 0, dm = 0;
  if (!number(probe, m, dm) || dm > 2) return std::nullopt;
  auto guess = month_day_after_year(c, today.year, begin);
  if (!guess) return std::nullopt;
  const int y = recent_year(guess->date.month, guess->approximate ? 1 : guess->date.day, today);
  if (auto date = make_date(y, guess->date.month, guess->date.day)) {
    guess->date = *date;
    guess->year_inferred = true;
    return guess;
  }
  return std::nullopt;
}

enum class unit { day, week, month, year };

std::optional<date_match> relative(local_date today, unit u, int n, std::size_t begin, std::size_t end) {
  if (n < 0 || n > 100) return std::nullopt;
  switch (u) {
    case unit::day: return found(add_days(today, -n), false, begin, end);
    case unit::week: return found(add_days(today, -7 * n), true, begin, end);
    case unit::month: return found(add_months(today, -n), true, begin, end);
    case unit::year: return found(add_months(today, -12 * n), true, begin, end);
  }
  return std::nullopt;
}

// 今天, 昨天, 前天, 上周, 上个月, 3天前, 两个月前, 半年前, 一年前.
std::optional<date_match> chinese_relative(cursor c, local_date today) {
  const std::size_t begin = c.i;
  static constexpr std::array<std::tuple<std::string_view, unit, int>, 9> words{{{"今天", unit::day, 0},
                                                                                 {"昨天", unit::day, 1},
                                                                                 {"前天", unit::day, 2},
                                                                                 {"上周", unit::week, 1},
                                                                                 {"上星期", unit::week, 1},
                                                                                 {"上上个月", unit::month, 2},
                                                                                 {"上个月", unit::month, 1},
                                                                                 {"半年前", unit::month, 6},
                                                                                 {"半个月前", unit::day, 15}}};
  for (auto [word, u, n] : words) {
    if (c.eat(word)) {
      // A named month ("上个月") is month-only: its 1st, like "3月".
      if (u == unit::month && word != "半年前") {
        const local_date d = add_months({today.year, today.month, 1}, -n);
        return found(d, true, begin, c.i);
      }
      return relative(today, u, n, begin, c.i);
    }
  }
  if (c.eat("上月")) return found(add_months({today.year, today.month, 1}, -1), true, begin, c.i);
  int n = 0, digits = 0;
  if (!number(c, n, digits)) return std::nullopt;
  c.spaces();
  unit u;
  if (c.eat("天")) {
    u = unit::day;
  } else if (c.eat("周") || c.eat("个星期") || c.eat("星期")) {
    u = unit::week;
  } else if (c.eat("个月") || c.eat("個月")) {
    u = unit::month;
  } else if (c.eat("年")) {
    u = unit::year;
  } else {
    return std::nullopt;
  }
  c.eat("多");
  c.spaces();
  if (!c.eat("前") && !c.eat("以前") && !c.eat("之前")) return std::nullopt;
  return relative(today, u, n, begin, c.i);
}

bool english_year(cursor& c, int& y) {
  cursor probe = c;
  int value = 0, digits = 0;
  if (!probe.digit_here() || !number(probe, value, digits) || digits != 4 || probe.alpha_here()) return false;
  c = probe;
  y = value;
  return true;
}

// Resolves an English month (+ optional day, year) given the word before it ("last", "this").
std::optional<date_match> english_resolve(int m, int d, int y, int year_delta, bool has_year, local_date today,
                                          std::size_t begin, std::size_t end) {
  const bool approximate = d == 0;
  int resolved = y;
  if (!has_year) {
    resolved = year_delta == 0 ? recent_year(m, approximate ? 1 : d, today) : today.year + year_delta;
    if (year_delta == 2) resolved = today.year;  // "this March"
  }
  if (auto date = make_date(resolved, m, approximate ? 1 : d)) {
    auto match = found(*date, approximate, begin, end);
    match->year_inferred = !has_year && year_delta == 0;
    return match;
  }
  return std::nullopt;
}

// March 15, 2025 / Mar 15 2025 / March 2025 / last March / this March 3rd / March 15 last year /
// 15 March 2025 / 15th of March.
std::optional<date_match> english_month_forms(cursor c, local_date today) {
  const std::size_t begin = c.i;
  int year_delta = 0;  // 0: nearest past, -1: last, 2: this
  if (english_word(c, "last")) {
    year_delta = -1;
    c.spaces();
  } else if (english_word(c, "this")) {
    year_delta = 2;
    c.spaces();
  }
  int d = 0, m = 0, y = 0;
  bool has_year = false;
  cursor day_first = c;
  if (year_delta == 0 && english_day(day_first, d)) {
    day_first.spaces();
    english_word(day_first, "of");
    day_first.spaces();
    m = month_name(day_first);
    if (m == 0) return std::nullopt;
    c = day_first;
  } else {
    m = month_name(c);
    if (m == 0) return std::nullopt;
    cursor probe = c;
    probe.spaces();
    if (english_day(probe, d)) c = probe;
  }
  cursor probe = c;
  probe.eat(",");
  probe.spaces();
  if (year_delta == 0 && english_year(probe, y)) {
    has_year = true;
    c = probe;
  } else {
    probe = c;
    probe.spaces();
    if (year_delta == 0 && english_word(probe, "last")) {
      probe.spaces();
      if (english_word(probe, "year")) {
        year_delta = -1;
        c = probe;
      }
    }
  }
  // "may" alone is an English verb; a bare month name needs a day, a year or last/this.
  if (d == 0 && !has_year && year_delta == 0) return std::nullopt;
  return english_resolve(m, d, y, year_delta, has_year, today, begin, c.i);
}

// yesterday, today, last week, last month, 3 days ago, a year ago, two months ago.
std::optional<date_match> english_relative(cursor c, local_date today) {
  const std::size_t begin = c.i;
  if (english_word(c, "today")) return relative(today, unit::day, 0, begin, c.i);
  if (english_word(c, "yesterday")) return relative(today, unit::day, 1, begin, c.i);
  {
    cursor probe = c;
    if (english_word(probe, "last")) {
      probe.spaces();
      if (english_word(probe, "week")) return relative(today, unit::week, 1, begin, probe.i);
      // Named periods are month-only / year-only: their first day, approximate.
      if (english_word(probe, "month")) {
        return found(add_months({today.year, today.month, 1}, -1), true, begin, probe.i);
      }
      if (english_word(probe, "year")) {
        if (auto d = make_date(today.year - 1, 1, 1)) return year_found(*d, begin, probe.i);
      }
    }
    probe = c;
    if (english_word(probe, "in") || english_word(probe, "since") || english_word(probe, "from")) {
      // "in 2023": a year alone.
      probe.spaces();
      int y = 0;
      if (english_year(probe, y) && !probe.digit_here()) {
        cursor after = probe;
        after.spaces();
        if (!(after.i < after.s.size() && (after.s[after.i] == '/' || after.s[after.i] == '-'))) {
          if (auto d = make_date(y, 1, 1)) return year_found(*d, begin, probe.i);
        }
      }
    }
  }
  int n = 0, digits = 0;
  bool have = false;
  if (c.digit_here()) {
    have = number(c, n, digits) && !c.digit_here();
  } else if (english_word(c, "an")) {  // "an year ago": taken here, not by the requested-date reader
    n = 1;
    have = true;
  } else {
    have = english_count_word(c, n);
  }
  if (!have) return std::nullopt;
  c.spaces();
  unit u;
  if (english_word(c, "day") || english_word(c, "days")) {
    u = unit::day;
  } else if (english_word(c, "week") || english_word(c, "weeks")) {
    u = unit::week;
  } else if (english_word(c, "month") || english_word(c, "months")) {
    u = unit::month;
  } else if (english_word(c, "year") || english_word(c, "years")) {
    u = unit::year;
  } else {
    return std::nullopt;
  }
  c.spaces();
  if (!english_word(c, "ago")) return std::nullopt;
  return relative(today, u, n, begin, c.i);
}

// 15/03/2025, 3/15/2025, 15.03.2025: day-first or month-first by language, unless only one
// reading is a date.
std::optional<date_match> numeric_dmy(cursor c, std::string_view language) {
  const std::size_t begin = c.i;
  int a = 0, b = 0, y = 0, da = 0, db = 0, dy = 0;
  if (!c.digit_here() || !number(c, a, da) || da > 2 || c.i >= c.s.size()) return std::nullopt;
  const char sep = c.s[c.i];
  if (sep != '/' && sep != '-' && sep != '.') return std::nullopt;
  ++c.i;
  if (!c.digit_here() || !number(c, b, db) || db > 2 || !c.eat(std::string_view(&sep, 1))) return std::nullopt;
  if (!c.digit_here() || !number(c, y, dy) || dy != 4) return std::nullopt;
  const auto month_first = make_date(y, a, b);
  const auto day_first = make_date(y, b, a);
  const auto& preferred = language == "en" ? month_first : day_first;
  const auto& other = language == "en" ? day_first : month_first;
  if (preferred) return found(*preferred, false, begin, c.i);
  if (other) return found(*other, false, begin, c.i);
  return std::nullopt;
}

}  // namespace

static std::optional<date_match> first_date(std::string_view folded, local_date today, std::string_view language,
                                     std::size_t from);

std::optional<date_match> extract_date(std::string_view folded, local_date today, std::string_view language) {
  auto m = first_date(folded, today, language, 0);
  if (!m || !m->year_only) return m;
  // "去年双十一买的,11月11号": a year alone, then the month and day a little later.
  const std::size_t window = std::min(folded.size(), m->where.end + 40);
  if (auto later = first_date(folded.substr(0, window), today, language, m->where.end)) {
    if (!later->year_only) {
      if (auto d = make_date(m->date.year, later->date.month, later->date.day)) {
        return date_match{*d, later->approximate, false, {m->where.begin, later->where.end}};
      }
    }
  }
  return m;
}

std::optional<date_match> date_at(std::string_view folded, std::size_t i, local_date today, std::string_view language) {
  if (i >= folded.size()) return std::nullopt;
  // Dates start at a digit, a Chinese character or a letter that begins a word; never in
  // the middle of a digit run or inside a UTF-8 sequence.
  const auto byte = static_cast<unsigned char>(folded[i]);
  if ((byte & 0xC0) == 0x80) return std::nullopt;
  if (i > 0 && is_ascii_digit(folded[i - 1]) && is_ascii_digit(folded[i])) return std::nullopt;
  // Every form starts with a digit, a letter or a Chinese character (lead byte 0xE3..0xE9).
  const bool digit = is_ascii_digit(folded[i]), alpha = is_ascii_alpha(folded[i]);
  if (!digit && !alpha && (byte < 0xE3 || byte > 0xE9)) return std::nullopt;
  const cursor c{folded, i};
  if (digit) {
    if (auto m = numeric_ymd(c, today)) return m;
    if (auto m = numeric_dmy(c, language)) return m;
  }
  if (!alpha) {
    if (auto m = chinese_ymd(c, today)) return m;
    if (auto m = chinese_relative_year(c, today)) return m;
    if (auto m = chinese_month_day(c, today)) return m;
    if (auto m = chinese_relative(c, today)) return m;
  }
  // English forms start a word: skip letters inside one ("smart" holds no "mar").
  if (digit || (alpha && (i == 0 || !is_ascii_alpha(folded[i - 1])))) {
    if (auto m = english_month_forms(c, today)) return m;
    if (auto m = english_relative(c, today)) return m;
  }
  return std::nullopt;
}

static std::optional<date_match> first_date(std::string_view folded, local_date today, std::string_view language,
                                     std::size_t from) {
  if (!make_date(today.year, today.month, today.day)) return std::nullopt;
  for (std::size_t i = from; i < folded.size(); ++i) {
    if (auto m = date_at(folded, i, today, language)) return m;
  }
  return std::nullopt;
}

std::string format_date(local_date d) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buffer;
}

std::optional<local_date> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = starts[k]; i < starts[k] + lengths[k]; ++i) {
      if (!is_ascii_digit(text[i])) return std::nullopt;
      parts[k] = parts[k] * 10 + (text[i] - '0');
    }
  }
  return make_date(parts[0], parts[1], parts[2]);
}

bool after(local_date a, local_date b) {
  if (a.year != b.year) return a.year > b.year;
  if (a.month != b.month) return a.month > b.month;
  return a.day > b.day;
}

}  // namespace dialogs
