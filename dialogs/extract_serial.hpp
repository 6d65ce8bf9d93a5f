#pragma once
// Finds a product serial number in a customer's text and checks it against the product's
// serial pattern (contract: matched after normalise_code()).

#include "dialogs/catalog.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialogs {

struct serial_match {
  std::string serial;  // normalised ("SN5612345")
  span where;          // in the folded text
};

// True when the normalised `serial` matches `p.serial_regex` in full. An empty pattern
// accepts any non-empty serial. Never throws (a regex failure counts as no match).
bool serial_valid(std::string_view serial, const product& p);

// The first code-like run in `folded` that is a valid serial for `for_product`, or, when the
// model is not known yet (nullptr), for any product of `products`. Model numbers of the
// catalog are never taken as serials. Returns nullopt when there is none.
std::optional<serial_match> extract_serial(std::string_view folded, const catalog& products,
                                           const product* for_product);

// A plausible typo of a serial: the first code-like run that is not valid as typed but becomes
// valid for `for_product` (or, without one, for a product with a real pattern) after one
// repair: look-alike characters swapped (O/0, I/L/1, S/5, B/8, Z/2) or the pattern's fixed
// prefix added ("5612345" -> "SN5612345"). `serial` is the repaired value, to offer as
// "did you mean". Runs shorter than four characters or without a digit are never repaired.
// Returns nullopt when no run can be repaired.
std::optional<serial_match> suggest_serial(std::string_view folded, const catalog& products,
                                           const product* for_product);

// The products whose serial pattern accepts `serial` (products without a pattern never do),
// in catalog order: a serial's prefix often tells the model.
std::vector<const product*> products_for_serial(std::string_view serial, const catalog& products);

// The literal letters a product's serials start with ("SN" for "^SN[0-9]{5,10}$"), to tell a
// customer what to look for; empty when the pattern does not start with a fixed prefix.
std::string serial_prefix(const product& p);

}  // namespace dialogs
