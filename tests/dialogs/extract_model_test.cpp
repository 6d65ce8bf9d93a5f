#include "dialogs/extract_model.hpp"
#include "tests/dialogs/dialog_fixture.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;
using dialogs_test::test_catalog;

namespace {

// "ABC-2000" for one product, "ABC-2000|ABC-3000" for several, "" for none.
std::string models_in(const std::string& text, bool awaited) {
  const auto m = extract_model(fold(text).text, test_catalog(), awaited);
  if (!m) return {};
  std::string out;
  for (const product* p : m->products) out += (out.empty() ? "" : "|") + p->model;
  return out;
}

}  // namespace

TEST_CASE("extract_model accepts model numbers typed loosely", "[dialogs][model]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"ABC-2000", "ABC-2000"},
      {"abc2000", "ABC-2000"},
      {"ABC 2000", "ABC-2000"},
      {"ＡＢＣ－２０００", "ABC-2000"},
      {"型号是abc-3000的", "ABC-3000"},
      {"型号错了,是XYZ-100", "XYZ-100"},
      {"my washer ABC-3000 is broken", "ABC-3000"},
      {"ABC-2000 SN5612345 13800135678", "ABC-2000"},
      {"ABC-200", ""},
      {"ABC-20001", ""},
  }));
  CAPTURE(input);
  CHECK(models_in(input, false) == expected);
}

TEST_CASE("extract_model matches names and aliases, longest first", "[dialogs][model]") {
  auto [input, awaited, expected] = GENERATE(table<std::string, bool, std::string>({
      {"洗衣机坏了", false, "ABC-2000|ABC-3000"},
      {"滚筒洗衣机坏了", false, "ABC-2000"},
      {"净水机不出水", false, "XYZ-100"},
      {"净水器漏水", false, "XYZ-100"},
      {"my washing machine is broken", false, "ABC-2000"},
      {"my washer is broken", false, "ABC-2000|ABC-3000"},
      {"my dishwasher is broken", false, ""},
      {"the water purifier leaks", false, "XYZ-100"},
      {"滚筒", true, "ABC-2000"},
      {"滚筒", false, ""},
      {"波轮的", true, "ABC-3000"},
      {"的", true, ""},
      {"电视机", true, ""},
  }));
  CAPTURE(input, awaited);
  CHECK(models_in(input, awaited) == expected);
}

TEST_CASE("extract_model reports whether a model number matched", "[dialogs][model]") {
  CHECK(extract_model(fold("ABC-2000").text, test_catalog(), false)->by_code);
  CHECK_FALSE(extract_model(fold("滚筒洗衣机").text, test_catalog(), false)->by_code);
}
