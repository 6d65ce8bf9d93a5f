#include "bot/rate_limit.hpp"

#include <algorithm>

namespace bot {

rate_limiter::verdict rate_limiter::admit(std::string_view key, clock_type::time_point now) {
  if (!enabled()) return verdict::allow;
  std::lock_guard lock{mutex_};
  if (sweep_at_ == 0) sweep_at_ = options_.max_keys;
  auto it = buckets_.find(std::string{key});
  if (it == buckets_.end()) {
    if (buckets_.size() >= sweep_at_) sweep(now);
    it = buckets_.emplace(std::string{key}, bucket{options_.burst, now, {}, false}).first;
  }
  auto& b = it->second;
  if (now < b.cooling_until) return verdict::refused;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(options_.burst, b.tokens + std::max(0.0, elapsed) * options_.per_second);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    b.refused = false;
    return verdict::allow;
  }
  if (b.refused) return verdict::refused;
  b.refused = true;
  if (options_.cooldown.count() > 0) {
    // Nothing builds up while cooling down: the client starts again from an empty bucket.
    b.cooling_until = now + options_.cooldown;
    b.updated = b.cooling_until;
    b.tokens = 0;
  }
  return verdict::first_refusal;
}

std::size_t rate_limiter::size() const {
  std::lock_guard lock{mutex_};
  return buckets_.size();
}

void rate_limiter::sweep(clock_type::time_point now) {
  // A bucket that would be full again and is not cooling down holds no information.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::max(0.0, std::chrono::duration<double>(now - it->second.updated).count());
    const bool full = it->second.tokens + elapsed * options_.per_second >= options_.burst;
    if (full && now >= it->second.cooling_until) it = buckets_.erase(it);
    else ++it;
  }
  // Under a flood of distinct keys, sweep again only after the map doubled (amortised O(1)).
  sweep_at_ = std::max(options_.max_keys, buckets_.size() * 2);
}

}  // namespace bot
