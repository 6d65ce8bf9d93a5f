// Every key step() can emit has a template in every language (style.md §15).
#include "dialogs/intake.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

TEST_CASE("every dialog template key exists in zh-CN and en", "[dialogs][templates]") {
  const auto keys = dialogs::template_keys();
  REQUIRE_FALSE(keys.empty());
  CHECK(std::set<std::string_view>(keys.begin(), keys.end()).size() == keys.size());
  for (const char* language : {"zh-CN", "en"}) {
    for (std::string_view key : keys) {
      const std::filesystem::path file =
          std::filesystem::path(SB_SOURCE_DIR) / "templates" / language / (std::string(key) + ".mustache");
      CAPTURE(file.string());
      REQUIRE(std::filesystem::is_regular_file(file));
      std::ifstream in(file, std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK_FALSE(text.empty());
      // Sections must be balanced, or the renderer fails at run time.
      std::size_t opens = 0, closes = 0;
      for (std::size_t pos = text.find("{{#"); pos != std::string::npos; pos = text.find("{{#", pos + 1)) ++opens;
      for (std::size_t pos = text.find("{{^"); pos != std::string::npos; pos = text.find("{{^", pos + 1)) ++opens;
      for (std::size_t pos = text.find("{{/"); pos != std::string::npos; pos = text.find("{{/", pos + 1)) ++closes;
      CHECK(opens == closes);
    }
  }
}
