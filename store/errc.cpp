// Names of the store's error codes, for logs and metrics labels.

#include "store/store.hpp"

namespace store {

const char* to_string(errc e) {
  switch (e) {
    case errc::duplicate:
      return "duplicate";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::unavailable:
      return "unavailable";
    case errc::corrupt:
      return "corrupt";
    case errc::internal:
      return "internal";
  }
  // An out-of-range value cast into errc; name it rather than return a dangling guess.
  return "unknown";
}

}  // namespace store
