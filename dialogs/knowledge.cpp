#include "dialogs/knowledge.hpp"

#include "dialogs/text.hpp"

#include <algorithm>

namespace dialogs {

std::vector<const knowledge_entry*> match_knowledge(std::string_view folded_problem, const product* model,
                                                    const catalog& products) {
  struct scored {
    const knowledge_entry* entry;
    std::size_t hits, longest;
  };
  std::vector<scored> found;
  if (folded_problem.empty() || products.knowledge.empty()) return {};
  const auto index = index_of(products);
  for (std::size_t k = 0; k < products.knowledge.size(); ++k) {
    const knowledge_entry& e = products.knowledge[k];
    if (!e.models.empty()) {
      if (model == nullptr || std::find(e.models.begin(), e.models.end(), model->model) == e.models.end()) continue;
    }
    std::size_t hits = 0, longest = 0;
    for (const std::string& w : index->kb_keywords[k]) {
      if (find_word(folded_problem, w) != std::string_view::npos) {
        ++hits;
        longest = std::max(longest, w.size());
      }
    }
    if (hits > 0) found.push_back({&e, hits, longest});
  }
  std::stable_sort(found.begin(), found.end(), [](const scored& a, const scored& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.longest > b.longest;
  });
  std::vector<const knowledge_entry*> out;
  for (const scored& s : found) out.push_back(s.entry);
  return out;
}

}  // namespace dialogs
