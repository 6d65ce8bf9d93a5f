#pragma once
// Finds a phone number in a customer's text and turns it into E.164 with libphonenumber.

#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialogs {

struct phone_match {
  std::string e164;  // "+8613800135678"
  span where;        // in the folded text
};

// The regions to read a number without a country code in, most likely first: `default_region`
// for Chinese conversations; for English ones "US" first when the operator's region is "CN"
// (an English speaker writing to a Chinese operator more often types a North American number
// than a Chinese one, and "(415) 555-0100" is also a valid Chinese fixed-line shape).
std::vector<std::string> phone_regions(std::string_view language, std::string_view default_region);

// The first run of digits (with the spaces, dashes, dots, parentheses and leading '+' people
// write between them) in `folded` that libphonenumber accepts as a valid number in one of
// `regions`. Runs touching letters (serials like "SN5612345") are skipped. Returns nullopt when
// there is none.
std::optional<phone_match> extract_phone(std::string_view folded, const std::vector<std::string>& regions);

// `e164` for customers' eyes: the national number with its middle replaced by four stars
// ("+8613800135678" -> "138****5678"). Numbers too short to mask keep their last two digits.
std::string mask_phone(std::string_view e164);

}  // namespace dialogs
