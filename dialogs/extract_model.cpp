#include "dialogs/extract_model.hpp"

#include <algorithm>
#include <string>

namespace dialogs {
namespace {

std::optional<model_match> match_code(std::string_view folded, const catalog& products,
                                      const catalog_index& index) {
  const std::vector<std::string>& codes = index.model_codes;
  // Candidates come longest first at each start, so "ABC 2000 X" prefers a three-token model
  // over a two-token one when both exist.
  for (const code_candidate& c : code_candidates(folded)) {
    for (std::size_t k = 0; k < codes.size(); ++k) {
      if (!codes[k].empty() && codes[k] == c.code) {
        return model_match{{&products.products[k]}, true, c.where};
      }
    }
  }
  return std::nullopt;
}

std::optional<model_match> match_name(std::string_view folded, const catalog& products,
                                      const catalog_index& index) {
  std::size_t best_len = 0;
  model_match best;
  for (std::size_t k = 0; k < products.products.size(); ++k) {
    const product& p = products.products[k];
    std::size_t len = 0;
    span where;
    for (const std::string& n : index.names[k]) {
      const std::size_t pos = find_word(folded, n);
      if (pos != std::string_view::npos && n.size() > len) {
        len = n.size();
        where = {pos, pos + n.size()};
      }
    }
    if (len == 0 || len < best_len) continue;
    // The longest name wins: "滚筒洗衣机" names one product even when "洗衣机" names two.
    if (len > best_len) {
      best = model_match{{}, false, where};
      best_len = len;
    }
    best.products.push_back(&p);
  }
  if (best_len == 0) return std::nullopt;
  return best;
}

std::optional<model_match> match_fragment(std::string_view folded, const catalog& products,
                                          const catalog_index& index) {
  std::string_view answer = trim_answer(folded);
  // "波轮的", "滚筒那款": the product word without the filler around it.
  for (std::string_view filler : {"那款", "那个", "这款", "这个", "的", "款"}) {
    if (answer.ends_with(filler)) answer.remove_suffix(filler.size());
  }
  for (std::string_view filler : {"是", "要"}) {
    if (answer.starts_with(filler)) answer.remove_prefix(filler.size());
  }
  // Two CJK characters or three letters at least, so "的" or "a" never picks a product.
  if (answer.size() < 3 || answer.find(masked_byte) != std::string_view::npos) return std::nullopt;
  std::vector<const product*> hits;
  for (std::size_t k = 0; k < products.products.size(); ++k) {
    for (const std::string& n : index.names[k]) {
      if (n.find(answer) != std::string::npos) {
        hits.push_back(&products.products[k]);
        break;
      }
    }
  }
  if (hits.size() != 1) return std::nullopt;
  const std::size_t begin = static_cast<std::size_t>(answer.data() - folded.data());
  return model_match{hits, false, {begin, begin + answer.size()}};
}

}  // namespace

std::optional<model_match> extract_model(std::string_view folded, const catalog& products, bool awaited) {
  const std::shared_ptr<const catalog_index> index = index_of(products);
  if (auto m = match_code(folded, products, *index)) return m;
  if (auto m = match_name(folded, products, *index)) return m;
  if (awaited) return match_fragment(folded, products, *index);
  return std::nullopt;
}

}  // namespace dialogs
