// bot/http_client: outbound HTTP(S) against real servers on loopback started by each test —
// round trips, statuses as values, every failure class, the loopback-only rule for plain http,
// and TLS verification with a certificate made at run time.
#include "bot/http_client.hpp"

#include "tests/bot/fake_tcp_server.hpp"
#include "tests/bot/fake_tls.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

struct timed_result {
  bot::fetch_result result;
  std::chrono::steady_clock::duration elapsed;  // the fetch alone, not the client's construction
};

// Drives one fetch to completion on a private io_context (the run_coro pattern).
timed_result run_fetch_timed(bot::outbound_request req, std::size_t body_limit = std::size_t{1} << 20,
                             std::shared_ptr<ssl::context> tls = nullptr) {
  net::io_context ioc;
  bot::http_client client{ioc.get_executor(), body_limit, std::move(tls)};
  std::optional<bot::fetch_result> result;
  std::exception_ptr error;
  auto started = std::chrono::steady_clock::now();
  auto op = client.fetch(std::move(req));
  net::co_spawn(ioc, std::move(op), [&](std::exception_ptr e, bot::fetch_result r) {
    error = e;
    result = std::move(r);
  });
  ioc.run();
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (error) std::rethrow_exception(error);
  REQUIRE(result.has_value());
  return {std::move(*result), elapsed};
}

bot::fetch_result run_fetch(bot::outbound_request req, std::size_t body_limit = std::size_t{1} << 20,
                            std::shared_ptr<ssl::context> tls = nullptr) {
  return run_fetch_timed(std::move(req), body_limit, std::move(tls)).result;
}

const bot::outbound_response& response_of(const bot::fetch_result& result) {
  if (const auto* failure = std::get_if<bot::fetch_failure>(&result))
    FAIL("fetch failed: " << bot::to_string(failure->code) << ": " << failure->detail);
  return std::get<bot::outbound_response>(result);
}

const bot::fetch_failure& failure_of(const bot::fetch_result& result) {
  if (const auto* response = std::get_if<bot::outbound_response>(&result))
    FAIL("expected a failure, got status " << response->status);
  return std::get<bot::fetch_failure>(result);
}

std::string header_of(const bot::outbound_response& response, const std::string& name) {
  for (const auto& [n, v] : response.headers)
    if (n == name) return v;
  return {};
}

// What a fake server saw of one request.
struct seen_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string sni;  // TLS only

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
};

using responder = std::function<http::response<http::string_body>(const http::request<http::string_body>&)>;

seen_request record(const http::request<http::string_body>& req) {
  seen_request seen;
  seen.method = std::string{req.method_string()};
  seen.target = std::string{req.target()};
  for (const auto& field : req) {
    std::string name{field.name_string()};
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    seen.headers.emplace_back(std::move(name), std::string{field.value()});
  }
  seen.body = req.body();
  return seen;
}

// An HTTP/1.1 server (plain, or TLS when `tls` is set) answering each request with `respond`
// and recording what it received. It closes after one response, without TLS close_notify (as
// many servers do after Connection: close; the client must tolerate stream_truncated).
class http_fake {
 public:
  explicit http_fake(responder respond, std::shared_ptr<ssl::context> tls = nullptr)
      : respond_(std::move(respond)), tls_(std::move(tls)), server_([this](tcp::socket& s) { serve(s); }) {}

  unsigned short port() const { return server_.port(); }
  int accepted() const { return server_.accepted(); }
  std::vector<seen_request> requests() const {
    std::lock_guard lock{mutex_};
    return requests_;
  }

 private:
  template <class Stream>
  void exchange(Stream& stream, std::string sni) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req);
    auto seen = record(req);
    seen.sni = std::move(sni);
    {
      std::lock_guard lock{mutex_};
      requests_.push_back(std::move(seen));
    }
    auto res = respond_(req);
    if (!res.chunked()) res.prepare_payload();
    http::write(stream, res);
  }

  void serve(tcp::socket& socket) {
    if (!tls_) return exchange(socket, {});
    ssl::stream<tcp::socket&> stream{socket, *tls_};
    stream.handshake(ssl::stream_base::server);
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    exchange(stream, sni ? sni : "");
  }

  responder respond_;
  std::shared_ptr<ssl::context> tls_;
  mutable std::mutex mutex_;
  std::vector<seen_request> requests_;
  fake::tcp_server server_;  // last: its thread uses the members above
};

http::response<http::string_body> text_response(http::status status, std::string body) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body);
  return res;
}

std::string url(unsigned short port, const std::string& path = "/", const std::string& host = "127.0.0.1",
                const std::string& scheme = "http") {
  return scheme + "://" + host + ":" + std::to_string(port) + path;
}

// A port nothing listens on: bound, then released.
unsigned short closed_port() {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

std::shared_ptr<ssl::context> server_tls(const fake::certificate& cert) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain(net::buffer(cert.cert_pem));
  ctx->use_private_key(net::buffer(cert.key_pem), ssl::context::pem);
  return ctx;
}

std::shared_ptr<ssl::context> client_tls_trusting(const fake::certificate& cert) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->add_certificate_authority(net::buffer(cert.cert_pem));
  return ctx;
}

}  // namespace

TEST_CASE("parse_outbound_url splits scheme, host, port and target", "[http_client]") {
  using row = std::tuple<std::string, bool, std::string, int, std::string>;
  auto [input, https, host, port, target] = GENERATE(table<std::string, bool, std::string, int, std::string>({
      row{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", true, "api.twilio.com", 443,
          "/2010-04-01/Accounts/AC1/Messages.json"},
      row{"https://API.Weixin.QQ.com/cgi-bin/token?grant_type=client_credential&appid=a", true, "api.weixin.qq.com",
          443, "/cgi-bin/token?grant_type=client_credential&appid=a"},
      row{"HTTP://127.0.0.1:8080", false, "127.0.0.1", 8080, "/"},
      row{"http://localhost?x=1", false, "localhost", 80, "/?x=1"},
      row{"https://[::1]:8443/a/b#frag", true, "::1", 8443, "/a/b"},
      row{"https://[2001:db8::5]/", true, "2001:db8::5", 443, "/"},
      row{"https://example.com:65535/p%20q", true, "example.com", 65535, "/p%20q"},
  }));
  CAPTURE(input);
  auto parsed = bot::parse_outbound_url(input);
  REQUIRE(std::holds_alternative<bot::outbound_url>(parsed));
  const auto& u = std::get<bot::outbound_url>(parsed);
  CHECK(u.https == https);
  CHECK(u.host == host);
  CHECK(u.port == port);
  CHECK(u.target == target);
}

TEST_CASE("malformed URLs fail as bad_url without touching the network", "[http_client]") {
  auto input = GENERATE(as<std::string>{}, "", "example.com/path", "ftp://example.com/", "https://",
                        "https:///path", "https://user:pw@example.com/", "https://exa mple.com/",
                        "https://example.com:/", "https://example.com:0/", "https://example.com:65536/",
                        "https://example.com:12ab/", "https://example.com:123456/", "https://[::1/",
                        "https://[::1]x/", "https://[not-v6]/", "https://[fe80::1%25eth0]/", "https://::1/",
                        "https://example.com/a b", "https://example.com/\x01", "https://example.com/caf\xc3\xa9");
  CAPTURE(input);
  auto parsed = bot::parse_outbound_url(input);
  REQUIRE(std::holds_alternative<bot::fetch_failure>(parsed));
  CHECK(std::get<bot::fetch_failure>(parsed).code == bot::fetch_errc::bad_url);

  bot::outbound_request req;
  req.url = input;
  CHECK(failure_of(run_fetch(req)).code == bot::fetch_errc::bad_url);
}

TEST_CASE("a method or header that could split the request fails as bad_url", "[http_client]") {
  bot::outbound_request req;
  req.url = "http://127.0.0.1:9/";
  SECTION("method with a space") { req.method = "GET /evil"; }
  SECTION("empty method") { req.method = ""; }
  SECTION("CRLF in a header value") { req.headers = {{"X-Note", "a\r\nX-Injected: 1"}}; }
  SECTION("bad header name") { req.headers = {{"X Note", "a"}}; }
  CHECK(failure_of(run_fetch(req)).code == bot::fetch_errc::bad_url);
}

TEST_CASE("only loopback hosts count as loopback", "[http_client]") {
  auto [host, loopback] = GENERATE(table<std::string, bool>({
      {"localhost", true},
      {"LOCALHOST", true},
      {"127.0.0.1", true},
      {"127.255.3.4", true},
      {"::1", true},
      {"128.0.0.1", false},
      {"10.0.0.1", false},
      {"0.0.0.0", false},
      {"::", false},
      {"::ffff:127.0.0.1", false},
      {"localhost.example.com", false},
      {"example.com", false},
  }));
  CAPTURE(host);
  CHECK(bot::is_loopback_host(host) == loopback);
}

TEST_CASE("plain http to a non-loopback host fails as insecure_url before any network activity", "[http_client]") {
  auto input = GENERATE(as<std::string>{}, "http://example.com/", "http://10.1.2.3:8080/x", "http://[2001:db8::1]/",
                        "http://localhost.example.com/");
  CAPTURE(input);
  bot::outbound_request req;
  req.url = input;
  // A budget far too small for a DNS lookup or a connect: any network attempt would end as
  // timeout (or resolve/connect), so insecure_url proves the check came first.
  req.timeout = 1ms;
  CHECK(failure_of(run_fetch(req)).code == bot::fetch_errc::insecure_url);
}

TEST_CASE("basic_auth builds the RFC 7617 header value", "[http_client]") {
  CHECK(bot::basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(bot::basic_auth("AC123", "tok:en") == "Basic QUMxMjM6dG9rOmVu");
  CHECK(bot::basic_auth("", "") == "Basic Og==");
}

TEST_CASE("GET and POST round-trip headers and bodies", "[http_client]") {
  http_fake server{[](const http::request<http::string_body>& req) {
    auto res = text_response(http::status::created, "echo:" + req.body());
    res.set("X-Reply", "yes");
    return res;
  }};

  SECTION("POST with a form body and basic auth") {
    bot::outbound_request req;
    req.method = "POST";
    req.url = url(server.port(), "/2010-04-01/Accounts/AC1/Messages.json?x=1");
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Authorization", bot::basic_auth("AC1", "secret")}};
    req.body = "To=%2B8613800135678&Body=hi";
    auto response = response_of(run_fetch(req));
    CHECK(response.status == 201);
    CHECK(response.body == "echo:To=%2B8613800135678&Body=hi");
    CHECK(header_of(response, "x-reply") == "yes");
    CHECK(header_of(response, "content-type") == "text/plain");

    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/2010-04-01/Accounts/AC1/Messages.json?x=1");
    CHECK(seen[0].header("content-type") == "application/x-www-form-urlencoded");
    CHECK(seen[0].header("authorization") == "Basic QUMxOnNlY3JldA==");
    CHECK(seen[0].header("content-length") == "27");
    CHECK(seen[0].header("connection").empty());  // HTTP/1.1 keep-alive (the pool: http_client_pool_test.cpp)
    CHECK(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(seen[0].body == req.body);
  }

  SECTION("GET through the resolver (localhost)") {
    bot::outbound_request req;
    req.url = url(server.port(), "/cgi-bin/token?grant_type=client_credential", "localhost");
    auto response = response_of(run_fetch(req));
    CHECK(response.status == 201);
    CHECK(response.body == "echo:");
    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "GET");
    CHECK(seen[0].target == "/cgi-bin/token?grant_type=client_credential");
    CHECK(seen[0].body.empty());
    CHECK(seen[0].header("host") == "localhost:" + std::to_string(server.port()));
  }
}

TEST_CASE("a 500 status is a response, not a failure", "[http_client]") {
  http_fake server{[](const http::request<http::string_body>&) {
    return text_response(http::status::internal_server_error, R"({"code":20500})");
  }};
  bot::outbound_request req;
  req.url = url(server.port());
  auto response = response_of(run_fetch(req));
  CHECK(response.status == 500);
  CHECK(response.body == R"({"code":20500})");
}

TEST_CASE("a refused connection fails as connect", "[http_client]") {
  bot::outbound_request req;
  req.url = url(closed_port());
  auto failure = failure_of(run_fetch(req));
  CHECK(failure.code == bot::fetch_errc::connect);
}

TEST_CASE("a server that accepts but never answers fails as timeout within the deadline", "[http_client]") {
  fake::tcp_server silent{[](tcp::socket& s) {
    // Read and ignore until the client gives up and closes.
    char buf[512];
    boost::system::error_code ec;
    while (!ec) s.read_some(net::buffer(buf), ec);
  }};
  bot::outbound_request req;
  req.method = "POST";
  req.body = "payload";
  req.url = url(silent.port());
  req.timeout = 300ms;
  auto [result, elapsed] = run_fetch_timed(req);
  CHECK(failure_of(result).code == bot::fetch_errc::timeout);
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 2s);
}

TEST_CASE("a response that is not HTTP fails as protocol", "[http_client]") {
  auto reply = GENERATE(as<std::string>{}, "garbage garbage garbage\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "");
  CAPTURE(reply);
  fake::tcp_server server{[reply](tcp::socket& s) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(s, buffer, req);
    net::write(s, net::buffer(reply));
    s.shutdown(tcp::socket::shutdown_both);
  }};
  bot::outbound_request req;
  req.url = url(server.port());
  CHECK(failure_of(run_fetch(req)).code == bot::fetch_errc::protocol);
}

TEST_CASE("a response body over the limit fails as too_large", "[http_client]") {
  auto framing = GENERATE(as<std::string>{}, "content-length", "chunked", "until-eof");
  CAPTURE(framing);
  const std::string body(4096, 'x');
  fake::tcp_server server{[&](tcp::socket& s) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(s, buffer, req);
    if (framing == "until-eof") {
      // No Content-Length, no chunking: the body ends when the connection does.
      net::write(s, net::buffer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body));
    } else {
      auto res = text_response(http::status::ok, body);
      if (framing == "chunked") res.chunked(true);
      else res.prepare_payload();
      http::write(s, res);
    }
    s.shutdown(tcp::socket::shutdown_both);
  }};
  bot::outbound_request req;
  req.url = url(server.port());
  CHECK(failure_of(run_fetch(req, 1000)).code == bot::fetch_errc::too_large);
  // At the limit exactly it passes.
  CHECK(response_of(run_fetch(req, 4096)).body == body);
}

TEST_CASE("https verifies the server certificate and host name", "[http_client]") {
  auto cert = fake::make_self_signed("DNS:localhost,IP:127.0.0.1");
  http_fake server{[](const http::request<http::string_body>&) { return text_response(http::status::ok, "secure"); },
                   server_tls(cert)};

  SECTION("a self-signed certificate is refused with the system CA store") {
    bot::outbound_request req;
    req.url = url(server.port(), "/", "localhost", "https");
    auto failure = failure_of(run_fetch(req));
    CHECK(failure.code == bot::fetch_errc::tls);
    CHECK_THAT(failure.detail, Catch::Matchers::Contains("certificate"));
    CHECK(server.requests().empty());
  }

  SECTION("the same server is accepted once the test trusts its certificate; SNI is sent") {
    bot::outbound_request req;
    req.url = url(server.port(), "/hello?token=1", "localhost", "https");
    auto response = response_of(run_fetch(req, 1 << 20, client_tls_trusting(cert)));
    CHECK(response.status == 200);
    CHECK(response.body == "secure");
    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].sni == "localhost");
    CHECK(seen[0].target == "/hello?token=1");
  }

  SECTION("an IP literal is checked against the IP SAN and sends no SNI") {
    bot::outbound_request req;
    req.url = url(server.port(), "/", "127.0.0.1", "https");
    auto response = response_of(run_fetch(req, 1 << 20, client_tls_trusting(cert)));
    CHECK(response.body == "secure");
    auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].sni.empty());
  }

  SECTION("a trusted certificate for another name is refused") {
    auto other = fake::make_self_signed("DNS:gateway.example.com");
    http_fake wrong_name{[](const http::request<http::string_body>&) { return text_response(http::status::ok, "x"); },
                         server_tls(other)};
    bot::outbound_request req;
    req.url = url(wrong_name.port(), "/", "localhost", "https");
    auto failure = failure_of(run_fetch(req, 1 << 20, client_tls_trusting(other)));
    CHECK(failure.code == bot::fetch_errc::tls);
    CHECK_THAT(failure.detail, Catch::Matchers::Contains("does not match localhost"));
    CHECK(wrong_name.requests().empty());
  }
}

TEST_CASE("a TLS server that never completes the handshake fails as timeout", "[http_client]") {
  fake::tcp_server silent{[](tcp::socket& s) {
    char buf[512];
    boost::system::error_code ec;
    while (!ec) s.read_some(net::buffer(buf), ec);
  }};
  bot::outbound_request req;
  req.url = url(silent.port(), "/", "127.0.0.1", "https");
  req.timeout = 300ms;
  auto [result, elapsed] = run_fetch_timed(req);
  CHECK(failure_of(result).code == bot::fetch_errc::timeout);
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 2s);
}
