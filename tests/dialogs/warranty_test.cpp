#include "dialogs/intake.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

TEST_CASE("in_warranty: purchase + warranty_months covers today", "[dialogs][warranty]") {
  auto [purchase, months, expected] = GENERATE(table<std::string, int, int>({
      {"2025-03-15", 24, 1},  // the product.md sample
      {"2024-05-13", 24, 1},  // last covered day is today
      {"2024-05-12", 24, 0},  // ends today
      {"2024-01-01", 12, 0},
      {"2026-05-12", 12, 1},  // bought today
      {"2026-03-31", 1, 0},   // Mar 31 + 1 month: to the end of April
      {"2026-04-30", 1, 1},
      {"2025-05-12", 0, 0},   // no warranty at all
      {"garbage", 12, -1},
      {"2025-02-30", 12, -1},
  }));
  CAPTURE(purchase, months);
  const auto got = in_warranty(purchase, months, {2026, 5, 12});
  CHECK((got ? (*got ? 1 : 0) : -1) == expected);
}

TEST_CASE("in_warranty clamps to a shorter month's end", "[dialogs][warranty]") {
  CHECK(in_warranty("2026-01-31", 1, {2026, 2, 28}) == std::optional<bool>(true));
  CHECK(in_warranty("2026-01-31", 1, {2026, 3, 1}) == std::optional<bool>(false));
}
