// WeChat Official Account webhook (contract: Inbound webhooks; channels.md §1).
// GET: URL verification. POST: plain, compatible or safe mode; the answer is the passive reply,
// sent only after the message's effects are committed.
#include "bot/app.hpp"
#include "bot/intake_flow.hpp"
#include "bot/metrics.hpp"
#include "bot/sender_limit.hpp"
#include "bot/workflow.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace bot {
namespace {

// 16 printable random bytes for the FullStr prefix of an encrypted reply (§1.7.2).
std::string random16() {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  for (unsigned char b : raw) out.push_back(alphabet[b % (sizeof alphabet - 1)]);
  return out;
}

std::string join_replies(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) {
    if (!out.empty()) out += "\n\n";
    out += t;
  }
  return out;
}

http_response xml_response(std::string body) {
  http_response r;
  r.content_type = body == "success" ? "text/plain; charset=utf-8" : "application/xml; charset=utf-8";
  r.body = std::move(body);
  return r;
}

net::awaitable<http_response> verify_url(const app& a, http_request req) {
  const auto& wc = *a.cfg.wechat;
  auto signature = req.query_param("signature"), timestamp = req.query_param("timestamp"),
       nonce = req.query_param("nonce"), echostr = req.query_param("echostr");
  if (!signature || !timestamp || !nonce || !echostr)
    co_return json_error(401, "unauthenticated", "signature, timestamp, nonce and echostr are required");
  if (!channels::wechat::verify_signature(wc.token, *timestamp, *nonce, *signature)) {
    spdlog::warn("request id={} event=signature_failed channel=wechat kind=verify", req.request_id);
    co_return json_error(403, "bad_signature", "signature does not match");
  }
  http_response r;
  r.body = *echostr;
  co_return r;
}

net::awaitable<http_response> receive(const app& a, http_request req) {
  namespace wx = channels::wechat;
  const auto& wc = *a.cfg.wechat;
  auto signature = req.query_param("signature"), timestamp = req.query_param("timestamp"),
       nonce = req.query_param("nonce");
  if (!signature || !timestamp || !nonce)
    co_return json_error(401, "unauthenticated", "signature, timestamp and nonce are required");
  const bool safe_mode = req.query_param("encrypt_type").value_or("") == "aes";

  std::string xml;
  if (safe_mode) {
    if (!a.wechat_key) co_return json_error(400, "safe_mode_not_configured", "encoding_aes_key is not configured");
    auto msg_signature = req.query_param("msg_signature");
    if (!msg_signature) co_return json_error(401, "unauthenticated", "msg_signature is required in safe mode");
    auto envelope = wx::parse_envelope(req.body);
    if (auto* e = std::get_if<wx::parse_error>(&envelope))
      co_return json_error(400, "malformed_body", wx::to_string(*e));
    const auto& encrypted = std::get<wx::envelope>(envelope).encrypt;
    // Safe mode is authenticated by msg_signature over the ciphertext, not by `signature`
    // (channels.md §1.13: checking the wrong one rejects every message).
    if (!wx::verify_msg_signature(wc.token, *timestamp, *nonce, encrypted, *msg_signature)) {
      spdlog::warn("request id={} event=signature_failed channel=wechat kind=msg_signature", req.request_id);
      co_return json_error(403, "bad_signature", "msg_signature does not match");
    }
    auto plain = wx::decrypt(*a.wechat_key, encrypted, wc.app_id);
    if (auto* e = std::get_if<wx::crypto_error>(&plain))
      co_return json_error(400, "bad_ciphertext", wx::to_string(*e));
    xml = std::move(std::get<wx::decrypted>(plain).msg);
  } else {
    if (!wx::verify_signature(wc.token, *timestamp, *nonce, *signature)) {
      spdlog::warn("request id={} event=signature_failed channel=wechat kind=signature", req.request_id);
      co_return json_error(403, "bad_signature", "signature does not match");
    }
    xml = std::move(req.body);
  }

  auto parsed = wx::parse_message(xml);
  if (auto* e = std::get_if<wx::parse_error>(&parsed)) co_return json_error(400, "malformed_body", wx::to_string(*e));
  auto message = std::move(std::get<channels::inbound_message>(parsed));

  // The passive reply is built inside the store unit so that a retry replays the same bytes.
  std::string nonce_value = *nonce;
  reply_delivery delivery;
  delivery.passive = [&a, safe_mode, nonce_value, to = message.from, from = message.to](
                             const std::vector<std::string>& texts) -> std::string {
    if (texts.empty()) return "success";  // the legal "no reply" (§1.6)
    const auto now = a.clock.now();
    auto xml_reply = wx::text_reply_xml(to, from, now, join_replies(texts));
    if (!safe_mode) return xml_reply;
    const auto& cfg = *a.cfg.wechat;
    auto encrypted = wx::encrypt(*a.wechat_key, xml_reply, cfg.app_id, random16());
    auto ts = std::to_string(now);
    auto sig = wx::signature({cfg.token, ts, nonce_value, encrypted});
    return wx::encrypted_reply_xml(encrypted, sig, now, nonce_value);
  };

  // A flooding customer: told to slow down once (passive reply), then ignored for a while.
  if (auto gate = check_sender(a, message); gate != sender_gate::pass) {
    std::vector<std::string> texts;
    if (gate == sender_gate::slow_down) texts.push_back(slow_down_text(a));
    co_return xml_response(delivery.passive(texts));
  }
  delivery.request_id = req.request_id;

  std::function<inbound_outcome(store::transaction&)> unit = [&a, message, delivery](store::transaction& tx) {
    // The customer just wrote: their customer-service window (48 h, cs_quota messages) opens
    // again. Recorded first, so messages this very step enqueues may use it.
    workflow::note_wechat_inbound(tx, message.from, a.clock.now());
    return handle_inbound(tx, a, message, delivery);
  };
  auto outcome = co_await a.store->write<inbound_outcome>(std::move(unit));
  // The step may have queued notifications (assignment, survey follow-up) besides the reply.
  send_after_commit(a, outcome);
  spdlog::info("request id={} event=inbound channel=wechat kind={} duplicate={}{}{}", req.request_id, message.kind,
               outcome.duplicate, outcome.ticket.empty() ? "" : " ticket=", outcome.ticket);
  metrics::inbound_message("wechat", message.kind, outcome.duplicate, !outcome.ticket.empty(), outcome.deflected);
  co_return xml_response(std::move(outcome.reply_body));
}

}  // namespace

std::vector<route> wechat_routes(app& a) {
  std::vector<route> routes;
  if (!a.cfg.wechat) return routes;  // contract: a channel without a block answers 404
  routes.push_back({"GET", "/webhooks/wechat", [&a](http_request r) { return verify_url(a, std::move(r)); }});
  routes.push_back({"POST", "/webhooks/wechat", [&a](http_request r) { return receive(a, std::move(r)); }});
  return routes;
}

}  // namespace bot
