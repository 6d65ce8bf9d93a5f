#pragma once
// The product catalog the dialog is driven by (contract: `catalog_file`).
// Plain data; bot/ loads and validates it, dialogs/ only reads it.

#include <memory>
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

// Lookup keys derived from a catalog once, so no message re-normalises catalog text.
// Vectors run parallel to catalog::products / catalog::knowledge.
struct catalog_index {
  std::vector<std::string> model_codes;                // normalise_code(model)
  std::vector<std::vector<std::string>> names;         // fold_plain of name, name_en, aliases
  std::vector<std::string> serial_prefixes;            // serial_prefix(product), upper case
  std::vector<std::vector<std::string>> kb_keywords;   // fold_plain of each keyword
  std::vector<std::string> name_words;                 // every folded name/alias, longest first
};

struct catalog {
  std::vector<product> products;
  std::vector<knowledge_entry> knowledge;
  // Set by prepare(); shared so copies of a prepared catalog stay prepared.
  std::shared_ptr<const catalog_index> index;

  // The product whose model equals `model` after normalisation (case, width, spaces and
  // dashes ignored). Returns nullptr when there is none.
  const product* find_model(std::string_view model) const;

  // Builds `index` from the current products and knowledge. The bot calls it once after
  // loading (and after every reload); without it every lookup derives the keys on the fly
  // (correct, only slower). Call again after changing products or knowledge. Never throws
  // except std::bad_alloc.
  void prepare();
};

// The catalog's index: `c.index` when it matches the catalog's contents, else one built now.
// Never null.
std::shared_ptr<const catalog_index> index_of(const catalog& c);

// Serial/model normalisation from the contract: trim, full-width to half-width, upper case,
// spaces and dashes removed. Never throws; invalid UTF-8 bytes are kept as they are.
std::string normalise_code(std::string_view text);

}  // namespace dialogs
