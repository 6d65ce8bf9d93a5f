// bot/http_client's keep-alive pool against a real HTTP/1.1 server on loopback that keeps
// connections open (one thread per connection) and counts the connections it accepts: reuse,
// Connection: close, a server closing an idle connection, concurrency, the idle cap, and TLS.
#include "bot/http_client.hpp"

#include "tests/bot/fake_tls.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// What the server does with the n-th request (from 1) on a connection.
enum class answer {
  keep_open,           // respond, keep the connection
  respond_and_close,   // respond with Connection: close, then close
  close_after_respond, // respond as keep-alive, then close without a word (an idle timeout)
  close_unanswered,    // read the request, close without responding
};
using policy = std::function<answer(int request_on_connection)>;

// A keep-alive HTTP/1.1 server (TLS when `tls` is set): every response's body is
// "<connection number>:<request number on it>", so the client side can see which connection
// carried a request.
class keep_alive_server {
 public:
  explicit keep_alive_server(policy p = [](int) { return answer::keep_open; },
                             std::shared_ptr<ssl::context> tls = nullptr)
      : policy_(std::move(p)), tls_(std::move(tls)), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  keep_alive_server(const keep_alive_server&) = delete;
  keep_alive_server& operator=(const keep_alive_server&) = delete;
  ~keep_alive_server() {
    stop_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard lock{mutex_};
      for (auto& s : sockets_) ::shutdown(s.native_handle(), SHUT_RDWR);
    }
    for (auto& t : sessions_) t.join();
  }

  unsigned short port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      tcp::socket socket{ioc_};
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      const int number = ++accepted_;
      std::lock_guard lock{mutex_};
      auto& s = sockets_.emplace_back(std::move(socket));
      sessions_.emplace_back([this, &s, number] {
        try {
          serve(s, number);
        } catch (const std::exception&) {
          // The client went away, or the destructor shut the socket: the session just ends.
        }
      });
    }
  }

  void serve(tcp::socket& socket, int number) {
    if (!tls_) return exchange(socket, socket, number);
    ssl::stream<tcp::socket&> stream{socket, *tls_};
    stream.handshake(ssl::stream_base::server);
    exchange(stream, socket, number);
  }

  template <class Stream>
  void exchange(Stream& stream, tcp::socket& socket, int number) {
    beast::flat_buffer buffer;
    for (int n = 1;; ++n) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      ++requests_;
      const auto what = policy_(n);
      if (what == answer::close_unanswered) break;
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = std::to_string(number) + ":" + std::to_string(n);
      res.keep_alive(what != answer::respond_and_close);
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || what != answer::keep_open) break;
    }
    // No TLS close_notify either: as abrupt as a server timing a connection out.
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  policy policy_;
  std::shared_ptr<ssl::context> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::list<tcp::socket> sockets_;  // stable addresses for the session threads
  std::list<std::thread> sessions_;
  std::thread accept_thread_;  // last: it uses the members above
};

// Runs `count` fetches of `url` at once on `ioc` (restarted first) and returns their results in
// start order.
std::vector<bot::fetch_result> fetch_all(net::io_context& ioc, bot::http_client& client, const std::string& url,
                                         int count = 1) {
  ioc.restart();
  std::vector<std::optional<bot::fetch_result>> results(count);
  std::exception_ptr error;
  for (int i = 0; i < count; ++i) {
    bot::outbound_request req;
    req.method = "POST";
    req.url = url;
    req.body = "Body=hello+" + std::to_string(i);
    req.timeout = 5s;
    auto op = client.fetch(std::move(req));
    net::co_spawn(ioc, std::move(op), [&, i](std::exception_ptr e, bot::fetch_result r) {
      if (e) error = e;
      results[i] = std::move(r);
    });
  }
  ioc.run();
  if (error) std::rethrow_exception(error);
  std::vector<bot::fetch_result> out;
  for (auto& r : results) {
    REQUIRE(r.has_value());
    out.push_back(std::move(*r));
  }
  return out;
}

// The body of a successful fetch ("<connection>:<request on it>").
std::string body_of(const bot::fetch_result& result) {
  if (const auto* failure = std::get_if<bot::fetch_failure>(&result))
    FAIL("fetch failed: " << bot::to_string(failure->code) << ": " << failure->detail);
  const auto& response = std::get<bot::outbound_response>(result);
  CHECK(response.status == 200);
  return response.body;
}

std::string fetch_one(net::io_context& ioc, bot::http_client& client, const std::string& url) {
  return body_of(fetch_all(ioc, client, url).at(0));
}

}  // namespace

TEST_CASE("sequential requests to one host travel on one kept-alive connection", "[http_client][pool]") {
  keep_alive_server server;
  net::io_context ioc;
  bot::http_client client{ioc.get_executor()};
  for (int i = 1; i <= 5; ++i) CHECK(fetch_one(ioc, client, server.url("/Messages.json")) == "1:" + std::to_string(i));
  CHECK(server.accepted() == 1);
  CHECK(server.requests() == 5);
  CHECK(client.idle_connections() == 1);

  SECTION("another port is another host: a connection of its own") {
    keep_alive_server other;
    CHECK(fetch_one(ioc, client, other.url()) == "1:1");
    CHECK(fetch_one(ioc, client, server.url()) == "1:6");
    CHECK(client.idle_connections() == 2);
  }
}

TEST_CASE("a response with Connection: close is not kept", "[http_client][pool]") {
  keep_alive_server server{[](int) { return answer::respond_and_close; }};
  net::io_context ioc;
  bot::http_client client{ioc.get_executor()};
  CHECK(fetch_one(ioc, client, server.url()) == "1:1");
  CHECK(client.idle_connections() == 0);
  CHECK(fetch_one(ioc, client, server.url()) == "2:1");
  CHECK(server.accepted() == 2);
}

TEST_CASE("a connection the server closed while idle is not used again", "[http_client][pool]") {
  keep_alive_server server{[](int) { return answer::close_after_respond; }};
  net::io_context ioc;
  bot::http_client client{ioc.get_executor()};
  CHECK(fetch_one(ioc, client, server.url()) == "1:1");
  // Let the server's FIN arrive: the pool's check sees it before sending anything.
  std::this_thread::sleep_for(100ms);
  CHECK(fetch_one(ioc, client, server.url()) == "2:1");
  CHECK(server.accepted() == 2);
  CHECK(server.requests() == 2);
}

TEST_CASE("a reused connection closed with our request unanswered is retried once on a new one",
          "[http_client][pool]") {
  // The race a keep-alive client cannot avoid: the server times the connection out just as the
  // next request goes out. Nothing came back, so the request is sent again on a new connection.
  keep_alive_server server{[](int n) { return n == 1 ? answer::keep_open : answer::close_unanswered; }};
  net::io_context ioc;
  bot::http_client client{ioc.get_executor()};
  CHECK(fetch_one(ioc, client, server.url()) == "1:1");
  CHECK(fetch_one(ioc, client, server.url()) == "2:1");
  CHECK(server.accepted() == 2);
  CHECK(server.requests() == 3);

  SECTION("a new connection closed unanswered is a failure, not retried") {
    keep_alive_server mute{[](int) { return answer::close_unanswered; }};
    auto results = fetch_all(ioc, client, mute.url());
    REQUIRE(std::holds_alternative<bot::fetch_failure>(results[0]));
    CHECK(std::get<bot::fetch_failure>(results[0]).code == bot::fetch_errc::protocol);
    CHECK(mute.accepted() == 1);
  }
}

TEST_CASE("concurrent requests open one connection each and keep them for the next ones", "[http_client][pool]") {
  keep_alive_server server;
  net::io_context ioc;
  bot::http_client client{ioc.get_executor()};
  for (const auto& r : fetch_all(ioc, client, server.url(), 4)) CHECK(body_of(r).ends_with(":1"));
  CHECK(server.accepted() == 4);
  CHECK(client.idle_connections() == 4);
  for (const auto& r : fetch_all(ioc, client, server.url(), 4)) CHECK(body_of(r).ends_with(":2"));
  CHECK(server.accepted() == 4);
  CHECK(server.requests() == 8);

  SECTION("no more than max_idle_per_host are kept") {
    bot::http_client capped{ioc.get_executor(), std::size_t{1} << 20, nullptr, {2, 30s}};
    fetch_all(ioc, capped, server.url(), 4);
    CHECK(capped.idle_connections() == 2);
  }
}

TEST_CASE("an idle connection older than idle_timeout is closed, not reused", "[http_client][pool]") {
  keep_alive_server server;
  net::io_context ioc;
  bot::http_client client{ioc.get_executor(), std::size_t{1} << 20, nullptr, {8, 0s}};
  CHECK(fetch_one(ioc, client, server.url()) == "1:1");
  std::this_thread::sleep_for(10ms);
  CHECK(fetch_one(ioc, client, server.url()) == "2:1");
  CHECK(server.accepted() == 2);
}

TEST_CASE("https connections are verified once and then reused", "[http_client][pool]") {
  auto cert = fake::make_self_signed("IP:127.0.0.1");
  auto server_ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  server_ctx->use_certificate_chain(net::buffer(cert.cert_pem));
  server_ctx->use_private_key(net::buffer(cert.key_pem), ssl::context::pem);
  keep_alive_server server{[](int) { return answer::keep_open; }, server_ctx};
  auto client_ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  client_ctx->add_certificate_authority(net::buffer(cert.cert_pem));
  net::io_context ioc;
  bot::http_client client{ioc.get_executor(), std::size_t{1} << 20, client_ctx};
  for (int i = 1; i <= 3; ++i) CHECK(fetch_one(ioc, client, server.url()) == "1:" + std::to_string(i));
  CHECK(server.accepted() == 1);
}
