#include "bot/senders.hpp"

#include "bot/outbound.hpp"
#include "channels/email_compose.hpp"
#include "channels/form.hpp"
#include "channels/mailgun.hpp"

#include <boost/asio/co_spawn.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "bot/smtp_client.hpp"

namespace bot {
namespace {

using outcome = send_result::outcome;

std::string json_string(std::string_view s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w{b};
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return b.GetString();
}

int json_int(const std::string& body, const char* key, int fallback) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject()) return fallback;
  auto it = d.FindMember(key);
  return it != d.MemberEnd() && it->value.IsInt() ? it->value.GetInt() : fallback;
}

std::string json_str(const std::string& body, const char* key) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject()) return {};
  auto it = d.FindMember(key);
  return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string{};
}

// Twilio REST error codes that no retry can fix (invalid / unsubscribed / not a mobile number).
bool permanent_twilio_code(int code) {
  return code == 21211 || code == 21610 || code == 21612 || code == 21614 || code == 21408 || code == 21606;
}

}  // namespace

net::awaitable<send_result> twilio_sender::send(store::outbox_entry entry) {
  auto message = parse_payload(entry);
  if (!message) co_return send_result{outcome::permanent, "unreadable payload"};
  // Proactive messages respect an opt-out that arrived after they were queued (STOP), unless the
  // unit that queued this one checked it just before sending it (outbound.cpp enqueue_text).
  if (!entry.recipient_checked && message->hint != "reply" && message->hint != "help") {
    std::function<bool(store::transaction&)> check = [to = entry.recipient](store::transaction& tx) {
      auto c = tx.find_customer_by_identity("sms", to);
      return c && c->opted_out;
    };
    if (co_await app_.store->read<bool>(std::move(check))) co_return send_result{outcome::permanent, "unsubscribed"};
  }
  co_return co_await send_text(entry.recipient, message->text, message->hint);
}

net::awaitable<send_result> twilio_sender::send_text(std::string to, std::string text, std::string hint) {
  const auto& sc = *app_.cfg.sms;
  outbound_request req;
  req.method = "POST";
  req.url = sc.api_base + "/2010-04-01/Accounts/" + sc.account_sid + "/Messages.json";
  req.headers = {{"Authorization", basic_auth(sc.account_sid, sc.auth_token)},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "To=" + channels::form_encode(to) + "&From=" + channels::form_encode(sc.from) +
             "&Body=" + channels::form_encode(text);
  auto result = co_await http_.fetch(std::move(req));
  if (auto* failure = std::get_if<fetch_failure>(&result))
    co_return send_result{outcome::retry, "twilio " + std::string{to_string(failure->code)} + ": " + failure->detail};
  const auto& res = std::get<outbound_response>(result);
  if (res.status >= 200 && res.status < 300) co_return send_result{outcome::sent, {}};
  const int code = json_int(res.body, "code", 0);
  const std::string detail = "twilio http " + std::to_string(res.status) + " code " + std::to_string(code);
  if (res.status == 429 || res.status >= 500) co_return send_result{outcome::retry, detail};
  if (permanent_twilio_code(code) || res.status == 400 || res.status == 404)
    co_return send_result{outcome::permanent, detail};
  co_return send_result{outcome::retry, detail};  // 401/403: credentials may be fixed by the operator
}

net::awaitable<send_result> email_sender::send(store::outbox_entry entry) {
  auto message = parse_payload(entry);
  if (!message) co_return send_result{outcome::permanent, "unreadable payload"};
  const auto& ec = *app_.cfg.email;
  channels::outgoing_email mail;
  mail.from_address = channels::bare_address(ec.from);
  mail.from_name = app_.texts.render(message->language, "email_from_name", {});
  mail.to_address = entry.recipient;
  mail.subject = message->subject.empty() ? app_.texts.render(message->language, "email_subject", {}) : message->subject;
  mail.ticket_number = entry.ticket;
  mail.date = app_.clock.now();
  mail.message_id = message->message_id.empty() ? channels::make_message_id(mail.from_address.substr(
                                                      mail.from_address.find('@') + 1))
                                                : message->message_id;
  mail.in_reply_to = message->in_reply_to;
  mail.references = message->references;
  mail.body = message->text;
  auto composed = channels::compose_email(mail);
  if (auto* e = std::get_if<channels::input_error>(&composed))
    co_return send_result{outcome::permanent, std::string{"compose: "} + channels::to_string(*e)};

  smtp_settings settings;
  settings.url = ec.smtp_url;
  settings.user = ec.smtp_user;
  settings.password = ec.smtp_password;
  settings.starttls = ec.starttls;
  // libcurl blocks: run the SMTP dialogue on the outbound pool and resume here afterwards.
  auto blocking = [settings, from = mail.from_address, to = entry.recipient,
                   text = std::get<std::string>(composed)]() -> net::awaitable<smtp_result> {
    co_return send_mail(settings, from, {to}, text);
  };
  auto operation = net::co_spawn(pool_, std::move(blocking), net::use_awaitable);  // named: GCC 12 (style §10)
  auto result = co_await std::move(operation);
  if (result.ok) co_return send_result{outcome::sent, {}};
  co_return send_result{result.permanent ? outcome::permanent : outcome::retry, "smtp: " + result.error};
}

net::awaitable<std::string> wechat_sender::access_token(bool force, std::string& error) {
  const auto now = app_.clock.now();
  if (!force) {
    std::function<std::optional<std::string>(store::transaction&)> lookup = [now](store::transaction& tx) {
      return tx.get_setting("wechat.access_token", now);
    };
    if (auto cached = co_await app_.store->read<std::optional<std::string>>(std::move(lookup))) co_return *cached;
  }
  const auto& wc = *app_.cfg.wechat;
  outbound_request req;
  req.url = wc.api_base + "/cgi-bin/token?grant_type=client_credential&appid=" + channels::form_encode(wc.app_id) +
            "&secret=" + channels::form_encode(wc.app_secret);
  auto result = co_await http_.fetch(std::move(req));
  if (auto* failure = std::get_if<fetch_failure>(&result)) {
    error = "wechat token " + std::string{to_string(failure->code)};
    co_return std::string{};
  }
  const auto& body = std::get<outbound_response>(result).body;
  auto token = json_str(body, "access_token");
  const int expires_in = json_int(body, "expires_in", 0);
  if (token.empty() || expires_in <= 0) {
    error = "wechat token errcode " + std::to_string(json_int(body, "errcode", -1));
    co_return std::string{};
  }
  // Shared through the store so instances reuse one token instead of invalidating each
  // other's (channels.md §1.13); refreshed 5 minutes before it expires.
  const auto expires_at = app_.clock.now() + std::max(60, expires_in - 300);
  std::function<bool(store::transaction&)> save = [token, expires_at](store::transaction& tx) {
    tx.put_setting("wechat.access_token", token, expires_at);
    return true;
  };
  co_await app_.store->write<bool>(std::move(save));
  co_return token;
}

net::awaitable<int> wechat_sender::post_api(std::string path, std::string body, std::string& error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = co_await access_token(attempt > 0, error);
    if (token.empty()) co_return -1;
    outbound_request req;
    req.method = "POST";
    req.url = app_.cfg.wechat->api_base + path + "?access_token=" + channels::form_encode(token);
    req.headers = {{"Content-Type", "application/json; charset=utf-8"}};
    req.body = body;
    auto result = co_await http_.fetch(std::move(req));
    if (auto* failure = std::get_if<fetch_failure>(&result)) {
      error = "wechat " + std::string{to_string(failure->code)};
      co_return -1;
    }
    const int errcode = json_int(std::get<outbound_response>(result).body, "errcode", -1);
    // 40001/40014/42001: the token was replaced or expired — refresh once and repeat (§1.8).
    if ((errcode == 40001 || errcode == 40014 || errcode == 42001) && attempt == 0) continue;
    error = "wechat errcode " + std::to_string(errcode);
    co_return errcode;
  }
  co_return -1;
}

namespace {

// A customer-service msgmenu (channels.md §1.9): head, tappable options, tail.
std::string msgmenu_body(const std::string& openid, const outbound_text& m) {
  std::string list;
  for (const auto& o : m.menu) {
    if (!list.empty()) list += ',';
    list += R"({"id":)" + json_string(o.id) + R"(,"content":)" + json_string(o.content) + "}";
  }
  return R"({"touser":)" + json_string(openid) + R"(,"msgtype":"msgmenu","msgmenu":{"head_content":)" +
         json_string(m.menu_head) + R"(,"list":[)" + list + R"(],"tail_content":)" + json_string(m.menu_tail) + "}}";
}

}  // namespace

net::awaitable<send_result> wechat_sender::send(store::outbox_entry entry) {
  auto message = parse_payload(entry);
  if (!message) co_return send_result{outcome::permanent, "unreadable payload"};
  const auto& wc = *app_.cfg.wechat;
  std::string error;
  std::string fallback_reason;
  if (entry.plan.empty() || entry.plan == "cs") {
    int errcode = -1;
    if (!message->menu.empty()) {
      errcode = co_await post_api("/cgi-bin/message/custom/send", msgmenu_body(entry.recipient, *message), error);
      if (errcode == 0) co_return send_result{outcome::sent, {}};
      // 40200: this account cannot send menus (sandbox/test accounts) → the same survey as text.
      if (errcode == 40200) spdlog::info("event=outbound_plan outbox_id={} msgmenu refused, sending text", entry.id);
    }
    if (message->menu.empty() || errcode == 40200) {
      const std::string body = R"({"touser":)" + json_string(entry.recipient) +
                               R"(,"msgtype":"text","text":{"content":)" + json_string(message->text) + "}}";
      errcode = co_await post_api("/cgi-bin/message/custom/send", body, error);
    }
    if (errcode == 0) co_return send_result{outcome::sent, {}};
    // 45015: the 48 h window is closed; 45047: its quota is used up → template, then SMS.
    if (errcode != 45015 && errcode != 45047) co_return send_result{outcome::retry, error};
    fallback_reason = error;
  }
  if (auto tid = wc.template_ids.find(message->hint == "survey" ? "survey" : "progress");
      tid != wc.template_ids.end() && entry.plan != "sms") {
    const std::string body = R"({"touser":)" + json_string(entry.recipient) + R"(,"template_id":)" +
                             json_string(tid->second) + R"(,"client_msg_id":)" + json_string(entry.idempotency_key) +
                             R"(,"data":{"keyword1":{"value":)" + json_string(entry.ticket) +
                             R"(},"keyword2":{"value":)" + json_string(message->text) + "}}}";
    const int errcode = co_await post_api("/cgi-bin/message/template/send", body, error);
    if (errcode == 0) {
      spdlog::info("event=outbound_plan outbox_id={} plan=template reason=\"{}\"", entry.id, fallback_reason);
      co_return send_result{outcome::sent, "plan=template"};
    }
    fallback_reason = error;
  }
  if (sms_ && !message->phone.empty()) {
    auto result = co_await sms_->send_text(message->phone, message->text, message->hint);
    if (result.result == outcome::sent) result.detail = "plan=sms";
    co_return result;
  }
  co_return send_result{outcome::permanent, "no route: " + fallback_reason};
}

}  // namespace bot
