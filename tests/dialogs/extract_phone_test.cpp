#include "dialogs/extract_phone.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

TEST_CASE("extract_phone turns the shapes people type into E.164", "[dialogs][phone]") {
  auto [language, input, expected] = GENERATE(table<std::string, std::string, std::string>({
      {"zh-CN", "13800135678", "+8613800135678"},
      {"zh-CN", "138 0013 5678", "+8613800135678"},
      {"zh-CN", "138-0013-5678", "+8613800135678"},
      {"zh-CN", "+86 138 0013 5678", "+8613800135678"},
      {"zh-CN", "0086 138 0013 5678", "+8613800135678"},
      {"zh-CN", "+86-13800135678", "+8613800135678"},
      {"zh-CN", "１３８００１３５６７８", "+8613800135678"},
      {"zh-CN", "我的电话是13800135678,谢谢", "+8613800135678"},
      {"zh-CN", "电话:010-12345678", "+861012345678"},
      {"zh-CN", "订单 12 13800135678", "+8613800135678"},
      {"en", "(415) 555-0100", "+14155550100"},
      {"en", "415-555-0100", "+14155550100"},
      {"en", "+1 415 555 0100", "+14155550100"},
      {"en", "call me on 13800135678", "+8613800135678"},
      {"en", "+86 138 0013 5678", "+8613800135678"},
      {"zh-CN", "12345", ""},
      {"zh-CN", "SN5612345", ""},
      {"zh-CN", "2025-03-15", ""},
      {"zh-CN", "没有电话", ""},
      {"zh-CN", "", ""},
  }));
  CAPTURE(language, input);
  const auto m = extract_phone(fold(input).text, phone_regions(language, "CN"));
  CHECK((m ? m->e164 : std::string()) == expected);
}

TEST_CASE("phone_regions prefers North America for English speakers of a Chinese operator", "[dialogs][phone]") {
  CHECK(phone_regions("zh-CN", "CN") == std::vector<std::string>{"CN"});
  CHECK(phone_regions("en", "CN") == std::vector<std::string>{"US", "CN"});
  CHECK(phone_regions("en", "GB") == std::vector<std::string>{"GB"});
  CHECK(phone_regions("zh-CN", "") == std::vector<std::string>{"CN"});
}

TEST_CASE("mask_phone hides the middle of the national number", "[dialogs][phone]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"+8613800135678", "138****5678"},
      {"+14155550100", "415****0100"},
      {"+861012345678", "101****5678"},
      {"", "****"},
      {"+12", "****12"},
      {"+442079460958", "207****0958"},   // 2-digit calling code
      {"+390612345678", "061****5678"},   // Italy keeps the leading 0 in the national number
      {"+353871234567", "871****4567"},    // 3-digit calling code
      {"+86 138 0013 5678", "138****5678"},  // not plain E.164: parsed by libphonenumber
  }));
  CAPTURE(input);
  CHECK(mask_phone(input) == expected);
}
