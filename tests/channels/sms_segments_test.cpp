// SMS alphabets and segments (channels.md §2.8): detection, the 160/153 and 70/67 edges, the
// extension table, astral characters at segment edges, and split_sms's cut rules.
#include "channels/sms_segments.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using channels::plan_sms;
using channels::sms_encoding;
using channels::split_sms;

namespace {

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

// UTF-16 code units of valid UTF-8, counted independently of the code under test.
int utf16_units(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a lead byte: one code point
    if (c >= 0xF0) ++n;           // four-byte sequences need a surrogate pair
  }
  return n;
}

std::string strip_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\n') out.push_back(c);
  return out;
}

// The whole GSM 03.38 basic table (3GPP TS 23.038 §6.2.1) except ESC, written out by hand.
const std::string gsm_basic =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const std::string gsm_extension = "\f^{}\\[~]|€";

}  // namespace

TEST_CASE("GSM-7 covers exactly the basic and extension tables", "[sms][encoding]") {
  const auto basic = plan_sms(gsm_basic);
  CHECK(basic.encoding == sms_encoding::gsm7);
  CHECK(basic.units == 127);
  const auto ext = plan_sms(gsm_extension);
  CHECK(ext.encoding == sms_encoding::gsm7);
  CHECK(ext.units == 20);  // each costs ESC + code

  using row = std::tuple<std::string, sms_encoding, int>;
  auto [text, encoding, units] = GENERATE(table<std::string, sms_encoding, int>({
      row{"hello", sms_encoding::gsm7, 5},
      row{"€", sms_encoding::gsm7, 2},
      row{"a{b}", sms_encoding::gsm7, 6},
      row{"Ç", sms_encoding::gsm7, 1},
      row{"ç", sms_encoding::ucs2, 1},  // only the capital is in the table
      row{"`", sms_encoding::ucs2, 1},
      row{"á", sms_encoding::ucs2, 1},
      row{"\t", sms_encoding::ucs2, 1},
      row{"中", sms_encoding::ucs2, 1},
      row{"hello 中", sms_encoding::ucs2, 7},
      row{"€中", sms_encoding::ucs2, 2},  // in UCS-2 the euro is one unit again
      row{"😀", sms_encoding::ucs2, 2},
      row{"a😀b", sms_encoding::ucs2, 4},
      row{"\xFF" "abc", sms_encoding::ucs2, 4},  // invalid byte: one U+FFFD
      row{"\xE4\xB8", sms_encoding::ucs2, 2},    // truncated sequence: two bytes, two characters
  }));
  CAPTURE(text);
  const auto plan = plan_sms(text);
  CHECK(plan.encoding == encoding);
  CHECK(plan.units == units);
  CHECK(plan.segments == 1);
  CHECK(join(plan.parts) == text);
  CHECK(std::string(channels::to_string(encoding)) == (encoding == sms_encoding::gsm7 ? "gsm7" : "ucs2"));
}

TEST_CASE("Segment counts at the GSM-7 and UCS-2 edges", "[sms][segments]") {
  using row = std::tuple<std::string, int, int>;
  auto [unit, count, segments] = GENERATE(table<std::string, int, int>({
      row{"a", 1, 1},      row{"a", 160, 1},    row{"a", 161, 2},    row{"a", 306, 2},    row{"a", 307, 3},
      row{"a", 459, 3},    row{"a", 460, 4},    row{"a", 612, 4},    row{"a", 613, 5},    row{"a", 1530, 10},
      row{"a", 1531, 11},  row{"€", 80, 1},     row{"€", 81, 2},     row{"€", 153, 3},    row{"中", 70, 1},
      row{"中", 71, 2},    row{"中", 134, 2},   row{"中", 135, 3},   row{"中", 201, 3},   row{"中", 202, 4},
      row{"中", 670, 10},  row{"中", 671, 11},  row{"😀", 35, 1},    row{"😀", 36, 2},    row{"😀", 33, 1},
  }));
  CAPTURE(unit, count);
  const auto text = repeat(unit, count);
  const auto plan = plan_sms(text);
  CHECK(plan.segments == segments);
  REQUIRE(plan.parts.size() == static_cast<std::size_t>(segments));
  CHECK(join(plan.parts) == text);
  const int per = plan.encoding == sms_encoding::gsm7 ? channels::gsm7_per_segment : channels::ucs2_per_segment;
  if (segments > 1)
    for (const auto& p : plan.parts) CHECK(plan_sms(p).units <= per);
}

TEST_CASE("An escape pair or a surrogate pair never straddles a segment", "[sms][segments]") {
  SECTION("€ that would start at septet 153 moves to the next segment") {
    const auto text = repeat("a", 152) + "€" + repeat("a", 10);  // 164 septets: concatenated
    const auto plan = plan_sms(text);
    CHECK(plan.units == 164);
    REQUIRE(plan.segments == 2);
    CHECK(plan.parts[0] == repeat("a", 152));
    CHECK(plan.parts[1] == "€" + repeat("a", 10));
  }
  SECTION("€ that ends exactly at septet 153 stays") {
    const auto text = repeat("a", 151) + "€" + repeat("a", 10);
    const auto plan = plan_sms(text);
    REQUIRE(plan.segments == 2);
    CHECK(plan.parts[0] == repeat("a", 151) + "€");
  }
  SECTION("an emoji across unit 67 moves whole") {
    const auto text = repeat("中", 66) + "😀" + repeat("中", 10);  // 78 units
    const auto plan = plan_sms(text);
    CHECK(plan.units == 78);
    REQUIRE(plan.segments == 2);
    CHECK(plan.parts[0] == repeat("中", 66));
    CHECK(plan.parts[1] == "😀" + repeat("中", 10));
  }
  SECTION("an emoji filling units 66-67 stays") {
    const auto text = repeat("中", 65) + "😀" + repeat("中", 10);
    const auto plan = plan_sms(text);
    REQUIRE(plan.segments == 2);
    CHECK(plan.parts[0] == repeat("中", 65) + "😀");
  }
  SECTION("a single SMS holds 70 units, emoji included") {
    CHECK(plan_sms(repeat("中", 68) + "😀").segments == 1);
    CHECK(plan_sms(repeat("中", 69) + "😀").segments == 2);
  }
  SECTION("with pushed characters the count can exceed units / per-segment") {
    // 67 emoji: 134 units would fit 2 x 67, but 33 emoji fill 66 units and one unit per
    // segment is wasted.
    CHECK(plan_sms(repeat("😀", 67)).segments == 3);
  }
}

TEST_CASE("The empty text costs nothing and gives nothing to send", "[sms]") {
  const auto plan = plan_sms("");
  CHECK(plan.segments == 0);
  CHECK(plan.units == 0);
  CHECK(plan.parts.empty());
  CHECK(split_sms("").empty());
}

TEST_CASE("split_sms leaves a text that fits alone", "[sms][split]") {
  const auto text = GENERATE(as<std::string>{}, "Your ticket SR20260512001 is open.", std::string(1530, 'a'),
                             repeat("中", 670), "  leading and trailing  ");
  CAPTURE(text);
  CHECK(split_sms(text) == std::vector<std::string>{text});
}

TEST_CASE("split_sms cuts English after whitespace or punctuation", "[sms][split]") {
  std::string text;
  std::mt19937 rng(42);
  const char* words[] = {"engineer", "will", "visit", "tomorrow,", "please", "keep", "the", "serial", "number",
                         "ready.", "Thanks!", "a"};
  while (text.size() < 2000) {
    if (!text.empty()) text += ' ';
    text += words[rng() % std::size(words)];
  }
  const auto max = GENERATE(1, 2, 3);
  CAPTURE(max);
  const auto parts = split_sms(text, max);
  REQUIRE(parts.size() > 1);
  std::string rejoined;
  for (const auto& p : parts) {
    const auto plan = plan_sms(p);
    CHECK(plan.encoding == sms_encoding::gsm7);
    CHECK(plan.segments <= max);
    CHECK_FALSE(p.empty());
    CHECK(p.front() != ' ');
    CHECK(p.back() != ' ');
    rejoined += (rejoined.empty() ? "" : " ") + p;
  }
  // Every cut fell on a space, so joining with single spaces restores the text.
  CHECK(rejoined == text);
  // And the cuts are late: all but the last body use most of their budget.
  const int budget = max == 1 ? 160 : 153 * max;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) CHECK(plan_sms(parts[i]).units >= budget - 45);
}

TEST_CASE("split_sms cuts Chinese after Chinese punctuation", "[sms][split]") {
  const std::string sentence = "您好，您的维修单已受理。工程师将在明天上午联系您！请保持电话畅通？";  // 32 chars
  const auto text = repeat(sentence, 12);
  const auto parts = split_sms(text, 1);
  REQUIRE(parts.size() > 1);
  CHECK(join(parts) == text);  // no whitespace anywhere, so nothing is dropped
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto plan = plan_sms(parts[i]);
    CHECK(plan.encoding == sms_encoding::ucs2);
    CHECK(plan.segments == 1);
    if (i + 1 < parts.size()) {
      const auto tail = parts[i].substr(parts[i].size() - 3);
      const bool punctuation = tail == "，" || tail == "。" || tail == "！" || tail == "？";
      CAPTURE(parts[i]);
      CHECK(punctuation);
    }
  }
}

TEST_CASE("split_sms never cuts inside a character or an emoji sequence", "[sms][split]") {
  SECTION("skin tone stays with its hand") {
    const auto text = repeat("中", 68) + "👍🏽" + repeat("中", 10);
    const auto parts = split_sms(text, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == repeat("中", 68));
    CHECK(parts[1] == "👍🏽" + repeat("中", 10));
  }
  SECTION("a flag's regional indicators stay together") {
    const auto text = repeat("中", 67) + "🇨🇳🇨🇳" + repeat("中", 5);  // second flag straddles 70
    const auto parts = split_sms(text, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == repeat("中", 67));
    CHECK(parts[1] == "🇨🇳🇨🇳" + repeat("中", 5));
  }
  SECTION("ZWJ sequences stay together") {
    const std::string family = "👨\u200D👩\u200D👧";  // 8 units
    const auto text = repeat("中", 66) + family + repeat("中", 5);
    const auto parts = split_sms(text, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == repeat("中", 66));
    CHECK(parts[1] == family + repeat("中", 5));
  }
  SECTION("a GSM escape pair at the cut goes whole to the next body") {
    const auto text = repeat("a", 159) + "€" + repeat("b", 20);
    const auto parts = split_sms(text, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == repeat("a", 159));
    CHECK(parts[1] == "€" + repeat("b", 20));
  }
  SECTION("an invalid byte is a character of its own and kept") {
    const auto text = repeat("中", 69) + "\xFF" + "\xE4\xB8" + repeat("中", 3);
    const auto parts = split_sms(text, 1);
    CHECK(join(parts) == text);
    for (const auto& p : parts) CHECK(plan_sms(p).segments == 1);
  }
}

TEST_CASE("split_sms plans each body on its own and clamps the segment limit", "[sms][split]") {
  SECTION("an English body after a Chinese one may use GSM-7") {
    const auto text = repeat("中", 70) + " " + repeat("x", 150);
    const auto parts = split_sms(text, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == repeat("中", 70));
    CHECK(parts[1] == repeat("x", 150));
    CHECK(plan_sms(parts[1]).encoding == sms_encoding::gsm7);
  }
  SECTION("max below 1 means 1") {
    const auto text = repeat("a", 200);
    CHECK(split_sms(text, 0) == split_sms(text, 1));
    CHECK(split_sms(text, -5).size() == 2);
  }
  SECTION("a long word is cut as late as it fits") {
    const auto parts = split_sms(repeat("a", 400), 1);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].size() == 160);
    CHECK(parts[1].size() == 160);
    CHECK(parts[2].size() == 80);
  }
  SECTION("default: ten segments per body") {
    const auto parts = split_sms(repeat("中", 700));
    REQUIRE(parts.size() == 2);
    CHECK(utf16_units(parts[0]) == 670);
  }
}

TEST_CASE("Random texts: plans and splits keep every byte and every limit", "[sms][property]") {
  const char* alphabet[] = {"a", "b", " ", "\n", "€", "{", "中", "，", "。", "😀", "é", "👍🏽", "🇨🇳", "`", "."};
  std::mt19937 rng(20260512);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const auto length = rng() % 700;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[rng() % std::size(alphabet)];
    CAPTURE(text);
    const auto plan = plan_sms(text);
    CHECK(join(plan.parts) == text);
    CHECK(static_cast<int>(plan.parts.size()) == plan.segments);
    if (plan.encoding == sms_encoding::ucs2) CHECK(plan.units == utf16_units(text));
    if (plan.segments > 1)
      for (const auto& p : plan.parts)
        CHECK((plan.encoding == sms_encoding::ucs2 ? utf16_units(p) : plan_sms(p).units) <=
              (plan.encoding == sms_encoding::ucs2 ? 67 : 153));
    const int max = 1 + static_cast<int>(rng() % 3);
    const auto parts = split_sms(text, max);
    std::string rejoined;
    for (const auto& p : parts) {
      CHECK_FALSE(p.empty());
      CHECK(plan_sms(p).segments <= max);
      rejoined += p;
    }
    CHECK(strip_spaces(rejoined) == strip_spaces(text));
  }
}

TEST_CASE("split_sms stays linear on very long texts", "[sms][split]") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += i % 3 ? "word " : "中文，";
  const auto parts = split_sms(text, 1);
  CHECK(parts.size() > 1000);
  std::string rejoined;
  for (const auto& p : parts) {
    CHECK(plan_sms(p).segments == 1);
    rejoined += p;
  }
  CHECK(strip_spaces(rejoined) == strip_spaces(text));
}
