// The config file (strict JSON, key paths, ${ENV}, URLs): any input either loads or throws
// config_error with a one-line message naming the origin.
#include "bot/config.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)bot::load_config_text(fuzz::text(data, size), "fuzz.json");
  } catch (const bot::config_error& e) {
    const std::string_view what = e.what();
    fuzz::require(what.starts_with("fuzz.json: "), "config errors name the origin");
    fuzz::require(what.find('\n') == std::string_view::npos, "config errors are one line");
  }
  return 0;
}
