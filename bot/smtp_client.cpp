#include "bot/smtp_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>

namespace bot {
namespace {

constexpr std::chrono::seconds max_connect_timeout{30};
constexpr std::size_t max_line_octets = 998;  // RFC 5321 §4.5.3.1.6, without the CRLF
constexpr std::size_t max_path_octets = 256;  // RFC 5321 §4.5.3.1.3

// curl_global_init is not thread-safe and must run once per process, before any handle.
bool global_init_once() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  return ok;
}

smtp_result refuse(std::string why) { return smtp_result{false, true, std::move(why)}; }

// No CR, LF, NUL or angle brackets: they would let an address inject SMTP commands or
// break curl's <...> framing.
bool is_safe_address(std::string_view address) {
  return address.size() <= max_path_octets &&
         address.find_first_of(std::string_view{"\r\n\0<>", 5}) == std::string_view::npos;
}

// CRLF only (no bare CR or LF: the "SMTP smuggling" class, channels.md §3.5), no NUL, and no
// line over 998 octets.
const char* message_problem(std::string_view message) {
  if (message.empty()) return "empty message";
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\0') return "NUL in message";
    if (c == '\r') {
      if (i + 1 >= message.size() || message[i + 1] != '\n') return "bare CR in message";
      if (i - line_start > max_line_octets) return "message line longer than 998 octets";
      line_start = i + 2;
      ++i;
    } else if (c == '\n') {
      return "bare LF in message";
    }
  }
  if (message.size() - line_start > max_line_octets) return "message line longer than 998 octets";
  return nullptr;
}

struct upload_source {
  std::string_view rest;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* source = static_cast<upload_source*>(user);
  std::size_t n = std::min(size * count, source->rest.size());
  std::memcpy(buffer, source->rest.data(), n);
  source->rest.remove_prefix(n);
  return n;
}

struct easy_deleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct slist_deleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

smtp_result send_mail(const smtp_settings& settings, std::string_view mail_from,
                      const std::vector<std::string>& recipients, std::string_view message) {
  // Everything that can never succeed is refused before touching the network.
  bool implicit_tls = settings.url.starts_with("smtps://");
  if (!implicit_tls && !settings.url.starts_with("smtp://")) return refuse("smtp url must start with smtp:// or smtps://");
  curl_usessl use_ssl;
  if (implicit_tls || settings.starttls == "required") use_ssl = CURLUSESSL_ALL;
  else if (settings.starttls == "auto") use_ssl = CURLUSESSL_TRY;
  else if (settings.starttls == "off") use_ssl = CURLUSESSL_NONE;
  else return refuse("starttls must be auto, required or off");
  if (recipients.empty()) return refuse("no recipients");
  if (!is_safe_address(mail_from)) return refuse("invalid sender address");
  for (const auto& rcpt : recipients)
    if (rcpt.empty() || !is_safe_address(rcpt)) return refuse("invalid recipient address");
  if (const char* problem = message_problem(message)) return refuse(problem);
  if (settings.timeout.count() <= 0) return refuse("timeout must be positive");

  if (!global_init_once()) return smtp_result{false, false, "curl_global_init failed"};
  std::unique_ptr<CURL, easy_deleter> curl{curl_easy_init()};
  if (!curl) return smtp_result{false, false, "curl_easy_init failed"};
  CURL* h = curl.get();

  std::unique_ptr<curl_slist, slist_deleter> rcpt_list;
  for (const auto& rcpt : recipients) {
    curl_slist* appended = curl_slist_append(rcpt_list.get(), ("<" + rcpt + ">").c_str());
    if (!appended) throw std::bad_alloc();
    (void)rcpt_list.release();
    rcpt_list.reset(appended);
  }
  std::string from = "<" + std::string{mail_from} + ">";
  upload_source source{message};
  char error_buffer[CURL_ERROR_SIZE] = {};
  auto timeout_ms = static_cast<long>(std::chrono::milliseconds{settings.timeout}.count());
  auto connect_ms = static_cast<long>(std::chrono::milliseconds{std::min(settings.timeout, max_connect_timeout)}.count());

  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we run on worker threads
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(use_ssl));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings.ca_file.c_str());
  if (!settings.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings.password.c_str());
    curl_easy_setopt(h, CURLOPT_SASL_IR, 1L);  // AUTH PLAIN <initial response>: one round trip fewer
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt_list.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &source);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));

  CURLcode rc = curl_easy_perform(h);
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  if (rc == CURLE_OK) {
    spdlog::debug("event=smtp_sent recipients={} reply={}", recipients.size(), reply);
    return smtp_result{true, false, {}};
  }
  std::string error = curl_easy_strerror(rc);
  if (error_buffer[0] != '\0') error += std::string{": "} + error_buffer;
  if (reply != 0) error += " (last reply " + std::to_string(reply) + ")";
  bool permanent = reply >= 500 && reply <= 599;
  spdlog::debug("event=smtp_failed permanent={} error=\"{}\"", permanent, error);
  return smtp_result{false, permanent, std::move(error)};
}

}  // namespace bot
