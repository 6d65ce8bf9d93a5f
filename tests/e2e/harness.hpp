#pragma once
// End-to-end harness: starts the real servicebot binary on 127.0.0.1:0 in a fresh directory,
// talks HTTP to it, and signs WeChat traffic with OpenSSL computed here in the test.

#include <sys/types.h>

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace e2e {

class fake_gateway;

struct http_result {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One blocking HTTP/1.1 request to 127.0.0.1:port (a fresh connection each time).
http_result http_call(unsigned short port, const std::string& method, const std::string& target,
                      const std::string& body = {}, const std::vector<std::pair<std::string, std::string>>& headers = {});

// Raw bytes over TCP; returns whatever the server sent until it closed (or timeout).
std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms = 3000);

std::string sha1_hex(const std::string& text);
std::string sha256_hex(const std::string& text);
// WeChat signature: SHA-1 of the sorted, concatenated parts.
std::string wechat_sign(std::vector<std::string> parts);
// Safe-mode encryption/decryption written directly on OpenSSL EVP (independent of channels/).
std::string wechat_encrypt(const std::string& encoding_aes_key, const std::string& msg, const std::string& appid);
std::string wechat_decrypt(const std::string& encoding_aes_key, const std::string& encrypt_b64, std::string* appid);
// application/x-www-form-urlencoded decoding ('+' is a space), and one field of such a body
// ("" when absent): what the fake Twilio receives.
std::string percent_decode(const std::string& s);
std::string form_field(const std::string& body, const std::string& name);
// Text of the first <tag> element of an XML reply (CDATA unwrapped), "" when absent.
std::string xml_field(const std::string& xml, const std::string& tag);

// A running servicebot with its own temp directory, SQLite file and config.
class server {
 public:
  struct options {
    bool safe_mode = false;
    std::string extra_config;  // extra top-level JSON members, e.g. "\"test_clock\": true"
    std::string wechat_api_base = "http://127.0.0.1:9";  // point at a fake_gateway to see sends
    std::string extra_channels;  // extra members of "channels", e.g. an "sms" block
    std::string wechat_extra;    // extra members of channels.wechat, e.g. "\"template_ids\": {...}"
    std::string staff_json;      // the whole staff file; empty: S001, E001 (off duty), A001
    // Copies of the demo catalog.json and rules.json in dir() (else the source tree's are used),
    // so a test can rewrite them with write_data_file.
    bool local_data_files = false;
  };
  explicit server(options opts);
  server() : server(options{}) {}
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void start();                  // launches and waits until it listens
  void kill9();                  // SIGKILL, reaped
  int terminate();               // SIGTERM, returns exit status
  bool running() const { return pid_ > 0; }
  void reload();                 // SIGHUP: the server reloads its data files
  // Replaces dir()/`name` (staff.json; with local_data_files also catalog.json, rules.json) by
  // `content` in one rename, so a reload never reads a half-written file.
  void write_data_file(const std::string& name, const std::string& content);

  unsigned short port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string db_path() const { return dir_ + "/var/servicebot.db"; }
  std::string log() const;       // everything the server wrote to stderr
  // The log once the server has flushed what it logged until now: info lines are buffered and
  // written every 200 ms (bot/main.cpp log_flusher), warnings and errors at once.
  std::string settled_log() const;

  http_result get(const std::string& target, const std::string& token = {});
  // Sends a WeChat push (plain or safe mode per options) and returns the HTTP result.
  http_result wechat_post(const std::string& xml, const std::string& timestamp = {}, const std::string& nonce = "nonce42",
                          bool break_signature = false);
  // Sends a text message from `openid` with MsgId `msg_id`; returns the reply text (decrypted
  // in safe mode) or "" for "success"; the raw HTTP result goes to *raw when given.
  std::string say(const std::string& openid, const std::string& text, std::int64_t msg_id, http_result* raw = nullptr);

  static constexpr const char* token = "e2etoken";
  static constexpr const char* app_id = "wxe2e0000000000001";
  static constexpr const char* aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  static constexpr const char* supervisor_token = "sv-secret-token";
  static constexpr const char* engineer_token = "e1-secret-token";
  static constexpr const char* admin_token = "ad-secret-token";
  static constexpr const char* twilio_sid = "AC0000000000000000000000000000e2e1";
  static constexpr const char* twilio_token = "e2e-twilio-auth-token";
  static constexpr const char* twilio_number = "+15005550006";
  static constexpr const char* mailgun_key = "key-e2e-signing-0000000000000000";
  // A "channels" member for Twilio SMS against `api_base`.
  static std::string sms_block(const std::string& api_base);
  // A "channels" member for Mailgun + SMTP at `smtp_port`.
  static std::string email_block(unsigned short smtp_port);
  // POSTs a Twilio-signed inbound SMS; returns the HTTP result.
  http_result twilio_post(const std::vector<std::pair<std::string, std::string>>& fields, bool break_signature = false);
  // POSTs a Mailgun-signed inbound mail (urlencoded); `token` defaults to a fresh random one.
  http_result mailgun_post(std::vector<std::pair<std::string, std::string>> fields, std::string token = {},
                           std::int64_t timestamp = 0);

 private:
  options opts_;
  std::string dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

// A query-string value, percent-encoded (letters, digits, '.', '-', '_' kept).
std::string query_escape(const std::string& s);
// What the customer's conversation on `channel` waits for (the staff API's `awaiting`): a slot
// name, "null", or "<none>" when there is no conversation. The one-argument form is WeChat.
std::string awaiting(server& s, const std::string& channel, const std::string& id);
inline std::string awaiting(server& s, const std::string& openid) { return awaiting(s, "wechat", openid); }

// ---- helpers for tests that drive tickets through the staff API (Catch2 assertions inside) ----

// `text` parsed as JSON; fails the test (showing the text) when it is not JSON.
rapidjson::Document parse_json(const std::string& text);
// An authenticated JSON POST to the staff API (Bearer `token`).
http_result post(server& s, const std::string& target, const std::string& body, const std::string& token);
// Moves the test clock by `minutes` (0: only reads it) as the admin; returns the answer, whose
// "now" is the bot's time after it ("2026-05-12T10:30:00+08:00").
rapidjson::Document advance(server& s, long minutes);
// The ticket `number` as the supervisor sees it (GET /api/v1/tickets/<number>).
rapidjson::Document ticket(server& s, const std::string& number);
// That ticket's "state" ("assigned", "locked", ...).
std::string state_of(server& s, const std::string& number);
// Answers what the WeChat conversation of `openid` awaits, from `answers` (slot -> text; a slot
// without an answer fails the test), until it has answered "confirm", at most `turns` times;
// `msg_id` numbers the messages. Returns the ticket number ("SR...") in the last reply.
std::string answer_until_confirmed(server& s, const std::string& openid, const std::map<std::string, std::string>& answers,
                                   std::int64_t& msg_id, int turns);

// The path of Twilio's Messages resource for server::twilio_sid: where the bot sends SMS.
std::string twilio_messages_path();
// Makes `gw` answer as the WeChat API (token, messages) and Twilio (Messages) do on success.
void answer_success(fake_gateway& gw);
// Options for a ticket-workflow test: the WeChat API and Twilio at `gw` (staff notified by SMS),
// the staff file `staff_json`, the test clock on, and no per-sender or per-IP limit (one customer
// sends a whole intake and ratings within seconds).
server::options ticket_options(fake_gateway& gw, const std::string& staff_json);
// Waits until the SMS sent to `to` through `gw` together contain every needle.
bool sms_arrives(fake_gateway& gw, const std::string& to, std::vector<std::string> needles,
                 std::chrono::milliseconds timeout = std::chrono::seconds{5});

}  // namespace e2e
