#include "bot/http_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>

namespace bot {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr std::uint32_t response_header_limit = 64 * 1024;
// A peer that never answers our close_notify must not hold a finished response for the whole
// remaining budget.
constexpr std::chrono::milliseconds tls_shutdown_cap{1000};

fetch_failure failure(fetch_errc code, std::string detail) { return fetch_failure{code, std::move(detail)}; }

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9110 token characters (method and header names).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || std::string_view{"!#$%&'*+-.^_`|~"}.find(ch) != std::string_view::npos;
  });
}

// A header value must not be able to start a new header line (request splitting).
bool is_safe_header_value(std::string_view s) {
  return s.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

std::string host_header(const outbound_url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  bool default_port = url.port == (url.https ? 443 : 80);
  return default_port ? host : host + ":" + std::to_string(url.port);
}

// "host:port" for logs and failure details (never the target: queries carry tokens).
std::string where(const outbound_url& url) {
  return (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// What is left of the budget, or zero.
clock_type::duration remaining(clock_type::time_point deadline) {
  return std::max(deadline - clock_type::now(), clock_type::duration::zero());
}

// Re-arms the stream's deadline with what is left of the overall budget before a phase.
// False when nothing is left.
bool arm(beast::tcp_stream& stream, clock_type::time_point deadline) {
  auto left = remaining(deadline);
  if (left == clock_type::duration::zero()) return false;
  stream.expires_after(left);
  return true;
}

fetch_failure read_failure(const error_code& ec, const outbound_url& url) {
  if (ec == beast::error::timeout) return failure(fetch_errc::timeout, "no complete response from " + where(url) + " before the deadline");
  if (ec == http::error::body_limit) return failure(fetch_errc::too_large, "response body from " + where(url) + " over the limit");
  if (ec == http::error::header_limit) return failure(fetch_errc::too_large, "response headers from " + where(url) + " over the limit");
  return failure(fetch_errc::protocol, "reading the response from " + where(url) + ": " + ec.message());
}

// Builds the Beast request, or bad_url when the method or a header cannot be sent safely.
std::variant<http::request<http::string_body>, fetch_failure> build_request(outbound_request& req, const outbound_url& url) {
  if (!is_token(req.method)) return failure(fetch_errc::bad_url, "invalid method");
  http::request<http::string_body> out;
  out.method_string(req.method);
  out.target(url.target);
  out.version(11);
  for (auto& [name, value] : req.headers) {
    if (!is_token(name)) return failure(fetch_errc::bad_url, "invalid header name");
    if (!is_safe_header_value(value)) return failure(fetch_errc::bad_url, "invalid value for header " + name);
    out.insert(name, value);
  }
  // Framing is ours: length from the body; HTTP/1.1 keeps the connection open by default.
  out.set(http::field::host, host_header(url));
  out.erase(http::field::connection);
  out.erase(http::field::transfer_encoding);
  out.erase(http::field::content_length);
  if (out.find(http::field::user_agent) == out.end()) out.set(http::field::user_agent, "servicebot/" SERVICEBOT_VERSION);
  out.body() = std::move(req.body);
  out.prepare_payload();
  return out;
}

struct resolve_race {
  explicit resolve_race(const net::any_io_executor& ex) : resolver(ex), timer(ex) {}
  tcp::resolver resolver;
  net::steady_timer timer;
  bool done = false;
  error_code ec;
  tcp::resolver::results_type results;
};

// Resolves url.host before the deadline. getaddrinfo runs on Asio's private resolver thread
// and cannot be interrupted once started, so cancelling the resolver is not enough: we wait on
// a timer that the resolve completion cancels, and abandon a lookup that is still running at
// the deadline (its handler keeps the race state alive until getaddrinfo returns).
// Must run on a strand shared with the resolver's handler (see http_client::fetch).
net::awaitable<std::variant<std::vector<tcp::endpoint>, fetch_failure>> resolve(outbound_url url,
                                                                                clock_type::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  auto literal = net::ip::make_address(url.host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, url.port);
    co_return endpoints;
  }
  auto ex = co_await net::this_coro::executor;
  auto race = std::make_shared<resolve_race>(ex);
  race->timer.expires_after(remaining(deadline));
  auto on_resolved = [race](const error_code& rec, tcp::resolver::results_type results) {
    race->done = true;
    race->ec = rec;
    race->results = std::move(results);
    race->timer.cancel();
  };
  race->resolver.async_resolve(url.host, std::to_string(url.port), tcp::resolver::numeric_service, std::move(on_resolved));
  error_code wait_ec;
  co_await race->timer.async_wait(net::redirect_error(net::use_awaitable, wait_ec));
  if (!race->done) {
    race->resolver.cancel();
    co_return failure(fetch_errc::timeout, "resolving " + url.host + " did not finish before the deadline");
  }
  if (race->ec) co_return failure(fetch_errc::resolve, "resolving " + url.host + ": " + race->ec.message());
  for (const auto& entry : race->results) endpoints.push_back(entry.endpoint());
  if (endpoints.empty()) co_return failure(fetch_errc::resolve, "resolving " + url.host + ": no addresses");
  co_return endpoints;
}

// Connects to the first endpoint that accepts.
net::awaitable<std::optional<fetch_failure>> connect(beast::tcp_stream& stream, std::vector<tcp::endpoint> endpoints,
                                                      outbound_url url, clock_type::time_point deadline) {
  if (!arm(stream, deadline)) co_return failure(fetch_errc::timeout, "no time left to connect to " + where(url));
  error_code ec;
  co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return failure(fetch_errc::timeout, "connecting to " + where(url) + " timed out");
  if (ec) co_return failure(fetch_errc::connect, "connecting to " + where(url) + ": " + ec.message());
  co_return std::nullopt;
}

// One connection to one (scheme, host, port): a plain or a TLS stream, created on a strand of its
// own on which every operation on it runs (also when it is reused by a later request).
struct connection {
  explicit connection(net::any_io_executor ex) : strand(std::move(ex)) {}
  net::any_io_executor strand;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  // Set by the verify callback; here rather than in a coroutine frame because the callback lives
  // as long as the stream.
  bool host_mismatch = false;
  clock_type::time_point idle_since{};

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }
};
using connection_ptr = std::unique_ptr<connection>;

std::string pool_key(const outbound_url& url) { return (url.https ? "https://" : "http://") + where(url); }

// True when an idle connection can carry another request: still open, and the peer has neither
// closed it nor sent anything (a TLS close_notify, a stray byte) since the last response.
// Checked with a non-blocking peek; only on a connection no operation is using.
bool still_usable(connection& c) {
  auto& socket = c.lowest().socket();
  if (!socket.is_open()) return false;
  error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return false;
  char byte;
  socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
  return ec == net::error::would_block;
}

// What one request on one connection came to.
struct exchange_outcome {
  fetch_result result;
  // The response is complete and neither side asked to close: the connection may be reused.
  bool reusable = false;
  // Nothing of a response arrived and the connection was found closed or reset: on a reused
  // connection, the server closed it while idle and never saw the request.
  bool closed_before_response = false;
};

bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated;
}

// Writes the request and reads the whole response on a connected (and handshaken) stream.
template <class Stream>
net::awaitable<exchange_outcome> exchange(Stream& stream, const http::request<http::string_body>& request,
                                          std::size_t body_limit, outbound_url url, clock_type::time_point deadline) {
  auto& layer = beast::get_lowest_layer(stream);
  exchange_outcome out;
  error_code ec;
  if (!arm(layer, deadline)) {
    out.result = failure(fetch_errc::timeout, "no time left to send to " + where(url));
    co_return out;
  }
  co_await http::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    out.result = failure(fetch_errc::timeout, "sending to " + where(url) + " timed out");
    co_return out;
  }
  if (ec) {
    out.closed_before_response = closed_by_peer(ec);
    out.result = failure(fetch_errc::protocol, "sending to " + where(url) + ": " + ec.message());
    co_return out;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(response_header_limit);
  parser.body_limit(body_limit);
  if (request.method() == http::verb::head) parser.skip(true);
  if (!arm(layer, deadline)) {
    out.result = failure(fetch_errc::timeout, "no time left to read from " + where(url));
    co_return out;
  }
  // Header first, then the body: Beast 1.74 loses the parser's own body_limit error when a
  // Content-Length response is parsed eagerly in one go (boostorg/beast#2183), so the declared
  // length is checked here; chunked and read-to-EOF bodies are bounded by the parser.
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.closed_before_response = closed_by_peer(ec) && !parser.got_some() && buffer.size() == 0;
    out.result = read_failure(ec, url);
    co_return out;
  }
  if (!parser.is_done()) {
    if (auto length = parser.content_length(); length && *length > body_limit) {
      out.result = read_failure(http::error::body_limit, url);
      co_return out;
    }
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out.result = read_failure(ec, url);
      co_return out;
    }
  }

  // Bytes after the response (a pipelined answer we never asked for) make the connection unsafe.
  out.reusable = parser.keep_alive() && buffer.size() == 0;
  auto message = parser.release();
  outbound_response response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) response.headers.emplace_back(lower(field.name_string()), std::string{field.value()});
  response.body = std::move(message.body());
  out.result = std::move(response);
  co_return out;
}

// Host-name check as ssl::host_name_verification does it, remembering a mismatch so the
// failure can say so (OpenSSL reports only "certificate verify failed").
struct host_check {
  ssl::host_name_verification verify;
  bool* mismatch;
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    bool ok = verify(preverified, ctx);
    if (preverified && !ok) *mismatch = true;
    return ok;
  }
};

fetch_failure handshake_failure(const error_code& ec, SSL* ssl_handle, bool host_mismatch, const outbound_url& url) {
  if (ec == beast::error::timeout) return failure(fetch_errc::timeout, "TLS handshake with " + where(url) + " timed out");
  std::string detail = "TLS handshake with " + where(url) + ": " + ec.message();
  if (host_mismatch) {
    detail += " (certificate does not match " + url.host + ")";
  } else if (long verify = SSL_get_verify_result(ssl_handle); verify != X509_V_OK) {
    detail += std::string{" ("} + X509_verify_cert_error_string(verify) + ")";
  }
  return failure(fetch_errc::tls, std::move(detail));
}

// A new connection on the current strand: connect and, for https, the verified handshake.
net::awaitable<std::variant<connection_ptr, fetch_failure>> open_connection(std::vector<tcp::endpoint> endpoints,
                                                                            std::shared_ptr<ssl::context> tls,
                                                                            outbound_url url,
                                                                            clock_type::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  auto conn = std::make_unique<connection>(ex);
  if (!url.https) {
    conn->plain.emplace(ex);
    auto connect_op = connect(*conn->plain, std::move(endpoints), url, deadline);
    auto connected = co_await std::move(connect_op);
    if (connected) co_return std::move(*connected);
    co_return std::move(conn);
  }

  conn->secure.emplace(ex, *tls);
  auto& stream = *conn->secure;
  // SNI carries host names only (RFC 6066 §3), never IP literals.
  error_code literal_ec;
  net::ip::make_address(url.host, literal_ec);
  if (literal_ec && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
    co_return failure(fetch_errc::tls, "cannot set SNI for " + url.host);
  host_check check{ssl::host_name_verification{url.host}, &conn->host_mismatch};
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(check);

  auto connect_op = connect(beast::get_lowest_layer(stream), std::move(endpoints), url, deadline);
  auto connected = co_await std::move(connect_op);
  if (connected) co_return std::move(*connected);

  error_code ec;
  if (!arm(beast::get_lowest_layer(stream), deadline))
    co_return failure(fetch_errc::timeout, "no time left for the TLS handshake with " + where(url));
  co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return handshake_failure(ec, stream.native_handle(), conn->host_mismatch, url);
  co_return std::move(conn);
}

}  // namespace

// Idle connections per pool_key, newest last. Any thread; a connection in the lists is used by
// no operation.
struct http_client::connection_pool {
  explicit connection_pool(connection_pool_options o) : options(o) {}

  // The newest idle connection to `key` that is still usable, or null. Older or unusable ones
  // met on the way are dropped.
  connection_ptr take(const std::string& key) {
    std::vector<connection_ptr> dropped;  // closed outside the lock
    connection_ptr found;
    {
      std::lock_guard lock{mutex};
      auto it = idle.find(key);
      if (it == idle.end()) return nullptr;
      auto& list = it->second;
      const auto oldest_allowed = clock_type::now() - options.idle_timeout;
      while (!list.empty()) {
        auto c = std::move(list.back());
        list.pop_back();
        if (c->idle_since >= oldest_allowed && still_usable(*c)) {
          found = std::move(c);
          break;
        }
        dropped.push_back(std::move(c));
      }
    }
    for (auto& c : dropped) c->lowest().close();
    return found;
  }

  // Keeps `c` for the next request to `key`, or closes it when the host's list is full.
  void give_back(const std::string& key, connection_ptr c) {
    c->idle_since = clock_type::now();
    {
      std::lock_guard lock{mutex};
      auto& list = idle[key];
      // Entries past the idle timeout go first, so a quiet host does not keep sockets forever.
      const auto oldest_allowed = c->idle_since - options.idle_timeout;
      std::erase_if(list, [&](const connection_ptr& old) { return old->idle_since < oldest_allowed; });
      if (list.size() < options.max_idle_per_host) {
        list.push_back(std::move(c));
        return;
      }
    }
    c->lowest().close();
  }

  std::size_t size() const {
    std::lock_guard lock{mutex};
    std::size_t n = 0;
    for (const auto& [key, list] : idle) n += list.size();
    return n;
  }

  const connection_pool_options options;
  mutable std::mutex mutex;
  std::map<std::string, std::vector<connection_ptr>> idle;
};

namespace {

using request_ptr = std::shared_ptr<const http::request<http::string_body>>;
using pool_ptr = std::shared_ptr<http_client::connection_pool>;

// Sends `request` on `conn` (on conn->strand, the current executor), then gives the connection
// back to the pool or closes it.
net::awaitable<exchange_outcome> use_connection(connection_ptr conn, request_ptr request, std::size_t body_limit,
                                                pool_ptr pool, outbound_url url, clock_type::time_point deadline) {
  exchange_outcome out;
  if (conn->plain) {
    auto op = exchange(*conn->plain, *request, body_limit, url, deadline);
    out = co_await std::move(op);
  } else {
    auto op = exchange(*conn->secure, *request, body_limit, url, deadline);
    out = co_await std::move(op);
  }
  if (out.reusable) {
    pool->give_back(pool_key(url), std::move(conn));
    co_return out;
  }
  // The response is complete (or failed) either way; the TLS shutdown only tidies up. Servers
  // that close after Connection: close often skip close_notify (stream_truncated): tolerated.
  auto left = std::min<clock_type::duration>(remaining(deadline), tls_shutdown_cap);
  if (conn->secure && std::holds_alternative<outbound_response>(out.result) && left > clock_type::duration::zero()) {
    error_code ec;
    conn->lowest().expires_after(left);
    co_await conn->secure->async_shutdown(net::redirect_error(net::use_awaitable, ec));
    if (ec && ec != net::ssl::error::stream_truncated && ec != net::error::eof)
      spdlog::debug("event=outbound_tls_shutdown host={} error=\"{}\"", where(url), ec.message());
  }
  error_code ec;
  conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  conn->lowest().close();
  co_return out;
}

// A request on a new connection. Runs on a strand of its own (http_client::fetch), which the
// resolver race relies on and which becomes the connection's strand.
net::awaitable<fetch_result> fetch_fresh(request_ptr request, std::size_t body_limit, std::shared_ptr<ssl::context> tls,
                                         pool_ptr pool, outbound_url url, clock_type::time_point deadline) {
  auto resolve_op = resolve(url, deadline);
  auto resolved = co_await std::move(resolve_op);
  if (auto* bad = std::get_if<fetch_failure>(&resolved)) co_return std::move(*bad);
  auto endpoints = std::get<std::vector<tcp::endpoint>>(std::move(resolved));
  if (!url.https) {
    // "localhost" could resolve elsewhere through a hostile hosts file or resolver.
    std::erase_if(endpoints, [](const tcp::endpoint& ep) { return !ep.address().is_loopback(); });
    if (endpoints.empty())
      co_return failure(fetch_errc::insecure_url, "plain http: " + url.host + " resolves to no loopback address");
  }
  // Sub-coroutines are bound to named locals before co_await (style.md §10, GCC 12).
  auto open_op = open_connection(std::move(endpoints), std::move(tls), url, deadline);
  auto opened = co_await std::move(open_op);
  if (auto* bad = std::get_if<fetch_failure>(&opened)) co_return std::move(*bad);
  auto use_op = use_connection(std::get<connection_ptr>(std::move(opened)), std::move(request), body_limit,
                               std::move(pool), std::move(url), deadline);
  auto outcome = co_await std::move(use_op);
  co_return std::move(outcome.result);
}

std::shared_ptr<ssl::context> system_tls_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace

std::string_view to_string(fetch_errc code) {
  switch (code) {
    case fetch_errc::bad_url: return "bad_url";
    case fetch_errc::insecure_url: return "insecure_url";
    case fetch_errc::resolve: return "resolve";
    case fetch_errc::connect: return "connect";
    case fetch_errc::tls: return "tls";
    case fetch_errc::timeout: return "timeout";
    case fetch_errc::protocol: return "protocol";
    case fetch_errc::too_large: return "too_large";
  }
  return "unknown";
}

std::variant<outbound_url, fetch_failure> parse_outbound_url(std::string_view url) {
  auto bad = [](std::string why) { return failure(fetch_errc::bad_url, std::move(why)); };
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("missing scheme");
  outbound_url out;
  auto scheme = lower(url.substr(0, sep));
  if (scheme == "https") {
    out.https = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.https = false;
    out.port = 80;
  } else {
    return bad("unsupported scheme");
  }

  auto rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));
  auto authority_end = rest.find_first_of("/?");
  auto authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return bad("user-info in URL (use an Authorization header)");

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      has_port = true;
      port = after.substr(1);
    }
    error_code ec;
    if (host.find('%') != std::string_view::npos) return bad("IPv6 zone identifiers are not supported");
    net::ip::make_address_v6(std::string{host}, ec);
    if (ec) return bad("invalid IPv6 literal");
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return bad("missing host");
    bool host_ok = std::all_of(host.begin(), host.end(), [](char ch) {
      auto c = static_cast<unsigned char>(ch);
      return std::isalnum(c) || ch == '-' || ch == '.' || ch == '_';
    });
    if (!host_ok) return bad("invalid character in host");
  }
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || port.size() > 5 || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return bad("invalid port");
    out.port = static_cast<std::uint16_t>(value);
  }

  // Spaces, controls and raw non-ASCII bytes must arrive percent-encoded.
  bool target_ok = std::all_of(target.begin(), target.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f;
  });
  if (!target_ok) return bad("invalid character in path or query");
  out.host = lower(host);
  if (target.empty()) out.target = "/";
  else if (target.front() == '?') out.target = "/" + std::string{target};
  else out.target = std::string{target};
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (lower(host) == "localhost") return true;
  error_code ec;
  auto address = net::ip::make_address(std::string{host}, ec);
  return !ec && address.is_loopback();
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string plain;
  plain.reserve(user.size() + 1 + password.size());
  plain.append(user).append(":").append(password);
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  OPENSSL_cleanse(plain.data(), plain.size());
  return "Basic " + encoded;
}

http_client::http_client(net::any_io_executor ex, std::size_t body_limit, std::shared_ptr<net::ssl::context> tls,
                         connection_pool_options pool)
    : ex_(std::move(ex)),
      body_limit_(body_limit),
      tls_(tls ? std::move(tls) : system_tls_context()),
      pool_(std::make_shared<connection_pool>(pool)) {}

http_client::~http_client() = default;

std::size_t http_client::idle_connections() const { return pool_->size(); }

net::awaitable<fetch_result> http_client::fetch(outbound_request req) {
  std::string method = req.method;
  auto started = clock_type::now();
  auto deadline = started + req.timeout;
  auto parsed = parse_outbound_url(req.url);
  if (auto* bad = std::get_if<fetch_failure>(&parsed)) co_return std::move(*bad);
  auto url = std::get<outbound_url>(std::move(parsed));
  // Refused before any network activity: plain http would expose tokens and auth on the wire.
  if (!url.https && !is_loopback_host(url.host))
    co_return failure(fetch_errc::insecure_url, "plain http to non-loopback host " + url.host);
  auto built = build_request(req, url);
  if (auto* bad = std::get_if<fetch_failure>(&built)) co_return std::move(*bad);
  auto request = std::make_shared<const http::request<http::string_body>>(
      std::get<http::request<http::string_body>>(std::move(built)));

  std::optional<fetch_result> result;
  bool reused = false;
  if (auto conn = pool_->take(pool_key(url))) {
    // On the connection's own strand, where its stream and timer live.
    auto strand = conn->strand;
    auto op = net::co_spawn(strand, use_connection(std::move(conn), request, body_limit_, pool_, url, deadline),
                            net::use_awaitable);
    auto outcome = co_await std::move(op);
    // Closed by the server while idle, before our request reached it: once more on a new one.
    if (!outcome.closed_before_response || remaining(deadline) == clock_type::duration::zero()) {
      result = std::move(outcome.result);
      reused = true;
    }
  }
  if (!result) {
    // A strand per new connection: the resolver race's handler and the request coroutine share it.
    auto strand = net::make_strand(ex_);
    auto op = net::co_spawn(strand, fetch_fresh(request, body_limit_, tls_, pool_, url, deadline), net::use_awaitable);
    result = co_await std::move(op);
  }
  auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - started).count();
  if (const auto* response = std::get_if<outbound_response>(&*result))
    spdlog::debug("event=outbound_fetch method={} status={} reused={} ms={:.1f}", method, response->status, reused, ms);
  else
    spdlog::debug("event=outbound_fetch method={} error={} detail=\"{}\" reused={} ms={:.1f}", method,
                  to_string(std::get<fetch_failure>(*result).code), std::get<fetch_failure>(*result).detail, reused, ms);
  co_return std::move(*result);
}

}  // namespace bot
