#include "dialogs/catalog.hpp"
#include "dialogs/extract_serial.hpp"
#include "tests/dialogs/dialog_fixture.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;
using dialogs_test::test_catalog;

TEST_CASE("normalise_code trims, folds width, upper-cases and drops spaces and dashes", "[dialogs][serial]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"SN5612345", "SN5612345"},
      {"  sn5612345  ", "SN5612345"},
      {"sn 561 2345", "SN5612345"},
      {"SN-561-2345", "SN5612345"},
      {"ＳＮ５６１２３４５", "SN5612345"},
      {"ｓｎ－５６１２３４５", "SN5612345"},
      {"SN\u3000561\u20142345", "SN5612345"},
      {"abc-2000", "ABC2000"},
      {"\tAbC 2000\n", "ABC2000"},
      {"", ""},
      {"机身号", "机身号"},
  }));
  CAPTURE(input);
  CHECK(normalise_code(input) == expected);
}

TEST_CASE("normalise_code keeps invalid UTF-8 bytes and never throws", "[dialogs][serial]") {
  const std::string bad = std::string("sn\xff\xfe") + "12";
  CHECK(normalise_code(bad) == std::string("SN\xff\xfe") + "12");
}

TEST_CASE("find_model ignores case, width, spaces and dashes", "[dialogs][model]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"ABC-2000", "ABC-2000"},
      {"abc2000", "ABC-2000"},
      {"ABC 2000", "ABC-2000"},
      {"ＡＢＣ－２０００", "ABC-2000"},
      {"xyz 100", "XYZ-100"},
      {"ABC-20000", ""},
      {"", ""},
  }));
  CAPTURE(input);
  const product* p = test_catalog().find_model(input);
  CHECK((p ? p->model : std::string()) == expected);
}

TEST_CASE("extract_serial finds a valid serial anywhere in the text", "[dialogs][serial]") {
  const product* washer = test_catalog().find_model("ABC-2000");
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"SN5612345", "SN5612345"},
      {"sn5612345", "SN5612345"},
      {"SN 561 2345", "SN5612345"},
      {"SN-5612345", "SN5612345"},
      {"ＳＮ５６１２３４５", "SN5612345"},
      {"序列号是SN5612345,谢谢", "SN5612345"},
      {"ABC-2000 SN5612345 13800135678", "SN5612345"},
      {"SN12", ""},
      {"5612345", ""},
      {"XY123456", ""},
      {"", ""},
  }));
  CAPTURE(input);
  const auto folded = fold(input);
  const auto m = extract_serial(folded.text, test_catalog(), washer);
  CHECK((m ? m->serial : std::string()) == expected);
}

TEST_CASE("extract_serial without a model accepts any product's pattern but never a model number",
          "[dialogs][serial]") {
  CHECK(extract_serial(fold("XY123456").text, test_catalog(), nullptr)->serial == "XY123456");
  CHECK(extract_serial(fold("SN5612345").text, test_catalog(), nullptr)->serial == "SN5612345");
  CHECK_FALSE(extract_serial(fold("ABC-2000").text, test_catalog(), nullptr));
}

TEST_CASE("serial_prefix reads the fixed start of a pattern", "[dialogs][serial]") {
  auto [pattern, expected] = GENERATE(table<std::string, std::string>({
      {"^SN[0-9]{5,10}$", "SN"},
      {"^XY[0-9]{6}$", "XY"},
      {"^ABX?[0-9]+$", "AB"},
      {"[0-9]+", ""},
      {"^[A-Z]{2}[0-9]+$", ""},
  }));
  CAPTURE(pattern);
  const product p = dialogs_test::make_product("M", "n", "", "l", {}, pattern, 12);
  CHECK(serial_prefix(p) == expected);
}
