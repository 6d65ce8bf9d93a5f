#include "dialogs/extract_phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <optional>
#include <set>

namespace dialogs {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

bool is_phone_punct(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

// E.164 of `candidate` read in `region`, or empty when libphonenumber does not accept it.
std::string parse_valid(const std::string& candidate, const std::string& region) {
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(candidate, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) return {};
  if (!util->IsValidNumber(number)) return {};
  std::string e164;  // Format appends, so start empty
  util->Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace

std::vector<std::string> phone_regions(std::string_view language, std::string_view default_region) {
  std::string region = default_region.empty() ? std::string("CN") : std::string(default_region);
  if (language == "en" && region == "CN") return {"US", "CN"};
  return {region};
}

std::optional<phone_match> extract_phone(std::string_view folded, const std::vector<std::string>& regions) {
  std::size_t i = 0;
  while (i < folded.size()) {
    const char c = folded[i];
    const bool starts = is_ascii_digit(c) || c == '+' || c == '(';
    if (!starts || (i > 0 && is_ascii_alnum(folded[i - 1]))) {
      ++i;
      continue;
    }
    // Extend over digits and the punctuation between them; stop at two spaces in a row so
    // two numbers in a list are not glued together.
    std::size_t j = i + 1;
    std::size_t digits = is_ascii_digit(c) ? 1 : 0;
    while (j < folded.size()) {
      const char d = folded[j];
      if (is_ascii_digit(d)) {
        ++digits;
      } else if (!is_phone_punct(d) || (d == ' ' && j + 1 < folded.size() && folded[j + 1] == ' ')) {
        break;
      }
      ++j;
    }
    std::size_t end = j;
    while (end > i && !is_ascii_digit(folded[end - 1]) && folded[end - 1] != ')') --end;
    const bool touches_letter = end < folded.size() && is_ascii_alpha(folded[end]);
    // E.164 allows 15 digits; an international prefix (00 / 011) adds up to three more.
    if (digits >= 5 && digits <= 18 && !touches_letter) {
      const std::string candidate(folded.substr(i, end - i));
      for (const std::string& region : regions) {
        std::string e164 = parse_valid(candidate, region);
        if (!e164.empty()) return phone_match{std::move(e164), {i, end}};
      }
    }
    // Not a number as a whole: retry from the next digit group ("订单 12 13800135678").
    std::size_t next = i + 1;
    while (next < folded.size() && is_ascii_digit(folded[next])) ++next;
    i = next;
  }
  return std::nullopt;
}

namespace {

// The national significant number of a stored E.164 form: the digits after its country calling
// code (calling codes are prefix-free, 1 to 3 digits). What a full Parse gives for these, without
// its regular expressions, on every summary the bot writes (issue 7). nullopt: not plain E.164.
std::optional<std::string> national_of_e164(std::string_view e164) {
  static const std::set<int> calling_codes = [] {
    std::set<int> codes;
    PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&codes);
    return codes;
  }();
  if (e164.size() < 4 || e164.size() > 16 || e164.front() != '+') return std::nullopt;
  for (std::size_t i = 1; i < e164.size(); ++i)
    if (e164[i] < '0' || e164[i] > '9') return std::nullopt;
  int code = 0;
  for (std::size_t length = 1; length <= 3; ++length) {
    code = code * 10 + (e164[length] - '0');
    // libphonenumber wants at least 2 digits after the code (MIN_LENGTH_FOR_NSN).
    if (calling_codes.count(code) && e164.size() - 1 - length >= 2) return std::string(e164.substr(1 + length));
  }
  return std::nullopt;
}

}  // namespace

std::string mask_phone(std::string_view e164) {
  std::string national(e164);
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (auto fast = national_of_e164(e164)) {
    national = std::move(*fast);
  } else if (util->Parse(std::string(e164), "ZZ", &number) == PhoneNumberUtil::NO_PARSING_ERROR) {
    national.clear();  // libphonenumber appends to its output string
    util->GetNationalSignificantNumber(number, &national);
  } else if (!national.empty() && national.front() == '+') {
    national.erase(0, 1);
  }
  if (national.size() >= 8) return national.substr(0, 3) + "****" + national.substr(national.size() - 4);
  if (national.size() >= 2) return "****" + national.substr(national.size() - 2);
  return "****";
}

}  // namespace dialogs
