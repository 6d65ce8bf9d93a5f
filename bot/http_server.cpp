#include "bot/http_server.hpp"

#include "bot/metrics.hpp"
#include "bot/rate_limit.hpp"
#include "channels/form.hpp"
#include "store/store.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <random>
#include <unordered_map>

namespace bot {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using strand_type = net::any_io_executor;  // the connection's strand, type-erased

// One open connection as the drain logic sees it. Touched only on the connection's strand,
// except the registry membership (under impl::mutex_).
struct connection_state {
  strand_type strand;
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // between the first byte of a request and the end of its response
};

http_request to_request(const http::request<http::string_body>& in, std::string remote, std::string request_id) {
  http_request out;
  out.method = std::string{in.method_string()};
  out.target = std::string{in.target()};
  auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) {
    out.query = out.target.substr(q + 1);
    // A malformed query is left undecoded; handlers that need a parameter then find none.
    if (auto fields = channels::parse_form(out.query)) out.query_params = std::move(*fields);
  }
  for (const auto& field : in) {
    std::string name{field.name_string()};
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string{field.value()});
  }
  out.body = in.body();
  out.remote_address = std::move(remote);
  out.request_id = std::move(request_id);
  return out;
}

// The client the per-IP limit counts: the peer, or behind our own proxy the last
// X-Forwarded-For hop (the one that proxy appended; earlier hops are whatever the client sent).
std::string client_address(const http_request& r, bool trust_forwarded_for) {
  if (!trust_forwarded_for) return r.remote_address;
  std::string_view xff = r.header("x-forwarded-for");
  if (xff.empty()) return r.remote_address;
  auto comma = xff.rfind(',');
  auto last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  return last.empty() ? r.remote_address : std::string{last};
}

// The method as a metrics label: a client may send any token as a method, and every distinct
// label value is a time series kept forever.
std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"})
    if (method == known) return known;
  return "other";
}

bool ip_limited_path(std::string_view path) { return path.starts_with("/webhooks/") || path.starts_with("/api/"); }

// Authentication failures on a webhook route count as signature failures of its channel.
std::string_view webhook_channel(std::string_view route) {
  if (route.starts_with("/webhooks/wechat")) return "wechat";
  if (route.starts_with("/webhooks/sms/")) return "sms";
  if (route.starts_with("/webhooks/email/")) return "email";
  return {};
}

http::response<http::string_body> to_beast(const http_response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(r.status), version};
  out.set(http::field::server, "servicebot");
  out.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) out.set(name, value);
  out.body() = r.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& ioc, const router& routes, server_limits limits)
      : ioc_(ioc),
        routes_(routes),
        limits_(limits),
        acceptor_(ioc),
        ip_limiter_({limits.ip_per_second, limits.ip_burst, std::chrono::seconds{0}, 100000}) {
    std::random_device rd;
    request_prefix_ = fmt::format("{:06x}", rd() & 0xffffff);
  }

  net::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(net::make_strand(ioc_), net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
        spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
        continue;
      }
      if (open_count_.load() >= limits_.max_connections) {
        spdlog::warn("event=connection_refused reason=max_connections");
        metrics::limited("connection");
        socket.close(ec);
        continue;
      }
      auto executor = socket.get_executor();
      auto session_fn = [self, s = std::move(socket)]() mutable { return self->session(std::move(s)); };
      net::co_spawn(executor, std::move(session_fn), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("event=session_failed error=\"{}\"", ex.what());
        }
      });
    }
  }

  // One connection: read, route, answer, until the peer closes, a limit trips, or we drain.
  net::awaitable<void> session(tcp::socket socket) {
    auto self = shared_from_this();
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    beast::tcp_stream stream{std::move(socket)};
    // The executor is awaited into a named local first: inside the aggregate temporary, GCC 12
    // destroyed the executor twice (style.md §10), freeing the connection's strand while its
    // stream's timer still used it (heap corruption under concurrent load, issue 7).
    auto executor = co_await net::this_coro::executor;
    auto state = std::make_shared<connection_state>(connection_state{executor, &stream, false});
    auto id = register_connection(state);
    // The drain's cancel is posted to this strand and may run after this frame, and with it the
    // stream, is gone: the pointer is cleared on the strand before that, however the session ends.
    struct forget_stream {
      connection_state& state;
      ~forget_stream() { state.stream = nullptr; }
    } forget{*state};
    beast::flat_buffer buffer;
    boost::system::error_code ec;

    while (!ec) {
      // Keep-alive wait: the idle deadline covers the time until the first byte arrives.
      if (buffer.size() == 0) {
        if (draining_.load()) break;
        stream.expires_after(limits_.idle_timeout);
        auto n = co_await stream.async_read_some(buffer.prepare(4096), net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      state->busy = true;
      auto started = std::chrono::steady_clock::now();
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
      parser.body_limit(limits_.body_limit);

      // The header deadline runs from the first byte, so a slow sender cannot hold the slot.
      stream.expires_after(limits_.header_timeout);
      co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (!ec && parser.get()[http::field::expect] == "100-continue") {
        http::response<http::empty_body> cont{http::status::continue_, 11};
        co_await http::async_write(stream, cont, net::redirect_error(net::use_awaitable, ec));
      }
      if (!ec && !parser.is_done()) {
        stream.expires_after(limits_.body_timeout);
        co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      }
      if (ec) {
        int status = 0;
        if (ec == http::error::body_limit) status = 413;
        else if (ec == http::error::header_limit) status = 431;
        else if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
                 ec != net::error::eof && ec != net::error::connection_reset &&
                 ec != net::error::operation_aborted && ec != http::error::partial_message)
          status = 400;
        if (status) {
          auto res = to_beast(status == 413 ? json_error(413, "payload_too_large", "body exceeds 1 MiB")
                              : status == 431 ? json_error(431, "headers_too_large", "request headers too large")
                                              : json_error(400, "bad_request", "malformed HTTP request"),
                              11, false);
          boost::system::error_code wec;
          stream.expires_after(limits_.write_timeout);
          co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, wec));
          spdlog::info("request id=- status={} remote={} error=\"{}\"", status, remote, ec.message());
          metrics::http_request("-", "-", status,
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        break;
      }

      auto request = parser.release();
      auto request_id = fmt::format("{}-{:x}", request_prefix_, ++request_counter_);
      auto in = to_request(request, remote, request_id);
      std::string path = in.path;
      std::string method = in.method;
      http_response out;
      auto found = routes_.match(in);
      std::string route = in.route.empty() ? "unmatched" : in.route;
      if (auto* error = std::get_if<http_response>(&found)) {
        out = std::move(*error);
      } else if (ip_limited_path(path) && ip_limiter_.enabled() &&
                 ip_limiter_.admit(client_address(in, limits_.trust_forwarded_for)) != rate_limiter::verdict::allow) {
        metrics::limited("ip");
        out = json_error(429, "rate_limited", "too many requests from this address, retry later");
        out.headers.emplace_back("Retry-After", "1");
      } else {
        // A named awaitable, not a temporary, in the co_await (style.md §10, GCC 12).
        auto handled = dispatch(std::get<const handler*>(found), std::move(in));
        out = co_await std::move(handled);
      }
      if ((out.status == 401 || out.status == 403) && !webhook_channel(route).empty())
        metrics::signature_failure(webhook_channel(route));
      bool keep_alive = request.keep_alive() && !draining_.load();
      auto res = to_beast(out, request.version(), keep_alive);
      // Counted before the answer leaves, so a client that reads /metrics right after sees it.
      metrics::http_request(route, method_label(method), out.status,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      stream.expires_after(limits_.write_timeout);
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      spdlog::info("request id={} method={} route={} path={} status={} ms={:.2f} remote={}", request_id, method, route,
                   path, out.status, ms, remote);
      state->busy = false;
      if (!keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    unregister_connection(id);
  }

  // Runs the route's handler; exceptions become generic 500/503 answers (style.md §8).
  net::awaitable<http_response> dispatch(const handler* h, http_request request) {
    std::string request_id = request.request_id;
    try {
      co_return co_await (*h)(std::move(request));
    } catch (const store::store_error& e) {
      spdlog::error("request id={} event=store_error code={} error=\"{}\"", request_id, store::to_string(e.code()),
                    e.what());
      if (e.code() == store::errc::unavailable || e.code() == store::errc::conflict)
        co_return json_error(503, "unavailable", "store unavailable, retry later");
      co_return json_error(500, "internal", "internal error");
    } catch (const std::exception& e) {
      spdlog::error("request id={} event=handler_failed error=\"{}\"", request_id, e.what());
      co_return json_error(500, "internal", "internal error");
    }
  }

  std::uint64_t register_connection(std::shared_ptr<connection_state> state) {
    std::lock_guard lock{mutex_};
    auto id = ++next_connection_id_;
    connections_.emplace(id, std::move(state));
    open_count_.store(connections_.size());
    metrics::set_open_connections(connections_.size());
    return id;
  }

  void unregister_connection(std::uint64_t id) {
    std::lock_guard lock{mutex_};
    connections_.erase(id);
    open_count_.store(connections_.size());
    metrics::set_open_connections(connections_.size());
  }

  void close_idle_connections() {
    std::lock_guard lock{mutex_};
    for (auto& [id, state] : connections_) {
      net::post(state->strand, [state] {
        if (!state->busy && state->stream) state->stream->cancel();
      });
    }
  }

  net::io_context& ioc_;
  const router& routes_;
  server_limits limits_;
  tcp::acceptor acceptor_;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> open_count_{0};
  std::atomic<std::uint64_t> request_counter_{0};
  std::string request_prefix_;
  mutable std::mutex mutex_;
  std::uint64_t next_connection_id_ = 0;
  std::unordered_map<std::uint64_t, std::shared_ptr<connection_state>> connections_;
  rate_limiter ip_limiter_;
};

http_server::http_server(net::io_context& ioc, const router& routes, server_limits limits)
    : impl_(std::make_shared<impl>(ioc, routes, limits)) {}

http_server::~http_server() = default;

unsigned short http_server::listen(const std::string& address, unsigned short port) {
  tcp::endpoint endpoint{net::ip::make_address(address), port};
  auto& acceptor = impl_->acceptor_;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  return acceptor.local_endpoint().port();
}

void http_server::start() {
  auto self = impl_;
  auto loop = [self] { return self->accept_loop(); };
  net::co_spawn(impl_->ioc_, std::move(loop), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // a dead acceptor must fail loudly
  });
}

void http_server::drain(std::chrono::milliseconds grace, std::function<void()> done) {
  auto self = impl_;
  // Poll until every connection has finished its response or the grace period is over.
  auto waiter = [self, grace, done = std::move(done)]() -> net::awaitable<void> {
    self->draining_.store(true);
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    auto deadline = std::chrono::steady_clock::now() + grace;
    net::steady_timer timer{self->ioc_};
    while (self->open_count_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      self->close_idle_connections();
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    done();
  };
  net::co_spawn(self->ioc_, std::move(waiter), net::detached);
}

std::size_t http_server::open_connections() const { return impl_->open_count_.load(); }

}  // namespace bot
