#include "dialogs/catalog.hpp"

#include "dialogs/extract_serial.hpp"
#include "dialogs/text.hpp"

#include <algorithm>

namespace dialogs {
namespace {

std::shared_ptr<catalog_index> build_index(const catalog& c) {
  auto index = std::make_shared<catalog_index>();
  for (const product& p : c.products) {
    index->model_codes.push_back(normalise_code(p.model));
    std::vector<std::string> names;
    for (const std::string* n : {&p.name, &p.name_en}) {
      if (!n->empty()) names.push_back(fold_plain(*n));
    }
    for (const std::string& a : p.aliases) {
      if (!a.empty()) names.push_back(fold_plain(a));
    }
    for (const std::string& n : names) index->name_words.push_back(n);
    index->names.push_back(std::move(names));
    index->serial_prefixes.push_back(normalise_code(serial_prefix(p)));
  }
  for (const knowledge_entry& k : c.knowledge) {
    std::vector<std::string> words;
    for (const std::string& w : k.keywords) {
      std::string folded = fold_plain(w);
      if (!folded.empty()) words.push_back(std::move(folded));
    }
    index->kb_keywords.push_back(std::move(words));
  }
  auto& words = index->name_words;
  std::sort(words.begin(), words.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return index;
}

bool matches(const catalog& c, const catalog_index& index) {
  return index.model_codes.size() == c.products.size() && index.kb_keywords.size() == c.knowledge.size();
}

}  // namespace

std::string normalise_code(std::string_view text) {
  // fold() already maps full-width forms and Unicode dashes to ASCII and lower-cases letters;
  // the contract wants upper case with separators gone.
  const std::string folded = fold_plain(text);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (c == ' ' || c == '-' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') continue;
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

const product* catalog::find_model(std::string_view model) const {
  const std::string wanted = normalise_code(model);
  if (wanted.empty()) return nullptr;
  if (index && matches(*this, *index)) {
    for (std::size_t k = 0; k < products.size(); ++k) {
      if (index->model_codes[k] == wanted) return &products[k];
    }
    return nullptr;
  }
  for (const product& p : products) {
    if (normalise_code(p.model) == wanted) return &p;
  }
  return nullptr;
}

void catalog::prepare() { index = build_index(*this); }

std::shared_ptr<const catalog_index> index_of(const catalog& c) {
  if (c.index && matches(c, *c.index)) return c.index;
  return build_index(c);
}

}  // namespace dialogs
