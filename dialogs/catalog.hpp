#pragma once
// The product catalog the dialog is driven by (contract: `catalog_file`).
// Plain data; bot/ loads and validates it, dialogs/ only reads it.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace dialogs {

struct product {
  std::string model;          // "ABC-2000"
  std::string name;           // Chinese name
  std::string name_en;        // English name (may be empty)
  std::string line;           // product line, used by assignment rules
  std::vector<std::string> aliases;
  std::string serial_pattern; // ECMAScript regex over the normalised serial
  std::regex serial_regex;    // compiled serial_pattern
  int warranty_months = 0;
  int maintenance_cycle_days = 0;
};

struct knowledge_entry {
  std::string id;
  std::vector<std::string> models;  // empty: any model
  std::vector<std::string> keywords;
  std::string symptom, cause, solution;
  bool self_service = false;
};

struct catalog {
  std::vector<product> products;
  std::vector<knowledge_entry> knowledge;

  // The product whose model equals `model` after normalisation (case, width, spaces and
  // dashes ignored). Returns nullptr when there is none.
  const product* find_model(std::string_view model) const;
};

// Serial/model normalisation from the contract: trim, full-width to half-width, upper case,
// spaces and dashes removed. Never throws; invalid UTF-8 bytes are kept as they are.
std::string normalise_code(std::string_view text);

}  // namespace dialogs
