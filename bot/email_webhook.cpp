// Mailgun inbound-route webhook (contract: Inbound webhooks; channels.md §3). Authenticity is
// the HMAC over timestamp + token, a 15-minute timestamp window and a token that may be used
// once; replies leave by SMTP through the outbox, threaded with In-Reply-To/References.
#include "bot/app.hpp"
#include "bot/digest.hpp"
#include "bot/intake_flow.hpp"
#include "bot/metrics.hpp"
#include "bot/sender_limit.hpp"
#include "channels/form.hpp"
#include "channels/mailgun.hpp"
#include "channels/multipart.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace bot {
namespace {

std::string field(const channels::form_fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return {};
}

// Attachment bytes go to a content-addressed file (same bytes, same name: a retry rewrites
// nothing new). Runs on the store thread, inside the unit, before the rows that name it.
std::string keep_file(const std::string& dir, const channels::mail_file& f) {
  namespace fs = std::filesystem;
  auto name = sha256_hex(f.bytes);
  fs::create_directories(dir);
  auto path = fs::path(dir) / name;
  if (!fs::exists(path)) {
    auto tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out{tmp, std::ios::binary};
      out.write(f.bytes.data(), static_cast<std::streamsize>(f.bytes.size()));
      out.flush();
      if (!out) throw std::runtime_error("cannot write attachment file");
    }
    fs::rename(tmp, path);
  }
  return "file:" + name;
}

std::string reply_subject(const std::string& subject) {
  if (subject.size() >= 3 && (subject.compare(0, 3, "Re:") == 0 || subject.compare(0, 3, "RE:") == 0 ||
                              subject.compare(0, 3, "re:") == 0))
    return subject;
  return subject.empty() ? "Re: 售后服务 / After-sales service" : "Re: " + subject;
}

struct email_outcome {
  bool replay = false;
  inbound_outcome inbound;
};

email_outcome handle_mail(store::transaction& tx, const app& a, channels::mailgun_message mail, std::string token,
                          sender_gate gate, std::string request_id) {
  email_outcome out;
  const auto now = a.clock.now();
  // The token is spent in the same transaction as the effects: a rolled-back attempt frees it.
  if (!tx.use_token_once("mailgun", token, now + 900 + 60, now)) {
    out.replay = true;
    return out;
  }
  for (std::size_t i = 0; i < mail.files.size() && i < mail.msg.attachments.size(); ++i)
    mail.msg.attachments[i].ref = keep_file(a.attachments_dir, mail.files[i]);

  // Threading (channels.md §3.6): an id we issued in In-Reply-To/References, then [SR...] in
  // the subject. The ticket goes on the transcript; the dialog sees the message as usual.
  std::string thread_ticket;
  std::vector<std::string> ids = mail.references;
  if (!mail.in_reply_to.empty()) ids.insert(ids.begin(), mail.in_reply_to);
  for (const auto& id : ids)
    if (auto known = tx.find_mail(id); known && !known->ticket.empty()) {
      thread_ticket = known->ticket;
      break;
    }
  if (thread_ticket.empty())
    if (auto token_in_subject = channels::find_ticket_token(mail.subject)) thread_ticket = *token_in_subject;
  if (!mail.message_id.empty()) tx.remember_mail({mail.message_id, mail.msg.from, thread_ticket, now});

  if (mail.auto_submitted) {
    // Auto-replies and bounces are recorded, never answered (no mail loops).
    out.inbound.reply_body = R"({"status":"ignored_auto_submitted"})";
    if (!tx.record_inbound({mail.msg.channel, mail.msg.provider_id, mail.msg.from, now, out.inbound.reply_body})) {
      out.inbound.duplicate = true;
      return out;
    }
    auto customer = tx.find_or_create_customer(mail.msg.channel, mail.msg.from, now);
    tx.append_message({customer.id, mail.msg.channel, thread_ticket, now, "in", "[auto-submitted] " + mail.subject});
    return out;
  }

  reply_delivery delivery;
  delivery.outbox.channel = "email";
  delivery.outbox.recipient = mail.msg.from;
  delivery.outbox.subject = reply_subject(mail.subject);
  if (!thread_ticket.empty() && delivery.outbox.subject.find(thread_ticket) == std::string::npos)
    delivery.outbox.subject += " [" + thread_ticket + "]";
  delivery.outbox.in_reply_to = mail.message_id;
  delivery.outbox.references = mail.references;
  if (!mail.message_id.empty()) delivery.outbox.references.push_back(mail.message_id);
  delivery.answer_body = R"({"status":"accepted"})";
  delivery.request_id = std::move(request_id);
  if (gate != sender_gate::pass) {
    // A flooding sender: the slow_down mail once, then nothing is stored or answered.
    if (gate == sender_gate::slow_down) enqueue_slow_down(tx, a, mail.msg, delivery.outbox);
    out.inbound.reply_body = delivery.answer_body;
    return out;
  }
  out.inbound = handle_inbound(tx, a, mail.msg, delivery);
  return out;
}

net::awaitable<http_response> receive(const app& a, http_request req) {
  const auto& ec = *a.cfg.email;
  std::string content_type{req.header("content-type")};
  channels::form_fields fields;
  std::vector<channels::multipart_file> files;
  // Media types are case-insensitive: let the multipart parser decide what is multipart.
  if (auto boundary = channels::boundary_from_content_type(content_type)) {
    auto body = channels::parse_multipart(req.body, *boundary);
    if (auto* e = std::get_if<channels::input_error>(&body))
      co_return json_error(400, "malformed_body", channels::to_string(*e));
    auto& parts = std::get<channels::multipart_body>(body);
    fields = std::move(parts.fields);
    files = std::move(parts.files);
  } else {
    auto parsed = channels::parse_form(req.body);
    if (!parsed) co_return json_error(400, "malformed_body", "body is not valid form-urlencoded UTF-8");
    fields = std::move(*parsed);
  }

  auto timestamp = field(fields, "timestamp"), token = field(fields, "token"), signature = field(fields, "signature");
  if (timestamp.empty() || token.empty() || signature.empty())
    co_return json_error(401, "unauthenticated", "timestamp, token and signature are required");
  if (!channels::verify_mailgun_signature(ec.signing_key, timestamp, token, signature)) {
    spdlog::warn("request id={} event=signature_failed channel=email", req.request_id);
    co_return json_error(403, "bad_signature", "signature does not match");
  }
  if (!channels::mailgun_timestamp_fresh(timestamp, a.clock.now())) {
    spdlog::warn("request id={} event=signature_failed channel=email reason=stale_timestamp", req.request_id);
    co_return json_error(403, "stale_timestamp", "timestamp outside the 15-minute window");
  }
  auto parsed = channels::parse_mailgun(fields, files);
  if (auto* e = std::get_if<channels::input_error>(&parsed))
    co_return json_error(400, "malformed_body", channels::to_string(*e));
  auto mail = std::move(std::get<channels::mailgun_message>(parsed));
  const bool auto_submitted = mail.auto_submitted;
  // Auto-replies are never answered anyway; only a person's mail counts against the rate.
  const sender_gate gate = auto_submitted ? sender_gate::pass : check_sender(a, mail.msg);

  std::function<email_outcome(store::transaction&)> unit = [&a, mail = std::move(mail), token, gate,
                                                            request_id = req.request_id](store::transaction& tx) {
    return handle_mail(tx, a, mail, token, gate, request_id);
  };
  auto outcome = co_await a.store->write<email_outcome>(std::move(unit));
  if (outcome.replay) {
    spdlog::warn("request id={} event=signature_failed channel=email reason=token_replayed", req.request_id);
    co_return json_error(403, "replayed_token", "token already used");
  }
  spdlog::info("request id={} event=inbound channel=email auto_submitted={} duplicate={}{}{}", req.request_id,
               auto_submitted, outcome.inbound.duplicate, outcome.inbound.ticket.empty() ? "" : " ticket=",
               outcome.inbound.ticket);
  if (!auto_submitted && gate == sender_gate::pass)
    metrics::inbound_message("email", "text", outcome.inbound.duplicate, !outcome.inbound.ticket.empty(),
                             outcome.inbound.deflected);
  send_after_commit(a, outcome.inbound);
  co_return json_ok(outcome.inbound.reply_body.empty() ? R"({"status":"accepted"})" : outcome.inbound.reply_body);
}

}  // namespace

std::vector<route> email_routes(app& a) {
  std::vector<route> routes;
  if (!a.cfg.email) return routes;  // contract: a channel without a block answers 404
  routes.push_back({"POST", "/webhooks/email/mailgun", [&a](http_request r) { return receive(a, std::move(r)); }});
  return routes;
}

}  // namespace bot
