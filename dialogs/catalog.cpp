#include "dialogs/catalog.hpp"

#include "dialogs/text.hpp"

namespace dialogs {

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
  for (const product& p : products) {
    if (normalise_code(p.model) == wanted) return &p;
  }
  return nullptr;
}

}  // namespace dialogs
