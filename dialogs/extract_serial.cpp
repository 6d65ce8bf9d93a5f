#include "dialogs/extract_serial.hpp"

#include <algorithm>
#include <regex>
#include <vector>

namespace dialogs {

bool serial_valid(std::string_view serial, const product& p) {
  if (serial.empty()) return false;
  if (p.serial_pattern.empty()) return true;
  try {
    return std::regex_match(serial.begin(), serial.end(), p.serial_regex);
  } catch (const std::exception&) {  // regex_error on pathological patterns: not a match
    return false;
  }
}

std::optional<serial_match> extract_serial(std::string_view folded, const catalog& products,
                                           const product* for_product) {
  std::vector<std::string> models;
  models.reserve(products.products.size());
  for (const product& p : products.products) models.push_back(normalise_code(p.model));
  for (const code_candidate& c : code_candidates(folded)) {
    // A model number in the same message ("ABC-2000 SN5612345") is the model, not the serial.
    if (std::find(models.begin(), models.end(), c.code) != models.end()) continue;
    if (for_product != nullptr) {
      if (serial_valid(c.code, *for_product)) return serial_match{c.code, c.where};
      continue;
    }
    for (const product& p : products.products) {
      // Without a model, an empty pattern would accept any word; require a real pattern.
      if (!p.serial_pattern.empty() && serial_valid(c.code, p)) return serial_match{c.code, c.where};
    }
  }
  return std::nullopt;
}

std::string serial_prefix(const product& p) {
  std::string_view pattern = p.serial_pattern;
  if (!pattern.starts_with('^')) return {};
  pattern.remove_prefix(1);
  std::string prefix;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (!is_ascii_alnum(c)) {
      // A quantifier applies to the last literal, so that one is not fixed.
      if ((c == '?' || c == '*' || c == '{') && !prefix.empty()) prefix.pop_back();
      break;
    }
    prefix += c;
  }
  return prefix;
}

}  // namespace dialogs
