// store::to_string names every error code (logs and metrics labels use them).

#include <catch2/catch.hpp>
#include <string>

#include "store/store.hpp"

TEST_CASE("every store error code has its own name", "[store][errc]") {
  using store::errc;
  CHECK(std::string(store::to_string(errc::duplicate)) == "duplicate");
  CHECK(std::string(store::to_string(errc::not_found)) == "not_found");
  CHECK(std::string(store::to_string(errc::conflict)) == "conflict");
  CHECK(std::string(store::to_string(errc::unavailable)) == "unavailable");
  CHECK(std::string(store::to_string(errc::corrupt)) == "corrupt");
  CHECK(std::string(store::to_string(errc::internal)) == "internal");
}
