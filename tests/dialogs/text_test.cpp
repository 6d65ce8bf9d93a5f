#include "dialogs/text.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

TEST_CASE("detect_language looks at words, not codes", "[dialogs][text]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"洗衣机坏了", "zh-CN"},
      {"ABC-2000 坏了", "zh-CN"},
      {"my washer is broken", "en"},
      {"ok", "en"},
      {"ABC-2000", "fallback"},
      {"SN5612345 13800135678", "fallback"},
      {"12345", "fallback"},
      {"", "fallback"},
      {"\xff\xfe", "fallback"},
  }));
  CAPTURE(input);
  CHECK(detect_language(input, "fallback") == expected);
}

TEST_CASE("fold maps full-width forms and keeps offsets into the source", "[dialogs][text]") {
  const std::string source = "ＡＢＣ－２０００ 坏了";
  const folded_text f = fold(source);
  CHECK(f.text == "abc-2000 坏了");
  REQUIRE(f.origin.size() == f.text.size() + 1);
  CHECK(f.origin[1] == 3);  // "Ｂ" starts at byte 3
  CHECK(f.origin.back() == source.size());
}

TEST_CASE("sanitise_utf8 replaces invalid sequences and drops NUL", "[dialogs][text]") {
  CHECK(sanitise_utf8(std::string("a\xff" "b", 3)) == "a\uFFFDb");
  CHECK(sanitise_utf8(std::string("a\0b", 3)) == "ab");
  CHECK(sanitise_utf8("\xe6\xb4") == "\uFFFD\uFFFD");  // truncated sequence
  CHECK(sanitise_utf8("\xed\xa0\x80") == "\uFFFD\uFFFD\uFFFD");  // surrogate
  CHECK(sanitise_utf8("洗衣机") == "洗衣机");
}

TEST_CASE("trim_answer strips spaces and punctuation around an answer", "[dialogs][text]") {
  CHECK(trim_answer("  确认。") == "确认");
  CHECK(trim_answer("\u3000ok!\n") == "ok");
  CHECK(trim_answer("，，") == "");
  CHECK(trim_answer("a, b") == "a, b");
}

TEST_CASE("code_candidates joins tokens across spaces and dashes, longest first", "[dialogs][text]") {
  const auto c = code_candidates("abc - 2000 x");
  REQUIRE(c.size() >= 3);
  CHECK(c[0].code == "ABC2000X");
  CHECK(c[1].code == "ABC2000");
  CHECK(c[2].code == "ABC");
}
