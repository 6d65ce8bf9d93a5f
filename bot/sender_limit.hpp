#pragma once
// The per-customer message rate (config limits.sender_*): checked on the network thread after a
// webhook is authenticated and parsed, before any store work, so a flooding customer costs a
// hash lookup. The first message over the rate gets the slow_down reply; the ones after it are
// acknowledged to the gateway (so it does not retry) and dropped, for the cooldown.
// In-memory, one instance only (bot/rate_limit.hpp).

#include "bot/app.hpp"
#include "bot/outbound.hpp"
#include "channels/message.hpp"
#include "store/store.hpp"

#include <string>

namespace bot {

enum class sender_gate { pass, slow_down, drop };

// The limiter's verdict for `m` (a.sender_limiter; pass when there is none). Counts the message
// against its sender. Any thread.
sender_gate check_sender(const app& a, const channels::inbound_message& m);

// The slow_down reply in the default language (`variant` "sms" for SMS).
std::string slow_down_text(const app& a, const std::string& variant = {});

// Enqueues the slow_down reply like `reply` (channel, recipient, e-mail subject and threading),
// keyed on the message so a replayed unit sends it once. Runs in a store write unit.
void enqueue_slow_down(store::transaction& tx, const app& a, const channels::inbound_message& m, outbound_text reply);

}  // namespace bot
