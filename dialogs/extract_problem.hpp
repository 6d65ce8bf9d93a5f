#pragma once
// Finds the part of a message that describes the problem, so a first message like
// "ABC-2000 洗衣机,脱水时噪音很大,电话 138..." keeps "脱水时噪音很大" as the problem.

#include "dialogs/catalog.hpp"
#include "dialogs/text.hpp"

#include <string>
#include <string_view>

namespace dialogs {

// The clauses (split at , 。 ; ! ? and line breaks) of `work` that still say something once
// the parts other extractors used (masked_byte) and filler are left out: greetings, the words
// that name a slot (电话, serial), product names from `index`, generic fault words that say
// nothing about the symptom (坏了, broken, 报修), urgency words. A clause qualifies when two or
// more CJK characters or one Latin word of three letters or more remain. With
// `symptoms_only`, a clause must also name a symptom (噪音, 漏水, leaking, error, a knowledge
// keyword): used when the customer is answering another question and the problem is known.
// Returns the qualifying clauses in the customer's spelling (`source`, mapped by `folded`),
// joined with ","; empty when none qualifies.
std::string extract_problem(std::string_view work, const folded_text& folded, std::string_view source,
                            const catalog_index& index, bool symptoms_only);

}  // namespace dialogs
