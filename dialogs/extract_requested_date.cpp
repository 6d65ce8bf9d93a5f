#include "dialogs/extract_requested_date.hpp"

#include "dialogs/date_parts.hpp"
#include "dialogs/extract_date.hpp"

#include <array>
#include <initializer_list>

namespace dialogs {
namespace {

using date_parts::cursor;
using date_parts::english_count_word;
using date_parts::english_day;
using date_parts::english_word;
using date_parts::month_name;
using date_parts::number;

// How far (bytes of folded text, in the same clause) a forward-looking word may stand from the
// date: "下周一上午来" (来 is 6 bytes after), "send a technician on monday" (15 before).
constexpr std::size_t cue_reach = 30;
// A year-less day that went by this year is next year's only this close (December → January).
constexpr int next_year_reach_days = 92;

struct candidate {
  local_date date;
  span where;
  bool usable = true;         // false: a month, a year, or a past-only form: consumed, never taken
  bool bound_before = false;  // 前 / 之前 / 以前 follows: "28号之前" is a deadline by itself
};

bool before(local_date a, local_date b) { return after(b, a); }

local_date monday_of(local_date d) { return add_days(d, -weekday(d)); }

// The next `wd` (0 = Monday) on or after `today`.
local_date next_weekday(local_date today, int wd) { return add_days(today, (wd - weekday(today) + 7) % 7); }

// Saturday of the week `weeks` from this one; "this weekend" on a Sunday is today.
local_date weekend(local_date today, int weeks) {
  if (weeks == 0 && weekday(today) == 6) return today;
  return add_days(monday_of(today), 7 * weeks + 5);
}

std::optional<local_date> month_day(int y, int m, int d) {
  while (m > 12) {
    m -= 12;
    ++y;
  }
  return make_date(y, m, d);
}

std::optional<local_date> last_day_of_month(int y, int m) {
  for (int d = 31; d >= 28; --d) {
    if (auto date = month_day(y, m, d)) return date;
  }
  return std::nullopt;
}

// The code point that ends right before byte `i` (a CJK character is 3 bytes), or "".
std::string_view previous_char(std::string_view s, std::size_t i) {
  if (i == 0) return {};
  std::size_t j = i - 1;
  while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
  return s.substr(j, i - j);
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (s.starts_with(w)) return true;
  }
  return false;
}

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (s == w) return true;
  }
  return false;
}

// 一..六 → 0..5, 日 / 天 → 6 (Sunday), 末 → 7 (the weekend); -1 otherwise.
int chinese_weekday(cursor& c) {
  static constexpr std::array<std::pair<std::string_view, int>, 9> days{
      {{"一", 0}, {"二", 1}, {"三", 2}, {"四", 3}, {"五", 4}, {"六", 5}, {"日", 6}, {"天", 6}, {"末", 7}}};
  for (auto [text, wd] : days) {
    if (c.eat(text)) return wd;
  }
  return -1;
}

std::optional<candidate> found(std::optional<local_date> d, std::size_t begin, std::size_t end) {
  if (!d) return std::nullopt;
  return candidate{*d, {begin, end}};
}

// 明天, 后天, 周六, 下周一, 这周末, 28号, 下个月3号, 月底, 3天内.
std::optional<candidate> chinese_forms(cursor c, local_date today) {
  const std::size_t begin = c.i;
  static constexpr std::array<std::pair<std::string_view, int>, 11> days{{{"大后天", 3},
                                                                          {"后天", 2},
                                                                          {"明天", 1},
                                                                          {"明日", 1},
                                                                          {"明早", 1},
                                                                          {"明晚", 1},
                                                                          {"明儿", 1},
                                                                          {"今天", 0},
                                                                          {"今日", 0},
                                                                          {"今晚", 0},
                                                                          {"今早", 0}}};
  for (auto [word, n] : days) {
    if (c.eat(word)) return found(add_days(today, n), begin, c.i);
  }

  // Weeks: an offset in days from this week's Monday, or the next such day (bare 周六).
  static constexpr std::array<std::pair<std::string_view, int>, 21> weeks{{{"下下周", 14},
                                                                           {"下下星期", 14},
                                                                           {"下个星期", 7},
                                                                           {"下个礼拜", 7},
                                                                           {"下星期", 7},
                                                                           {"下礼拜", 7},
                                                                           {"下周", 7},
                                                                           {"这个星期", 0},
                                                                           {"这个礼拜", 0},
                                                                           {"这个周", 0},
                                                                           {"这星期", 0},
                                                                           {"这礼拜", 0},
                                                                           {"这周", 0},
                                                                           {"本周", 0},
                                                                           {"上个星期", -7},
                                                                           {"上星期", -7},
                                                                           {"上礼拜", -7},
                                                                           {"上周", -7},
                                                                           {"星期", -100},
                                                                           {"礼拜", -100},
                                                                           {"周", -100}}};
  for (auto [word, offset] : weeks) {
    cursor probe = c;
    if (!probe.eat(word)) continue;
    const int wd = chinese_weekday(probe);
    if (wd < 0) return std::nullopt;
    if (offset == -100) {
      // "一周" / "每周六" / "几个星期" are spans or habits, not a day.
      const std::string_view prev = previous_char(c.s, begin);
      if (is_one_of(prev, {"一", "二", "两", "三", "四", "五", "几", "每", "个", "多"})) return std::nullopt;
      return found(wd == 7 ? weekend(today, 0) : next_weekday(today, wd), begin, probe.i);
    }
    if (wd == 7) return found(weekend(today, offset / 7), begin, probe.i);
    return found(add_days(monday_of(today), offset + wd), begin, probe.i);
  }

  // Months: 本月28号, 下个月3号, 月底, 下个月底.
  static constexpr std::array<std::pair<std::string_view, int>, 6> months{
      {{"下个月", 1}, {"下月", 1}, {"这个月", 0}, {"本月", 0}, {"这月", 0}, {"月", -1}}};
  for (auto [word, delta] : months) {
    cursor probe = c;
    if (!probe.eat(word)) continue;
    if (delta < 0) {  // "月底" alone
      if (!probe.eat("底")) return std::nullopt;
      return found(last_day_of_month(today.year, today.month), begin, probe.i);
    }
    probe.eat("的");
    if (probe.eat("底")) return found(last_day_of_month(today.year, today.month + delta), begin, probe.i);
    int d = 0, digits = 0;
    if (!number(probe, d, digits) || digits > 2) return std::nullopt;
    if (!probe.eat("号") && !probe.eat("日") && !probe.eat("號")) return std::nullopt;
    return found(month_day(today.year, today.month + delta, d), begin, probe.i);
  }

  int n = 0, digits = 0;
  if (!number(c, n, digits) || digits > 2) return std::nullopt;
  // 3天内, 两天之后: today plus that many days.
  {
    cursor probe = c;
    if (probe.eat("天") || probe.eat("个工作日")) {
      if (n >= 1 && n <= 60 &&
          (probe.eat("之内") || probe.eat("以内") || probe.eat("内") || probe.eat("之后") || probe.eat("以后") ||
           probe.eat("后"))) {
        return found(add_days(today, n), begin, probe.i);
      }
      return std::nullopt;
    }
  }
  // 28号 alone: this month's, or next month's when this month's went by. Not the day of a
  // full date (the month before it failed to read: "13月5号"), an address ("人民路28号楼"), a
  // metro line or a room.
  if (!c.eat("号") && !c.eat("日") && !c.eat("號")) return std::nullopt;
  const std::string_view prev = previous_char(c.s, begin);
  if (prev == "月" || (is_cjk_at(c.s, begin - prev.size()) && prev.size() == 3 &&
                       !is_one_of(prev, {"在", "于", "到", "是", "等", "前", "望", "请", "要", "好", "能", "或",
                                         "和", "至", "截"}))) {
    return std::nullopt;
  }
  if (starts_with_any(c.s.substr(c.i), {"楼", "院", "室", "房", "线", "门", "机", "位", "床", "窗", "店", "箱", "柜",
                                         "栋", "座", "厅", "口", "仓", "库", "车"})) {
    return std::nullopt;
  }
  if (n < 1 || n > 31) return std::nullopt;
  auto d = n >= today.day ? month_day(today.year, today.month, n) : std::nullopt;
  if (!d) d = month_day(today.year, today.month + 1, n);
  return found(d, begin, c.i);
}

// One of the days of the week as a word (full names; the short forms that are not words):
// 0 = Monday, 7 = weekend; -1 otherwise.
int english_weekday(cursor& c) {
  static constexpr std::array<std::pair<std::string_view, int>, 16> names{{{"monday", 0},
                                                                           {"tuesday", 1},
                                                                           {"wednesday", 2},
                                                                           {"thursday", 3},
                                                                           {"friday", 4},
                                                                           {"saturday", 5},
                                                                           {"sunday", 6},
                                                                           {"weekend", 7},
                                                                           {"mon", 0},
                                                                           {"tues", 1},
                                                                           {"tue", 1},
                                                                           {"wed", 2},
                                                                           {"thurs", 3},
                                                                           {"thur", 3},
                                                                           {"thu", 3},
                                                                           {"fri", 4}}};
  if (c.i > 0 && c.s[c.i - 1] == '\'') return -1;  // "c'mon"
  for (auto [word, wd] : names) {
    if (english_word(c, word)) {
      c.eat(".");
      return wd;
    }
  }
  return -1;
}

bool english_number_word(cursor& c, int& n) {
  if (c.digit_here()) {
    int digits = 0;
    return number(c, n, digits) && digits <= 2;
  }
  return english_count_word(c, n);
}

// tomorrow, the day after tomorrow, (next) friday, the weekend, the 28th, within 3 days.
std::optional<candidate> english_forms(cursor c, local_date today) {
  if (c.i > 0 && is_ascii_alpha(c.s[c.i - 1])) return std::nullopt;
  const std::size_t begin = c.i;
  {
    cursor probe = c;
    english_word(probe, "the");
    probe.spaces();
    if (english_word(probe, "day")) {
      probe.spaces();
      if (english_word(probe, "after")) {
        probe.spaces();
        if (english_word(probe, "tomorrow")) return found(add_days(today, 2), begin, probe.i);
      }
    }
  }
  if (english_word(c, "tomorrow") || english_word(c, "tmr") || english_word(c, "tmrw")) {
    return found(add_days(today, 1), begin, c.i);
  }
  if (english_word(c, "today") || english_word(c, "tonight")) return found(today, begin, c.i);

  // [this coming | coming | next | this | last] + a weekday or the weekend.
  {
    cursor probe = c;
    int weeks = -100;  // -100: the next one to come
    if (english_word(probe, "this")) {
      probe.spaces();
      cursor coming = probe;
      if (english_word(coming, "coming")) {
        probe = coming;
        probe.spaces();
      } else {
        weeks = 0;
      }
    } else if (english_word(probe, "coming")) {
      probe.spaces();
    } else if (english_word(probe, "next")) {
      weeks = 1;
      probe.spaces();
    } else if (english_word(probe, "last")) {
      weeks = -1;
      probe.spaces();
    } else if (english_word(probe, "the")) {
      probe.spaces();
    }
    const int wd = english_weekday(probe);
    if (wd >= 0) {
      if (wd == 7) return found(weekend(today, weeks == -100 ? 0 : weeks), begin, probe.i);
      if (weeks == -100) return found(next_weekday(today, wd), begin, probe.i);
      return found(add_days(monday_of(today), 7 * weeks + wd), begin, probe.i);
    }
  }

  // "the 28th" / "by 28th": an ordinal day alone (with a month it is extract_date's form).
  {
    cursor probe = c;
    english_word(probe, "the");
    probe.spaces();
    int d = 0;
    const std::size_t day_at = probe.i;
    if (probe.digit_here() && english_day(probe, d) && probe.i > day_at && is_ascii_alpha(probe.s[probe.i - 1])) {
      cursor after = probe;
      after.spaces();
      english_word(after, "of");
      after.spaces();
      if (month_name(after) != 0) return std::nullopt;
      auto date = d >= today.day ? month_day(today.year, today.month, d) : std::nullopt;
      if (!date) date = month_day(today.year, today.month + 1, d);
      return found(date, begin, probe.i);
    }
  }

  // in / within N days, end of the month.
  {
    cursor probe = c;
    if (english_word(probe, "in") || english_word(probe, "within")) {
      probe.spaces();
      english_word(probe, "the");
      probe.spaces();
      english_word(probe, "next");
      probe.spaces();
      int n = 0;
      if (english_number_word(probe, n)) {
        probe.spaces();
        if ((english_word(probe, "days") || english_word(probe, "day")) && n >= 1 && n <= 60) {
          return found(add_days(today, n), begin, probe.i);
        }
      }
      return std::nullopt;
    }
    probe = c;
    if (english_word(probe, "end")) {
      probe.spaces();
      if (english_word(probe, "of")) {
        probe.spaces();
        if (english_word(probe, "the") || english_word(probe, "this")) {
          probe.spaces();
          if (english_word(probe, "month")) return found(last_day_of_month(today.year, today.month), begin, probe.i);
        }
      }
    }
  }
  return std::nullopt;
}

// A date form of extract_date at `i`, made forward-looking: a year-less day is the next one.
std::optional<candidate> general_form(std::string_view folded, std::size_t i, local_date today,
                                      std::string_view language) {
  auto m = date_at(folded, i, today, language);
  if (!m) return std::nullopt;
  candidate c{m->date, m->where};
  if (m->approximate || m->year_only) {
    c.usable = false;  // "3月", "去年": consumed, so no part of it is read again
    return c;
  }
  if (m->year_inferred) {
    auto this_year = make_date(today.year, m->date.month, m->date.day);
    auto next_year = make_date(today.year + 1, m->date.month, m->date.day);
    if (this_year && !before(*this_year, today)) {
      c.date = *this_year;
    } else if (next_year && !after(*next_year, add_days(today, next_year_reach_days))) {
      c.date = *next_year;
    }
  }
  return c;
}

// Extends a date over a time of day and a deadline word right after it: "明天上午", "28号之前",
// "周五下午3点前", "tomorrow morning".
void extend(std::string_view s, candidate& c) {
  cursor p{s, c.where.end};
  p.spaces();
  bool moved = false;
  for (std::string_view w : {"上午", "下午", "晚上", "早上", "中午", "傍晚", "白天", "全天", "一早", "早晨"}) {
    if (p.eat(w)) {
      moved = true;
      break;
    }
  }
  for (std::string_view w : {"morning", "afternoon", "evening", "night"}) {
    if (english_word(p, w)) {
      moved = true;
      break;
    }
  }
  {
    cursor clock = p;
    clock.spaces();
    int h = 0, digits = 0;
    if (number(clock, h, digits) && digits <= 2 && h <= 24 && (clock.eat("点") || clock.eat(":"))) {
      clock.eat("钟");
      clock.eat("半");
      int minutes = 0;
      if (clock.digit_here()) number(clock, minutes, digits);
      p = clock;
      moved = true;
    }
  }
  if (moved) c.where.end = p.i;
  p.spaces();
  // Not "前天" (a day of its own).
  if ((p.eat("之前") || p.eat("以前") || p.eat("前")) && !s.substr(p.i).starts_with("天")) {
    c.bound_before = true;
    c.where.end = p.i;
  }
}

// The clause [begin, end) around `where`.
span clause_of(std::string_view s, span where) {
  span out{0, s.size()};
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 0;
    if (clause_break_at(s, i, len)) {
      if (i + len <= where.begin) out.begin = i + len;
      if (i >= where.end) {
        out.end = i;
        break;
      }
      i += len;
    } else {
      ++i;
    }
  }
  return out;
}

// Whether `word` occurs in s[from, to) (whole words for ASCII).
bool occurs(std::string_view s, std::size_t from, std::size_t to, std::string_view word) {
  if (from >= to) return false;
  return find_word(s.substr(from, to - from), word) != std::string_view::npos;
}

// Forward-looking words anywhere near the date in its clause, with what must not stand around
// them ("保修" is no repair request, "师傅来过了" is past).
struct cue {
  std::string_view word;
  std::initializer_list<std::string_view> not_after;   // the cue does not count after these
  std::initializer_list<std::string_view> not_before;  // ... nor before these
};

const cue strong_cues[] = {
    {"上门", {}, {"了", "过"}},
    {"过来", {}, {"了", "过"}},
    {"来", {"起", "下", "出", "以", "原", "后", "本", "从", "回", "进", "看", "未", "将", "过", "带", "拿"},
     {"了", "过", "电", "信"}},
    {"修", {"保", "报", "装"}, {"了", "过"}},
    {"安排", {}, {}},
    {"预约", {}, {}},
    {"派", {}, {}},
    {"到家", {}, {"了"}},
    {"在家", {"不"}, {}},
    {"有空", {"没"}, {}},
    {"有时间", {"没"}, {}},
    {"处理", {}, {"了", "过"}},
    {"安装", {}, {"了", "过"}},
    {"检查", {}, {"了", "过"}},
    {"come", {}, {}},
    {"coming", {}, {}},
    {"visit", {}, {}},
    {"send", {}, {}},
    {"schedule", {}, {}},
    {"book", {}, {}},
    {"appointment", {}, {}},
    {"available", {}, {}},
    {"free", {}, {}},
    {"home", {}, {}},
    {"arrange", {}, {}},
    {"technician", {}, {}},
    {"engineer", {}, {}},
    {"someone", {}, {}},
    {"repair", {}, {}},
    {"fix", {}, {}},
    {"fixed", {}, {}},
    {"install", {}, {}},
};

// Words that make a date the request when they stand right before it ("希望明天", "请在28号",
// "by friday", "before 28 nov").
constexpr std::string_view weak_cues_zh[] = {"希望", "请", "最好", "想", "要", "能", "可以", "麻烦",
                                             "约", "定", "改到", "改成", "改", "尽量", "务必", "必须"};
constexpr std::string_view weak_cues_en[] = {"by", "before", "until", "till", "please", "latest"};

// The date is no request: bought then, the fault began then, or the customer cannot then.
constexpr std::string_view after_vetoes[] = {"买", "购", "入手", "下单", "开始", "起就", "坏了", "坏掉", "出现", "发现",
                                             "不方便", "没空", "没时间", "不在家", "不行", "不可以", "不能", "不用",
                                             "不要", "不需要", "别", "没人", "不来", "来不了", "不了"};
constexpr std::string_view english_vetoes[] = {"bought", "purchased", "ordered", "since", "started", "broke",
                                               "can't", "cant", "cannot", "won't", "wont", "not", "don't", "dont",
                                               "doesn't", "isn't", "busy", "unavailable", "nobody", "away"};
constexpr std::size_t veto_reach = 15;

bool cue_counts(std::string_view s, std::size_t at, const cue& c) {
  const std::string_view prev = previous_char(s, at);
  for (std::string_view w : c.not_after) {
    if (prev == w) return false;
  }
  const std::string_view next = s.substr(at + c.word.size());
  for (std::string_view w : c.not_before) {
    if (next.starts_with(w)) return false;
  }
  return true;
}

bool strong_cue_near(std::string_view s, span clause, span where) {
  const std::size_t from = where.begin > clause.begin + cue_reach ? where.begin - cue_reach : clause.begin;
  const std::size_t to = std::min(clause.end, where.end + cue_reach);
  for (const cue& c : strong_cues) {
    for (std::size_t pos = find_word(s, c.word, from); pos != std::string_view::npos && pos + c.word.size() <= to;
         pos = find_word(s, c.word, pos + 1)) {
      // Inside the date words themselves (none today) would not say anything.
      if (pos >= where.begin && pos < where.end) continue;
      if (cue_counts(s, pos, c)) return true;
    }
  }
  return false;
}

bool weak_cue_before(std::string_view s, span clause, span where) {
  std::string_view pre = s.substr(clause.begin, where.begin - clause.begin);
  auto trim = [&] {
    while (!pre.empty() && (pre.back() == ' ' || pre.back() == masked_byte)) pre.remove_suffix(1);
  };
  trim();
  for (std::string_view filler : {"在", "于", "on", "the"}) {
    if (pre.ends_with(filler) && (!is_ascii_alpha(filler.front()) || pre.size() == filler.size() ||
                                  !is_ascii_alpha(pre[pre.size() - filler.size() - 1]))) {
      pre.remove_suffix(filler.size());
      trim();
      break;
    }
  }
  // "不要明天来", "别周六来": the customer rules the day out.
  for (std::string_view w : {"不要", "不用", "不能", "不想", "不是", "别"}) {
    if (pre.ends_with(w)) return false;
  }
  for (std::string_view w : weak_cues_zh) {
    if (pre.ends_with(w)) return true;
  }
  for (std::string_view w : weak_cues_en) {
    if (pre.ends_with(w) && (pre.size() == w.size() || !is_ascii_alpha(pre[pre.size() - w.size() - 1]))) return true;
  }
  return false;
}

bool vetoed(std::string_view s, span clause, span where) {
  const std::size_t after_to = std::min(clause.end, where.end + veto_reach);
  for (std::string_view w : after_vetoes) {
    if (occurs(s, where.end, after_to, w)) return true;
  }
  const std::size_t before_from = where.begin > clause.begin + veto_reach ? where.begin - veto_reach : clause.begin;
  for (std::string_view w : english_vetoes) {
    if (occurs(s, before_from, where.begin, w) || occurs(s, where.end, after_to, w)) return true;
  }
  return false;
}

bool qualifies(std::string_view s, const candidate& c, local_date today) {
  if (!c.usable || before(c.date, today)) return false;
  const span clause = clause_of(s, c.where);
  if (vetoed(s, clause, c.where)) return false;
  return c.bound_before || weak_cue_before(s, clause, c.where) || strong_cue_near(s, clause, c.where);
}

}  // namespace

std::optional<requested_date_match> extract_requested_date(std::string_view folded, local_date today,
                                                           std::string_view language) {
  if (!make_date(today.year, today.month, today.day)) return std::nullopt;
  std::optional<requested_date_match> out;
  for (std::size_t i = 0; i < folded.size();) {
    const auto byte = static_cast<unsigned char>(folded[i]);
    const bool mid_digits = i > 0 && is_ascii_digit(folded[i - 1]) && is_ascii_digit(folded[i]);
    if ((byte & 0xC0) == 0x80 || mid_digits || folded[i] == masked_byte) {
      ++i;
      continue;
    }
    std::optional<candidate> c = general_form(folded, i, today, language);
    const cursor at{folded, i};
    if (!c && is_ascii_alpha(folded[i])) c = english_forms(at, today);
    if (!c && is_ascii_digit(folded[i])) c = english_forms(at, today);
    if (!c && !is_ascii_alpha(folded[i])) c = chinese_forms(at, today);
    if (!c || c->where.end <= i) {
      ++i;
      continue;
    }
    extend(folded, *c);
    // Later words win: "明天来,不对,后天来吧".
    if (qualifies(folded, *c, today)) out = requested_date_match{c->date, c->where};
    i = c->where.end;
  }
  return out;
}

}  // namespace dialogs
