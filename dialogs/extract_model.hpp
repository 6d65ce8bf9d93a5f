#pragma once
// Finds which catalog product a customer means: a model number typed loosely, or a product
// name / alias ("洗衣机") that may fit several products.

#include "dialogs/catalog.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace dialogs {

struct model_match {
  // One product: the customer's meaning is clear. Several: they named a kind of product
  // the catalog has more than one of (ask which, listing these).
  std::vector<const product*> products;
  bool by_code = false;  // matched a model number (overrides an earlier answer), not a name
  span where;            // in the folded text
};

// Looks for a model in `folded` (see fold()): first a model number among the code-like runs
// ("abc2000", "ABC 2000", "ＡＢＣ－２０００"), then the longest product name or alias it
// contains. With `awaited` (the customer is answering the model question) a short answer that
// is part of exactly one product's name also counts ("滚筒" for "滚筒洗衣机").
// Returns nullopt when nothing in the text names a product.
std::optional<model_match> extract_model(std::string_view folded, const catalog& products, bool awaited);

}  // namespace dialogs
