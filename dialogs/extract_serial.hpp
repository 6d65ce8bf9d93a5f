#pragma once
// Finds a product serial number in a customer's text and checks it against the product's
// serial pattern (contract: matched after normalise_code()).

#include "dialogs/catalog.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>

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

// The literal letters a product's serials start with ("SN" for "^SN[0-9]{5,10}$"), to tell a
// customer what to look for; empty when the pattern does not start with a fixed prefix.
std::string serial_prefix(const product& p);

}  // namespace dialogs
