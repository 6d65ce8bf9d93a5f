// bot/rate_limit: token buckets per key, the first refusal reported once, the cooldown, and
// the sweep that keeps the key map bounded.
#include "bot/rate_limit.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using verdict = bot::rate_limiter::verdict;

TEST_CASE("a bucket allows its burst, then refuses once loudly and then quietly", "[limits]") {
  bot::rate_limiter limiter{{1, 3, 0s, 1000}};
  const auto t0 = bot::rate_limiter::clock_type::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) CHECK(limiter.admit("a", t0) == verdict::allow);
  CHECK(limiter.admit("a", t0) == verdict::first_refusal);
  CHECK(limiter.admit("a", t0) == verdict::refused);
  CHECK(limiter.admit("b", t0) == verdict::allow);  // other keys are unaffected
  // One token per second comes back.
  CHECK(limiter.admit("a", t0 + 1s) == verdict::allow);
  CHECK(limiter.admit("a", t0 + 1s) == verdict::first_refusal);
}

TEST_CASE("with a cooldown a refused key stays refused, then starts from an empty bucket", "[limits]") {
  bot::rate_limiter limiter{{1, 2, 60s, 1000}};
  const auto t0 = bot::rate_limiter::clock_type::time_point{} + 1000s;
  CHECK(limiter.admit("k", t0) == verdict::allow);
  CHECK(limiter.admit("k", t0) == verdict::allow);
  CHECK(limiter.admit("k", t0) == verdict::first_refusal);
  CHECK(limiter.admit("k", t0 + 30s) == verdict::refused);  // tokens would be back, but cooling
  CHECK(limiter.admit("k", t0 + 59s) == verdict::refused);
  CHECK(limiter.admit("k", t0 + 61s) == verdict::allow);    // 1 s after the cooldown: one token
  CHECK(limiter.admit("k", t0 + 61s) == verdict::first_refusal);
}

TEST_CASE("a rate of 0 turns the limiter off", "[limits]") {
  bot::rate_limiter limiter{{0, 1, 0s, 10}};
  CHECK_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) CHECK(limiter.admit("x") == verdict::allow);
  CHECK(limiter.size() == 0);
}

TEST_CASE("idle keys are swept once the map is full", "[limits]") {
  bot::rate_limiter limiter{{10, 5, 0s, 100}};
  const auto t0 = bot::rate_limiter::clock_type::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) limiter.admit("key" + std::to_string(i), t0);
  CHECK(limiter.size() == 100);
  limiter.admit("late", t0 + 10s);  // every earlier bucket is full again: swept
  CHECK(limiter.size() == 1);
}
