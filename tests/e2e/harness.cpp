#include "tests/e2e/harness.hpp"

#include "tests/e2e/fake_gateway.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cctype>
#include <cstdio>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pugixml.hpp>

#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace e2e {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

std::string b64encode(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string b64decode(const std::string& text) {
  std::string out(3 * text.size() / 4 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("bad base64 in test");
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts '=' padding as zero bytes.
  auto pads = std::count(text.end() - std::min<std::size_t>(2, text.size()), text.end(), '=');
  out.resize(out.size() - static_cast<std::size_t>(pads));
  return out;
}

std::string aes_key_bytes(const std::string& encoding_aes_key) {
  auto key = b64decode(encoding_aes_key + "=");
  key.resize(32);
  return key;
}

std::string aes_cbc(const std::string& key, const std::string& input, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  auto k = reinterpret_cast<const unsigned char*>(key.data());
  EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), nullptr, k, k, encrypt ? 1 : 0);
  EVP_CIPHER_CTX_set_padding(ctx, 0);  // WeChat pads to 32 bytes itself
  std::string out(input.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n1,
                   reinterpret_cast<const unsigned char*>(input.data()), static_cast<int>(input.size()));
  EVP_CipherFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n1, &n2);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

std::string make_temp_dir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("servicebot-e2e-" + std::to_string(rd()));
  std::filesystem::create_directories(dir / "var");
  return dir.string();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary};
  out << content;
}

}  // namespace

http_result http_call(unsigned short port, const std::string& method, const std::string& target,
                      const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds(20));
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  // Asynchronous write and read, so expires_after bounds them (the blocking calls ignore it):
  // a server that never answers fails the test with "timeout" instead of hanging it.
  beast::error_code io_error;
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) { io_error = e; });
  ioc.run();
  if (io_error) throw beast::system_error{io_error};
  ioc.restart();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { io_error = e; });
  ioc.run();
  if (io_error) throw beast::system_error{io_error};
  http_result out;
  auto res = parser.release();
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res) {
    std::string name{f.name_string()};
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    out.headers[name] = std::string{f.value()};
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms) {
  net::io_context ioc;
  tcp::socket socket{ioc};
  socket.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(bytes));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string sha1_hex(const std::string& text) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  return hex(d, sizeof d);
}

std::string sha256_hex(const std::string& text) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  return hex(d, sizeof d);
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out.push_back(' ');
    else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else out.push_back(s[i]);
  }
  return out;
}

std::string form_field(const std::string& body, const std::string& name) {
  std::istringstream in{body};
  std::string pair;
  while (std::getline(in, pair, '&'))
    if (pair.rfind(name + "=", 0) == 0) return percent_decode(pair.substr(name.size() + 1));
  return {};
}

std::string wechat_sign(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const auto& p : parts) joined += p;
  return sha1_hex(joined);
}

std::string wechat_encrypt(const std::string& encoding_aes_key, const std::string& msg, const std::string& appid) {
  std::string full(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(full.data()), 16);
  const auto n = static_cast<std::uint32_t>(msg.size());
  full.push_back(static_cast<char>(n >> 24));
  full.push_back(static_cast<char>(n >> 16));
  full.push_back(static_cast<char>(n >> 8));
  full.push_back(static_cast<char>(n));
  full += msg;
  full += appid;
  const std::size_t pad = 32 - full.size() % 32;
  full.append(pad, static_cast<char>(pad));
  return b64encode(aes_cbc(aes_key_bytes(encoding_aes_key), full, true));
}

std::string wechat_decrypt(const std::string& encoding_aes_key, const std::string& encrypt_b64, std::string* appid) {
  auto plain = aes_cbc(aes_key_bytes(encoding_aes_key), b64decode(encrypt_b64), false);
  if (plain.size() < 20) throw std::runtime_error("short plaintext");
  auto pad = static_cast<unsigned char>(plain.back());
  plain.resize(plain.size() - pad);
  const auto* p = reinterpret_cast<const unsigned char*>(plain.data()) + 16;
  std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  if (appid) *appid = plain.substr(20 + n);
  return plain.substr(20, n);
}

std::string xml_field(const std::string& xml, const std::string& tag) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return {};
  return doc.child("xml").child(tag.c_str()).text().get();
}

server::server(options opts) : opts_(std::move(opts)), dir_(make_temp_dir()) {
  const std::string src = SB_SOURCE_DIR;
  std::ostringstream staff;
  staff << R"({"staff": [
    {"id": "S001", "name": "王主管", "role": "supervisor", "skills": [], "on_duty": true, "max_open": 10,
     "notify": {"channel": "wechat", "address": "oSupervisorS001e2e"}, "api_token_sha256": ")"
        << sha256_hex(supervisor_token) << R"("},
    {"id": "E001", "name": "李工", "role": "engineer", "skills": ["laundry"], "on_duty": false, "max_open": 10,
     "notify": {"channel": "sms", "address": "+8613900000001"}, "api_token_sha256": ")"
        << sha256_hex(engineer_token) << R"("},
    {"id": "A001", "name": "管理员", "role": "admin", "skills": [], "on_duty": false, "max_open": 1,
     "notify": {"channel": "email", "address": "admin@example.com"}, "api_token_sha256": ")"
        << sha256_hex(admin_token) << R"("}
  ]})";
  // By default nobody can be assigned (E001 is off duty) and the supervisor is notified on WeChat,
  // so intake and channel tests see tickets stay pending_assignment and no workflow message
  // reaches their SMS / SMTP fakes. Workflow tests pass their own staff file.
  write_file(dir_ + "/staff.json", opts_.staff_json.empty() ? staff.str() : opts_.staff_json);
  std::string catalog_file = src + "/demo/catalog.json", rules_file = src + "/demo/rules.json";
  if (opts_.local_data_files) {
    std::filesystem::copy_file(catalog_file, dir_ + "/catalog.json");
    std::filesystem::copy_file(rules_file, dir_ + "/rules.json");
    catalog_file = "catalog.json";
    rules_file = "rules.json";
  }
  std::ostringstream cfg;
  cfg << R"({
  "listen": {"address": "127.0.0.1", "port": 0},
  "public_base_url": "http://127.0.0.1:8080",
  "default_language": "zh-CN",
  "timezone": "Asia/Shanghai",
  "store": {"driver": "sqlite", "path": "var/servicebot.db"},
  "channels": {"wechat": {"token": ")"
      << token << R"(", "app_id": ")" << app_id << R"(", "app_secret": "s", "encoding_aes_key": ")" << aes_key
      << R"(", "api_base": ")" << opts_.wechat_api_base << '"'
      << (opts_.wechat_extra.empty() ? "" : ", " + opts_.wechat_extra) << "}"
      << (opts_.extra_channels.empty() ? "" : ", " + opts_.extra_channels) << R"(},
  "catalog_file": ")"
      << catalog_file << R"(",
  "staff_file": "staff.json",
  "rules_file": ")"
      << rules_file << '"' << (opts_.extra_config.empty() ? "" : ",\n  " + opts_.extra_config) << "\n}\n";
  write_file(dir_ + "/servicebot.json", cfg.str());
}

server::~server() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void server::start() {
  const std::string log_path = dir_ + "/server.log";
  const auto log_start = log().size();  // a restart appends to the same log
  pid_ = fork();
  if (pid_ == 0) {
    if (chdir(dir_.c_str()) != 0) _exit(126);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    execl(SB_BINARY, SB_BINARY, "--config", "servicebot.json", static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = log();
    auto at = text.find("event=listening", log_start);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      auto p = text.find("port=", at);
      port_ = static_cast<unsigned short>(std::stoi(text.substr(p + 5)));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("servicebot exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("servicebot did not start listening:\n" + log());
}

void server::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void server::reload() {
  if (pid_ > 0) ::kill(pid_, SIGHUP);
}

void server::write_data_file(const std::string& name, const std::string& content) {
  const std::string path = dir_ + "/" + name;
  write_file(path + ".new", content);
  std::filesystem::rename(path + ".new", path);
}

int server::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    // A server that did not stop cleanly (a sanitizer report, an abort): its own last words are
    // the only account of why, and the test's directory is gone once the test ends. A sanitizer
    // report is printed whole, from the start of its first line; anything else by its last lines.
    const std::string text = log();
    std::size_t from = text.find("ERROR: AddressSanitizer");
    if (from == std::string::npos) from = text.find("runtime error:");
    if (from == std::string::npos) from = text.size() > 8000 ? text.size() - 8000 : 0;
    const std::size_t line_start = text.rfind('\n', from);
    std::cerr << "server exited with " << code << "; its log from the report on:\n"
              << text.substr(line_start == std::string::npos ? 0 : line_start) << std::endl;
  }
  return code;
}

std::string server::log() const {
  std::ifstream in{dir_ + "/server.log"};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string server::settled_log() const {
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  return log();
}

http_result server::get(const std::string& target, const std::string& bearer) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  return http_call(port_, "GET", target, {}, headers);
}

http_result server::wechat_post(const std::string& xml, const std::string& timestamp_in, const std::string& nonce,
                                bool break_signature) {
  const std::string timestamp = timestamp_in.empty() ? std::to_string(std::time(nullptr)) : timestamp_in;
  std::string target = "/webhooks/wechat?timestamp=" + timestamp + "&nonce=" + nonce;
  auto sig = wechat_sign({token, timestamp, nonce});
  if (break_signature) sig[0] = sig[0] == 'a' ? 'b' : 'a';
  target += "&signature=" + sig + "&openid=x";
  std::string body = xml;
  if (opts_.safe_mode) {
    auto encrypted = wechat_encrypt(aes_key, xml, app_id);
    auto msg_sig = wechat_sign({token, timestamp, nonce, encrypted});
    if (break_signature) msg_sig[0] = msg_sig[0] == 'a' ? 'b' : 'a';
    target += "&encrypt_type=aes&msg_signature=" + msg_sig;
    body = "<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><Encrypt><![CDATA[" + encrypted + "]]></Encrypt></xml>";
  }
  return http_call(port_, "POST", target, body, {{"Content-Type", "text/xml"}});
}

std::string server::sms_block(const std::string& api_base) {
  return std::string{R"("sms": {"provider": "twilio", "account_sid": ")"} + twilio_sid + R"(", "auth_token": ")" +
         twilio_token + R"(", "from": ")" + twilio_number + R"(", "api_base": ")" + api_base + R"("})";
}

std::string server::email_block(unsigned short smtp_port) {
  return std::string{R"("email": {"provider": "mailgun", "signing_key": ")"} + mailgun_key +
         R"(", "from": "service@example.com", "smtp_url": "smtp://127.0.0.1:)" + std::to_string(smtp_port) +
         R"(", "starttls": "off"})";
}

namespace {

std::string form_escape(const std::string& text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string hmac_b64(const EVP_MD* md, const std::string& key, const std::string& data, bool hex_out) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       mac, &n);
  if (hex_out) return hex(mac, n);
  return b64encode(std::string(reinterpret_cast<char*>(mac), n));
}

}  // namespace

http_result server::twilio_post(const std::vector<std::pair<std::string, std::string>>& fields, bool break_signature) {
  // Twilio's rule (channels.md §2.2): URL + every key and value, keys sorted, no separators.
  const std::string url = "http://127.0.0.1:8080/webhooks/sms/twilio";
  auto sorted = fields;
  std::sort(sorted.begin(), sorted.end());
  std::string data = url;
  for (const auto& [k, v] : sorted) data += k + v;
  auto signature = hmac_b64(EVP_sha1(), twilio_token, data, false);
  if (break_signature) signature[0] = signature[0] == 'A' ? 'B' : 'A';
  std::string body;
  for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + form_escape(k) + "=" + form_escape(v);
  return http_call(port_, "POST", "/webhooks/sms/twilio", body,
                   {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signature}});
}

http_result server::mailgun_post(std::vector<std::pair<std::string, std::string>> fields, std::string token,
                                 std::int64_t timestamp) {
  if (token.empty()) {
    unsigned char raw[25];
    RAND_bytes(raw, sizeof raw);
    token = hex(raw, sizeof raw);
  }
  const auto ts = std::to_string(timestamp ? timestamp : static_cast<std::int64_t>(std::time(nullptr)));
  fields.emplace_back("timestamp", ts);
  fields.emplace_back("token", token);
  fields.emplace_back("signature", hmac_b64(EVP_sha256(), mailgun_key, ts + token, true));
  std::string body;
  for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + form_escape(k) + "=" + form_escape(v);
  return http_call(port_, "POST", "/webhooks/email/mailgun", body,
                   {{"Content-Type", "application/x-www-form-urlencoded"}});
}

std::string server::say(const std::string& openid, const std::string& text, std::int64_t msg_id, http_result* raw) {
  auto now = std::to_string(std::time(nullptr));
  std::string xml = "<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[" + openid +
                    "]]></FromUserName><CreateTime>" + now + "</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
                    "<Content><![CDATA[" + text + "]]></Content><MsgId>" + std::to_string(msg_id) + "</MsgId></xml>";
  auto res = wechat_post(xml);
  if (raw) *raw = res;
  if (res.status != 200) throw std::runtime_error("webhook answered " + std::to_string(res.status) + ": " + res.body);
  if (res.body == "success" || res.body.empty()) return {};
  std::string reply_xml = res.body;
  if (opts_.safe_mode) {
    auto encrypted = xml_field(res.body, "Encrypt");
    auto expected = wechat_sign({token, xml_field(res.body, "TimeStamp"), xml_field(res.body, "Nonce"), encrypted});
    if (expected != xml_field(res.body, "MsgSignature")) throw std::runtime_error("reply MsgSignature does not verify");
    std::string appid;
    reply_xml = wechat_decrypt(aes_key, encrypted, &appid);
    if (appid != app_id) throw std::runtime_error("reply appid mismatch");
  }
  if (xml_field(reply_xml, "ToUserName") != openid || xml_field(reply_xml, "FromUserName") != "gh_e2e")
    throw std::runtime_error("reply does not swap To/From: " + reply_xml);
  return xml_field(reply_xml, "Content");
}

std::string query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string awaiting(server& s, const std::string& channel, const std::string& id) {
  auto res = s.get("/api/v1/conversations?channel=" + channel + "&id=" + query_escape(id), server::supervisor_token);
  if (res.status == 404) return "<none>";
  if (res.status != 200) throw std::runtime_error("conversation lookup answered " + std::to_string(res.status));
  rapidjson::Document d;
  d.Parse(res.body.c_str());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("conversation lookup: not JSON: " + res.body);
  return d["awaiting"].IsNull() ? "null" : d["awaiting"].GetString();
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  INFO(text);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

http_result post(server& s, const std::string& target, const std::string& body, const std::string& token) {
  return http_call(s.port(), "POST", target, body,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
}

rapidjson::Document advance(server& s, long minutes) {
  auto res = post(s, "/api/v1/admin/clock", "{\"advance_minutes\": " + std::to_string(minutes) + "}",
                  server::admin_token);
  INFO(res.body);
  REQUIRE(res.status == 200);
  return parse_json(res.body);
}

rapidjson::Document ticket(server& s, const std::string& number) {
  auto res = s.get("/api/v1/tickets/" + number, server::supervisor_token);
  REQUIRE(res.status == 200);
  return parse_json(res.body);
}

std::string state_of(server& s, const std::string& number) { return ticket(s, number)["state"].GetString(); }

std::string answer_until_confirmed(server& s, const std::string& openid, const std::map<std::string, std::string>& answers,
                                   std::int64_t& msg_id, int turns) {
  std::string last;
  for (int turn = 0; turn < turns; ++turn) {
    const auto slot = awaiting(s, openid);
    CAPTURE(slot);
    REQUIRE(answers.count(slot));
    last = s.say(openid, answers.at(slot), msg_id++);
    if (slot == "confirm") break;
  }
  std::smatch m;
  REQUIRE(std::regex_search(last, m, std::regex{"SR[0-9]{11,}"}));
  return m.str();
}

std::string twilio_messages_path() {
  return std::string{"/2010-04-01/Accounts/"} + server::twilio_sid + "/Messages.json";
}

void answer_success(fake_gateway& gw) {
  gw.fallback("/cgi-bin/token", {200, R"({"access_token":"TOKEN","expires_in":7200})"});
  gw.fallback("/cgi-bin/message/", {200, R"({"errcode":0,"errmsg":"ok"})"});
  gw.fallback(twilio_messages_path(), {201, R"({"sid":"SM1","status":"queued"})"});
}

server::options ticket_options(fake_gateway& gw, const std::string& staff_json) {
  server::options o;
  o.wechat_api_base = gw.base_url();
  o.extra_channels = server::sms_block(gw.base_url());
  o.extra_config = R"("test_clock": true, "limits": {"sender_per_minute": 0, "ip_per_second": 0})";
  o.staff_json = staff_json;
  return o;
}

bool sms_arrives(fake_gateway& gw, const std::string& to, std::vector<std::string> needles,
                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::string all;
    for (const auto& r : gw.requests(twilio_messages_path()))
      if (form_field(r.body, "To") == to) all += form_field(r.body, "Body");
    if (std::all_of(needles.begin(), needles.end(), [&](const auto& n) { return all.find(n) != std::string::npos; }))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace e2e
