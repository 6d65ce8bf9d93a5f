#pragma once
// In-memory token buckets keyed by a string (a client IP, a channel + sender). One instance
// only: with several servicebot instances behind a load balancer each keeps its own buckets,
// so a client spread over N instances gets up to N times the rate (docs/operations.md).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bot {

class rate_limiter {
 public:
  using clock_type = std::chrono::steady_clock;

  struct options {
    double per_second = 1;             // refill rate; <= 0 turns the limiter off (everything allowed)
    double burst = 10;                 // bucket size: this many back to back, then per_second
    std::chrono::seconds cooldown{0};  // after the first refusal, refuse everything this long
    std::size_t max_keys = 100000;     // past this many keys, idle (full, not cooling) ones are dropped
  };

  enum class verdict {
    allow,
    first_refusal,  // the bucket just ran dry: the caller may tell the client once (slow down / 429)
    refused,        // still dry, or cooling down: drop quietly (or 429)
  };

  explicit rate_limiter(options o) : options_(o) {}

  // Takes one token for `key`. Thread-safe.
  verdict admit(std::string_view key, clock_type::time_point now = clock_type::now());

  bool enabled() const { return options_.per_second > 0; }
  // Keys currently tracked (tests).
  std::size_t size() const;

 private:
  struct bucket {
    double tokens = 0;
    clock_type::time_point updated;
    clock_type::time_point cooling_until;  // refusing everything until then
    bool refused = false;                  // the first refusal was already reported
  };
  void sweep(clock_type::time_point now);

  options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
  std::size_t sweep_at_ = 0;  // size that triggers the next sweep
};

}  // namespace bot
