#include "bot/sender_limit.hpp"

#include "bot/metrics.hpp"
#include "channels/email_compose.hpp"

#include <spdlog/spdlog.h>

namespace bot {

sender_gate check_sender(const app& a, const channels::inbound_message& m) {
  if (!a.sender_limiter) return sender_gate::pass;
  switch (a.sender_limiter->admit(m.channel + ":" + m.from)) {
    case rate_limiter::verdict::allow:
      return sender_gate::pass;
    case rate_limiter::verdict::first_refusal:
      metrics::limited("sender");
      // The sender is not logged (an OpenID or a phone number); the request line has the id.
      spdlog::warn("event=sender_rate_limited channel={} action=slow_down", m.channel);
      return sender_gate::slow_down;
    case rate_limiter::verdict::refused:
      metrics::limited("sender");
      return sender_gate::drop;
  }
  return sender_gate::pass;
}

std::string slow_down_text(const app& a, const std::string& variant) {
  return a.texts.render(a.cfg.default_language, "slow_down", {}, variant);
}

void enqueue_slow_down(store::transaction& tx, const app& a, const channels::inbound_message& m, outbound_text reply) {
  reply.text = slow_down_text(a, m.channel == "sms" ? "sms" : "");
  reply.language = a.cfg.default_language;
  if (reply.channel == "email") {
    auto at = a.cfg.email ? a.cfg.email->from.rfind('@') : std::string::npos;
    std::string domain = at == std::string::npos ? "localhost" : a.cfg.email->from.substr(at + 1);
    while (!domain.empty() && (domain.back() == '>' || domain.back() == ' ')) domain.pop_back();
    reply.message_id = channels::make_message_id(domain.empty() ? "localhost" : domain);
  }
  enqueue_text(tx, reply, "slow_down:" + m.channel + ":" + m.provider_id, a.clock.now());
}

}  // namespace bot
