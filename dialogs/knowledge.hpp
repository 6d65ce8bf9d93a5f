#pragma once
// Matches a problem description against the catalog's knowledge base (symptom → cause →
// solution), for the self-service offer and for the engineers' view of a ticket.

#include "dialogs/catalog.hpp"

#include <string_view>
#include <vector>

namespace dialogs {

// Entries with at least one keyword in `folded_problem` (see fold()), best first: more
// keywords found, then the longest keyword. An entry restricted to models must list
// `model`; with `model` unknown (nullptr) only entries for any model qualify. Empty when none.
std::vector<const knowledge_entry*> match_knowledge(std::string_view folded_problem, const product* model,
                                                    const catalog& products);

}  // namespace dialogs
