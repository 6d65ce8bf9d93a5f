#include "channels/form.hpp"

#include <catch2/catch.hpp>

using channels::form_fields;

TEST_CASE("Form bodies decode in order with repeated keys and plus as space", "[form]") {
  auto f = channels::parse_form("Body=Hello+world%21&MediaUrl0=http%3A%2F%2Fx&Body=%E4%B8%AD&Empty=&Flag");
  REQUIRE(f);
  CHECK(*f == form_fields{{"Body", "Hello world!"}, {"MediaUrl0", "http://x"}, {"Body", "中"}, {"Empty", ""}, {"Flag", ""}});
  CHECK(channels::parse_form("")->empty());
  CHECK(channels::parse_form("&&a=1&&")->size() == 1);
}

TEST_CASE("Malformed form bodies are refused", "[form][malformed]") {
  auto input = GENERATE(as<std::string>{}, "a=%", "a=%4", "a=%zz", "%G0=1", "a=%C3%28", "a=%ED%A0%80", "a=%F8%88%80%80%80",
                        "a=%C0%AF", "x=1&y=%E4%B8");
  CAPTURE(input);
  CHECK_FALSE(channels::parse_form(input));
}

TEST_CASE("UTF-8 validation follows the standard", "[form][utf8]") {
  using row = std::tuple<std::string, bool>;
  auto [text, valid] = GENERATE(table<std::string, bool>({
      row{"plain ascii", true},
      row{"中文 and emoji 😀", true},
      row{std::string("\xC3\x28"), false},          // bad continuation
      row{std::string("\xE2\x82"), false},          // truncated
      row{std::string("\xC0\xAF"), false},          // overlong '/'
      row{std::string("\xED\xA0\x80"), false},      // UTF-16 surrogate
      row{std::string("\xF4\x90\x80\x80"), false},  // past U+10FFFF
      row{std::string("\xFF"), false},
      row{std::string("a\0b", 3), true},
  }));
  CAPTURE(text);
  CHECK(channels::valid_utf8(text) == valid);
}

TEST_CASE("Form encoding round-trips through decoding", "[form]") {
  auto text = GENERATE(as<std::string>{}, "", "a b&c=d", "中文+100%", "~-_.", "line\r\nbreak");
  CHECK(channels::percent_decode(channels::form_encode(text), true) == text);
  CHECK(channels::percent_decode(channels::form_encode(text, false), false) == text);
}
