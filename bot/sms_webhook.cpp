// Twilio SMS/MMS webhook (contract: Inbound webhooks; channels.md §2). The answer comes after
// the step is committed and never waits on Twilio. With channels.sms.reply "rest" (default) it is
// empty TwiML and the replies go through the outbox and the REST API; with "twiml" the replies
// are <Message> elements of the answer, stored with the inbound record so that a retry of the
// same MessageSid gets the same answer.
#include "bot/app.hpp"
#include "bot/intake_flow.hpp"
#include "bot/metrics.hpp"
#include "bot/sender_limit.hpp"
#include "channels/form.hpp"
#include "channels/sms_segments.hpp"
#include "channels/twilio.hpp"

#include <spdlog/spdlog.h>

namespace bot {
namespace {

http_response twiml(std::string body) {
  http_response r;
  r.content_type = "text/xml; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// Opt-out keywords change the customer's consent and nothing else (Twilio itself confirms
// STOP/START to the handset); HELP is answered with our contact text.
inbound_outcome handle_keyword(store::transaction& tx, const app& a, const channels::inbound_message& m,
                               channels::sms_keyword keyword) {
  const auto now = a.clock.now();
  inbound_outcome out;
  out.reply_body = channels::empty_twiml();
  if (!tx.record_inbound({m.channel, m.provider_id, m.from, now, out.reply_body})) {
    out.duplicate = true;
    return out;
  }
  auto customer = tx.find_or_create_customer(m.channel, m.from, now);
  tx.append_message({customer.id, m.channel, "", now, "in", m.text});
  if (keyword == channels::sms_keyword::stop || keyword == channels::sms_keyword::start) {
    customer.opted_out = keyword == channels::sms_keyword::stop;
    tx.update_customer(customer);
  } else {
    const auto language = customer.language.empty() ? a.cfg.default_language : customer.language;
    outbound_text help;
    help.channel = "sms";
    help.recipient = m.from;
    help.language = language;
    help.text = a.texts.render(language, "sms_help", {}, "sms");
    enqueue_text(tx, help, "help:" + m.provider_id, now);
    tx.append_message({customer.id, m.channel, "", now, "out", help.text});
  }
  return out;
}

net::awaitable<http_response> receive(const app& a, http_request req) {
  const auto& sc = *a.cfg.sms;
  auto signature = req.header("x-twilio-signature");
  if (signature.empty()) co_return json_error(401, "unauthenticated", "X-Twilio-Signature is required");
  auto fields = channels::parse_form(req.body);
  if (!fields) co_return json_error(400, "malformed_body", "body is not valid form-urlencoded UTF-8");
  // Twilio signs the URL it was configured with: rebuild it from public_base_url, never from
  // the Host header a proxy may have rewritten (channels.md §2.9).
  const std::string url = a.cfg.public_base_url + req.target;
  if (!channels::verify_twilio_signature(sc.auth_token, url, *fields, signature)) {
    spdlog::warn("request id={} event=signature_failed channel=sms", req.request_id);
    co_return json_error(403, "bad_signature", "X-Twilio-Signature does not match");
  }
  auto parsed = channels::parse_twilio_sms(*fields);
  if (auto* e = std::get_if<channels::input_error>(&parsed))
    co_return json_error(400, "malformed_body", channels::to_string(*e));
  auto message = std::move(std::get<channels::inbound_message>(parsed));

  const auto keyword = channels::classify_sms_keyword(message.text);
  std::function<inbound_outcome(store::transaction&)> unit;
  if (keyword != channels::sms_keyword::none) {
    unit = [&a, message, keyword](store::transaction& tx) { return handle_keyword(tx, a, message, keyword); };
  } else {
    reply_delivery delivery;
    delivery.outbox.channel = "sms";
    delivery.outbox.recipient = message.from;
    delivery.answer_body = channels::empty_twiml();
    delivery.request_id = req.request_id;
    if (sc.reply == "twiml") {
      delivery.passive = [](const std::vector<std::string>& texts) {
        std::vector<std::string> bodies;
        for (const auto& text : texts)
          for (auto& part : channels::split_sms(text)) bodies.push_back(std::move(part));
        return channels::twiml_messages(bodies);
      };
    }
    // A flooding customer (STOP/START/HELP always pass): the slow_down SMS once, then nothing.
    const auto gate = check_sender(a, message);
    if (gate == sender_gate::drop) co_return twiml(channels::empty_twiml());
    if (gate == sender_gate::slow_down) {
      unit = [&a, message, delivery](store::transaction& tx) {
        enqueue_slow_down(tx, a, message, delivery.outbox);
        return inbound_outcome{};
      };
    } else {
      unit = [&a, message, delivery](store::transaction& tx) { return handle_inbound(tx, a, message, delivery); };
    }
  }
  auto outcome = co_await a.store->write<inbound_outcome>(std::move(unit));
  spdlog::info("request id={} event=inbound channel=sms kind={} keyword={} duplicate={}{}{}", req.request_id,
               message.kind, channels::to_string(keyword), outcome.duplicate, outcome.ticket.empty() ? "" : " ticket=",
               outcome.ticket);
  metrics::inbound_message("sms", message.kind, outcome.duplicate, !outcome.ticket.empty(), outcome.deflected);
  send_after_commit(a, outcome);
  co_return twiml(outcome.reply_body.empty() ? channels::empty_twiml() : outcome.reply_body);
}

}  // namespace

std::vector<route> sms_routes(app& a) {
  std::vector<route> routes;
  if (!a.cfg.sms) return routes;  // contract: a channel without a block answers 404
  routes.push_back({"POST", "/webhooks/sms/twilio", [&a](http_request r) { return receive(a, std::move(r)); }});
  return routes;
}

}  // namespace bot
