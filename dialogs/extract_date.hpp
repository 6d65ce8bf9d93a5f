#pragma once
// Reads a purchase date from a customer's text: absolute forms (2025-03-15, 2025/3/15,
// 2025年3月15日, March 15, 2025, 15/03/2025) and relative ones (去年3月15号, 3月15日, 昨天,
// 两个月前, last March, 3 weeks ago), resolved against the conversation's `today`.

#include "dialogs/intake.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string_view>

namespace dialogs {

struct date_match {
  local_date date;
  bool approximate = false;  // the customer gave a month (or "N months ago"), not a day
  bool year_only = false;    // the customer gave only a year ("去年", "in 2023"): January 1st
  span where;                // in the folded text
};

// The first date in `folded` (see fold()). Month-only answers resolve to the 1st of the month
// and set `approximate`. A year-less day ("3月15号", "March 15") is this year's, or last
// year's when this year's is still to come. Numeric a/b/yyyy is read month-first when
// `language` is "en" and day-first otherwise, unless only one reading is a valid date. The
// result may lie in the future (the caller refuses it). Returns nullopt when no form matches
// or the date does not exist (2025-02-30).
std::optional<date_match> extract_date(std::string_view folded, local_date today, std::string_view language);

// "YYYY-MM-DD".
std::string format_date(local_date d);

// Parses exactly "YYYY-MM-DD" into a real calendar date; nullopt otherwise.
std::optional<local_date> parse_iso_date(std::string_view text);

// True when `a` is later than `b`.
bool after(local_date a, local_date b);

}  // namespace dialogs
