#include "dialogs/extract_serial.hpp"

#include <algorithm>
#include <regex>
#include <vector>

namespace dialogs {
namespace {

bool is_model_code(const std::string& code, const catalog_index& index) {
  return std::find(index.model_codes.begin(), index.model_codes.end(), code) != index.model_codes.end();
}

// Look-alike swaps; `to_digit` turns letters into digits (for the variable part of a serial),
// otherwise digits into letters (for a fixed letter prefix).
char swap_look_alike(char c, bool to_digit) {
  if (to_digit) {
    switch (c) {
      case 'O': case 'Q': case 'D': return '0';
      case 'I': case 'L': return '1';
      case 'S': return '5';
      case 'B': return '8';
      case 'Z': return '2';
      case 'G': return '6';
      default: return c;
    }
  }
  switch (c) {
    case '0': return 'O';
    case '1': return 'I';
    case '5': return 'S';
    case '8': return 'B';
    case '2': return 'Z';
    default: return c;
  }
}

// Repairs of `code` for product `p` whose serials start with `prefix`; first valid one wins.
std::optional<std::string> repair(const std::string& code, const product& p, const std::string& prefix) {
  if (p.serial_pattern.empty()) return std::nullopt;
  std::vector<std::string> tries;
  // Letters typed for digits after the prefix, digits typed for letters inside it.
  {
    std::string fixed = code;
    for (std::size_t i = 0; i < fixed.size(); ++i) {
      const bool in_prefix = i < prefix.size() && is_ascii_alpha(prefix[i]);
      fixed[i] = swap_look_alike(fixed[i], !in_prefix);
    }
    tries.push_back(fixed);
  }
  if (!prefix.empty()) {
    // The prefix left out ("5612345"), or typed with look-alikes ("5N5612345" is covered above).
    if (!code.starts_with(prefix)) tries.push_back(prefix + code);
    std::string body = code;
    for (char& c : body) c = swap_look_alike(c, true);
    if (!code.starts_with(prefix)) tries.push_back(prefix + body);
  }
  for (const std::string& t : tries) {
    if (t != code && serial_valid(t, p)) return t;
  }
  return std::nullopt;
}

// serial_valid with a cheap prefix check first: most code-like runs in a message are not
// serials, and std::regex is far slower than comparing a few bytes.
bool valid_for(const std::string& code, const product& p, const std::string& prefix) {
  if (!prefix.empty() && !std::string_view(code).starts_with(prefix)) return false;
  return serial_valid(code, p);
}

// Index of `p` in the catalog; products.size() when it is not one of them.
std::size_t position_of(const catalog& products, const product* p) {
  for (std::size_t k = 0; k < products.products.size(); ++k) {
    if (&products.products[k] == p) return k;
  }
  return products.products.size();
}

}  // namespace

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
  const auto index = index_of(products);
  for (const code_candidate& c : code_candidates(folded)) {
    // A model number in the same message ("ABC-2000 SN5612345") is the model, not the serial.
    if (is_model_code(c.code, *index)) continue;
    if (for_product != nullptr) {
      const std::size_t k = position_of(products, for_product);
      const std::string& prefix = k < index->serial_prefixes.size() ? index->serial_prefixes[k] : std::string();
      if (valid_for(c.code, *for_product, prefix)) return serial_match{c.code, c.where};
      continue;
    }
    for (std::size_t k = 0; k < products.products.size(); ++k) {
      const product& p = products.products[k];
      // Without a model, an empty pattern would accept any word; require a real pattern.
      if (!p.serial_pattern.empty() && valid_for(c.code, p, index->serial_prefixes[k])) {
        return serial_match{c.code, c.where};
      }
    }
  }
  return std::nullopt;
}

std::optional<serial_match> suggest_serial(std::string_view folded, const catalog& products,
                                           const product* for_product) {
  const auto index = index_of(products);
  for (const code_candidate& c : code_candidates(folded, 3)) {
    if (c.code.size() < 4 || is_model_code(c.code, *index)) continue;
    if (std::none_of(c.code.begin(), c.code.end(), [](char ch) { return is_ascii_digit(ch); })) continue;
    for (std::size_t k = 0; k < products.products.size(); ++k) {
      const product& p = products.products[k];
      if (for_product != nullptr && &p != for_product) continue;
      if (auto fixed = repair(c.code, p, index->serial_prefixes[k])) return serial_match{*fixed, c.where};
    }
  }
  return std::nullopt;
}

std::vector<const product*> products_for_serial(std::string_view serial, const catalog& products) {
  const auto index = index_of(products);
  const std::string code(serial);
  std::vector<const product*> out;
  for (std::size_t k = 0; k < products.products.size(); ++k) {
    const product& p = products.products[k];
    if (!p.serial_pattern.empty() && valid_for(code, p, index->serial_prefixes[k])) out.push_back(&p);
  }
  return out;
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
      if ((c == '?' || c == '*' || c == '{' || c == '+') && !prefix.empty()) prefix.pop_back();
      break;
    }
    prefix += c;
  }
  return prefix;
}

}  // namespace dialogs
