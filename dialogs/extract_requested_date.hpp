#pragma once
// The date a customer wants the service by, read whenever they volunteer it during the intake
// (it is never asked for): "希望明天上门", "周六来修可以吗", "请在11月28日前上门", "下周一上午来",
// "28号之前修好", "please come tomorrow", "by Friday", "before 28 Nov". Purchase dates
// ("去年3月买的", "bought last March") and the day a fault began ("今天开始漏水") are not it.

#include "dialogs/intake.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string_view>

namespace dialogs {

struct requested_date_match {
  local_date date;
  // The date words in the folded text, with what binds to them: a following 前/之前/以前 and a
  // time of day ("明天上午", "28号之前", "tomorrow morning"). The caller masks it.
  span where;
};

// The last date in `folded` (see fold()) that
//  1. reads as a day: every form extract_date reads (a day without a year is the next one to
//     come: this year's, or next year's when this year's went by and next year's is at most
//     three months away), and 今天/明天/后天/大后天, 周六 / 星期六 / 礼拜六 (the next one, today
//     included), 这周六, 下周一, 周末, 28号 (this month's, or next month's when it went by),
//     本月28号, 下个月3号, 月底, 3天内 / 3天后; today, tonight, tomorrow, the day after tomorrow,
//     (this / next / coming) Friday, the weekend, the 28th, in / within 3 days;
//  2. stands in a clause with forward-looking words near it (上门, 来, 修, 安排, 预约, 派, 在家,
//     希望…/请…/最好… right before it, 前/之前 right after it; come, visit, send, schedule,
//     book, technician, available, by / before right before it, ...), not negated next to it
//     (不方便, 不在家, 没空, can't, not, busy), and not bought or a fault's start (买的, 开始,
//     bought, since);
//  3. is `today` or later.
// Month-only and year-only dates never count. nullopt when nothing qualifies; never throws.
std::optional<requested_date_match> extract_requested_date(std::string_view folded, local_date today,
                                                           std::string_view language);

}  // namespace dialogs
