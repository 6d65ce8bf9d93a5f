// ceiling_server: the HTTP limit of this machine for the benchmark's traffic. It does what
// servicebot's webhooks do minus the dialog and the store: parse the form, verify
// X-Twilio-Signature with the same channels/ code, answer empty TwiML at once and send the
// reply to the Twilio REST API (keep-alive pool), or verify the WeChat signature and answer a
// passive XML reply. The full path's throughput is reported as a fraction of this one's.
//
//   ceiling_server --port 8090 [--channel sms|wechat] [--threads 2] [--reply rest|inline]
//                  [--public-base-url http://127.0.0.1:8090] [--auth-token T] [--account-sid S]
//                  [--from +15005550006] [--api-base http://127.0.0.1:4010] [--wechat-token T]
// It logs "event=listening port=N" once ready.
#include <utility>

#include "bench/gateway_signing.hpp"
#include "channels/form.hpp"
#include "channels/twilio.hpp"
#include "channels/wechat.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct settings {
  unsigned short port = 8090;
  std::string channel = "sms";
  int threads = 2;
  std::string reply = "rest";  // rest | inline
  std::string public_base_url;
  std::string auth_token = "bench0auth0token0000000000000001";
  std::string account_sid = "AC00000000000000000000000000000001";
  std::string from = "+15005550006";
  std::string api_host = "127.0.0.1";
  unsigned short api_port = 4010;
  std::string wechat_token = "benchtoken";
};

constexpr const char* reply_text = "Thanks. Please send the serial number (see the label on the back).";

// Keep-alive connections to the fake Twilio, shared by all threads.
class rest_pool {
 public:
  explicit rest_pool(const settings& s) : s_(s) {
    auth_ = "Basic " + bench::base64_encode(s.account_sid + ":" + s.auth_token);
    target_ = "/2010-04-01/Accounts/" + s.account_sid + "/Messages.json";
  }

  net::awaitable<void> send(std::string to) {
    auto stream = take();
    auto ex = co_await net::this_coro::executor;
    boost::system::error_code ec;
    if (!stream) {
      stream = std::make_unique<beast::tcp_stream>(ex);
      co_await stream->async_connect(tcp::endpoint{net::ip::make_address(s_.api_host), s_.api_port},
                                     net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      stream->socket().set_option(tcp::no_delay{true});
    }
    http::request<http::string_body> req{http::verb::post, target_, 11};
    req.set(http::field::host, s_.api_host);
    req.set(http::field::authorization, auth_);
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = "To=" + bench::form_encode(to) + "&From=" + bench::form_encode(s_.from) +
                 "&Body=" + bench::form_encode(reply_text);
    req.prepare_payload();
    stream->expires_after(std::chrono::seconds(10));
    co_await http::async_write(*stream, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    co_await http::async_read(*stream, buffer, res, net::redirect_error(net::use_awaitable, ec));
    if (ec || !res.keep_alive()) co_return;
    give_back(std::move(stream));
  }

 private:
  std::unique_ptr<beast::tcp_stream> take() {
    std::lock_guard lock{mutex_};
    if (idle_.empty()) return nullptr;
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return s;
  }
  void give_back(std::unique_ptr<beast::tcp_stream> s) {
    std::lock_guard lock{mutex_};
    idle_.push_back(std::move(s));
  }

  const settings& s_;
  std::string auth_, target_;
  std::mutex mutex_;
  // A stream is bound to the executor it was made on; any thread may finish its operations,
  // and only one coroutine uses it at a time (it is out of the pool meanwhile).
  std::vector<std::unique_ptr<beast::tcp_stream>> idle_;
};

http::response<http::string_body> answer(const settings& s, rest_pool& pool, const http::request<http::string_body>& req,
                                         net::any_io_executor ex) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  std::string target{req.target()};
  if (s.channel == "sms") {
    auto fields = channels::parse_form(req.body());
    const std::string url = s.public_base_url + target;
    if (!fields || !channels::verify_twilio_signature(s.auth_token, url, *fields, req["X-Twilio-Signature"])) {
      res.result(http::status::forbidden);
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"error":"bad_signature"})";
    } else {
      std::string from;
      for (const auto& [k, v] : *fields)
        if (k == "From") from = v;
      res.set(http::field::content_type, "text/xml; charset=utf-8");
      if (s.reply == "inline") {
        res.body() = std::string{R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>)"} + reply_text +
                     "</Message></Response>";
      } else {
        res.body() = channels::empty_twiml();
        auto send = [&pool, from]() { return pool.send(from); };
        net::co_spawn(ex, std::move(send), net::detached);
      }
    }
  } else {
    auto query = target.substr(target.find('?') == std::string::npos ? target.size() : target.find('?') + 1);
    auto param = [&](const std::string& name) {
      return bench::form_value(query, name);
    };
    if (!channels::wechat::verify_signature(s.wechat_token, param("timestamp"), param("nonce"), param("signature"))) {
      res.result(http::status::forbidden);
      res.body() = R"({"error":"bad_signature"})";
    } else {
      auto openid = bench::xml_field(req.body(), "FromUserName");
      auto account = bench::xml_field(req.body(), "ToUserName");
      res.set(http::field::content_type, "application/xml; charset=utf-8");
      res.body() = channels::wechat::text_reply_xml(openid, account, std::time(nullptr), reply_text);
    }
  }
  res.prepare_payload();
  return res;
}

net::awaitable<void> session(const settings& s, rest_pool& pool, tcp::socket socket) {
  auto ex = socket.get_executor();
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    stream.expires_after(std::chrono::seconds(60));
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    auto req = parser.release();
    auto res = answer(s, pool, req, ex);
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> listener(const settings& s, rest_pool& pool, net::io_context& ioc, tcp::acceptor acceptor) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(net::make_strand(ioc), net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) continue;
    socket.set_option(tcp::no_delay{true});
    auto ex = socket.get_executor();
    auto one = [&s, &pool, sock = std::move(socket)]() mutable { return session(s, pool, std::move(sock)); };
    net::co_spawn(ex, std::move(one), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto next = [&]() -> std::string {
        if (i + 1 >= a.size()) throw std::invalid_argument(a[i] + " needs a value");
        return a[++i];
      };
      if (a[i] == "--port") s.port = static_cast<unsigned short>(std::stoi(next()));
      else if (a[i] == "--channel") s.channel = next();
      else if (a[i] == "--threads") s.threads = std::max(1, std::stoi(next()));
      else if (a[i] == "--reply") s.reply = next();
      else if (a[i] == "--public-base-url") s.public_base_url = next();
      else if (a[i] == "--auth-token") s.auth_token = next();
      else if (a[i] == "--account-sid") s.account_sid = next();
      else if (a[i] == "--from") s.from = next();
      else if (a[i] == "--wechat-token") s.wechat_token = next();
      else if (a[i] == "--api-base") {
        auto url = next();  // http://host:port
        auto hp = url.substr(url.find("//") + 2);
        s.api_host = hp.substr(0, hp.rfind(':'));
        s.api_port = static_cast<unsigned short>(std::stoi(hp.substr(hp.rfind(':') + 1)));
      } else throw std::invalid_argument("unknown option " + a[i]);
    }
  } catch (const std::exception& e) {
    std::cerr << "ceiling_server: " << e.what() << "\n";
    return 64;
  }
  if (s.public_base_url.empty()) s.public_base_url = "http://127.0.0.1:" + std::to_string(s.port);

  net::io_context ioc{s.threads};
  rest_pool pool{s};
  tcp::acceptor acceptor{ioc};
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), s.port};
  acceptor.open(ep.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(4096);
  std::cerr << "event=listening port=" << acceptor.local_endpoint().port() << std::endl;
  auto run = [&s, &pool, &ioc, acc = std::move(acceptor)]() mutable { return listener(s, pool, ioc, std::move(acc)); };
  net::co_spawn(ioc, std::move(run), net::detached);
  net::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&ioc](boost::system::error_code, int) { ioc.stop(); });
  std::vector<std::thread> pool_threads;
  for (int i = 1; i < s.threads; ++i) pool_threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool_threads) t.join();
  return 0;
}
