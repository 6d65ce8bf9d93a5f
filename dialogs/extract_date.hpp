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
  bool year_inferred = false;  // a day without a year ("3月15号", "March 15"): the year was guessed
};

// The first date in `folded` (see fold()). Month-only answers resolve to the 1st of the month
// and set `approximate`. A year-less day ("3月15号", "March 15") is this year's, or last
// year's when this year's is still to come. Numeric a/b/yyyy is read month-first when
// `language` is "en" and day-first otherwise, unless only one reading is a valid date. The
// result may lie in the future (the caller refuses it). Returns nullopt when no form matches
// or the date does not exist (2025-02-30).
std::optional<date_match> extract_date(std::string_view folded, local_date today, std::string_view language);

// The date form (any of extract_date's) that starts exactly at byte `at` of `folded`, resolved
// as extract_date does (a year-less day lies in the past and has `year_inferred`); nullopt
// when none starts there (also inside a digit run or a UTF-8 sequence).
std::optional<date_match> date_at(std::string_view folded, std::size_t at, local_date today, std::string_view language);

// A real calendar date (years 1900-2200) from its parts; nullopt when it does not exist.
std::optional<local_date> make_date(int year, int month, int day);

// `d` moved by `days` (negative: back).
local_date add_days(local_date d, int days);

// Day of the week of `d`: 0 = Monday ... 6 = Sunday.
int weekday(local_date d);

// "YYYY-MM-DD".
std::string format_date(local_date d);

// Parses exactly "YYYY-MM-DD" into a real calendar date; nullopt otherwise.
std::optional<local_date> parse_iso_date(std::string_view text);

// True when `a` is later than `b`.
bool after(local_date a, local_date b);

}  // namespace dialogs
