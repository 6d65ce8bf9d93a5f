#pragma once
// The outbox's channel senders: Twilio REST for SMS, SMTP for e-mail, the WeChat API for
// WeChat (customer-service message, template message fallback, SMS as the last resort).
// Each returns sent / retry / permanent; none ever logs a message body or full number.

#include "bot/app.hpp"
#include "bot/http_client.hpp"
#include "bot/outbox_worker.hpp"

#include <boost/asio/thread_pool.hpp>

#include <memory>

namespace bot {

class twilio_sender : public channel_sender {
 public:
  twilio_sender(const app& a, http_client& http) : app_(a), http_(http) {}
  net::awaitable<send_result> send(store::outbox_entry entry) override;
  // Sends `text` to `to` now (also used by the WeChat planner's SMS fallback).
  net::awaitable<send_result> send_text(std::string to, std::string text, std::string hint);

 private:
  const app& app_;
  http_client& http_;
};

class email_sender : public channel_sender {
 public:
  // SMTP is blocking (libcurl): sends run on `pool`, never on a network thread.
  email_sender(const app& a, net::thread_pool& pool) : app_(a), pool_(pool) {}
  net::awaitable<send_result> send(store::outbox_entry entry) override;

 private:
  const app& app_;
  net::thread_pool& pool_;
};

class wechat_sender : public channel_sender {
 public:
  // `sms` may be null (no SMS channel configured: no last-resort fallback).
  wechat_sender(const app& a, http_client& http, twilio_sender* sms) : app_(a), http_(http), sms_(sms) {}
  net::awaitable<send_result> send(store::outbox_entry entry) override;

 private:
  // The access token shared through the store (one token for all instances), fetched when
  // missing or when `force` (after 40001/42001). Empty on failure (detail in `error`).
  net::awaitable<std::string> access_token(bool force, std::string& error);
  net::awaitable<int> post_api(std::string path, std::string body, std::string& error);

  const app& app_;
  http_client& http_;
  twilio_sender* sms_;
};

}  // namespace bot
