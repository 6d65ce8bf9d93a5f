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
  // Framing is ours: one request per connection, length from the body.
  out.set(http::field::host, host_header(url));
  out.set(http::field::connection, "close");
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

// Writes the request and reads the whole response on a connected (and handshaken) stream.
template <class Stream>
net::awaitable<fetch_result> exchange(Stream& stream, http::request<http::string_body>& request, std::size_t body_limit,
                                      outbound_url url, clock_type::time_point deadline) {
  auto& layer = beast::get_lowest_layer(stream);
  error_code ec;
  if (!arm(layer, deadline)) co_return failure(fetch_errc::timeout, "no time left to send to " + where(url));
  co_await http::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return failure(fetch_errc::timeout, "sending to " + where(url) + " timed out");
  if (ec) co_return failure(fetch_errc::protocol, "sending to " + where(url) + ": " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(response_header_limit);
  parser.body_limit(body_limit);
  if (request.method() == http::verb::head) parser.skip(true);
  if (!arm(layer, deadline)) co_return failure(fetch_errc::timeout, "no time left to read from " + where(url));
  // Header first, then the body: Beast 1.74 loses the parser's own body_limit error when a
  // Content-Length response is parsed eagerly in one go (boostorg/beast#2183), so the declared
  // length is checked here; chunked and read-to-EOF bodies are bounded by the parser.
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return read_failure(ec, url);
  if (!parser.is_done()) {
    if (auto length = parser.content_length(); length && *length > body_limit)
      co_return read_failure(http::error::body_limit, url);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return read_failure(ec, url);
  }

  auto message = parser.release();
  outbound_response out;
  out.status = static_cast<int>(message.result_int());
  for (const auto& field : message) out.headers.emplace_back(lower(field.name_string()), std::string{field.value()});
  out.body = std::move(message.body());
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

net::awaitable<fetch_result> fetch_https(http::request<http::string_body> request, std::vector<tcp::endpoint> endpoints,
                                         std::size_t body_limit, std::shared_ptr<ssl::context> tls, outbound_url url,
                                         clock_type::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream{ex, *tls};

  // SNI carries host names only (RFC 6066 §3), never IP literals.
  error_code literal_ec;
  net::ip::make_address(url.host, literal_ec);
  if (literal_ec && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
    co_return failure(fetch_errc::tls, "cannot set SNI for " + url.host);
  bool host_mismatch = false;
  host_check check{ssl::host_name_verification{url.host}, &host_mismatch};
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(check);

  auto connect_op = connect(beast::get_lowest_layer(stream), std::move(endpoints), url, deadline);
  auto connected = co_await std::move(connect_op);
  if (connected) co_return std::move(*connected);

  error_code ec;
  if (!arm(beast::get_lowest_layer(stream), deadline))
    co_return failure(fetch_errc::timeout, "no time left for the TLS handshake with " + where(url));
  co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return handshake_failure(ec, stream.native_handle(), host_mismatch, url);

  auto exchange_op = exchange(stream, request, body_limit, url, deadline);
  auto result = co_await std::move(exchange_op);

  // The response is complete (or failed) either way; the shutdown only tidies up. Servers that
  // close after Connection: close often skip close_notify (stream_truncated): tolerated.
  auto left = std::min<clock_type::duration>(remaining(deadline), tls_shutdown_cap);
  if (std::holds_alternative<outbound_response>(result) && left > clock_type::duration::zero()) {
    beast::get_lowest_layer(stream).expires_after(left);
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
    if (ec && ec != net::ssl::error::stream_truncated && ec != net::error::eof)
      spdlog::debug("event=outbound_tls_shutdown host={} error=\"{}\"", where(url), ec.message());
  }
  beast::get_lowest_layer(stream).close();
  co_return result;
}

net::awaitable<fetch_result> fetch_http(http::request<http::string_body> request, std::vector<tcp::endpoint> endpoints,
                                        std::size_t body_limit, outbound_url url, clock_type::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  beast::tcp_stream stream{ex};
  auto connect_op = connect(stream, std::move(endpoints), url, deadline);
  auto connected = co_await std::move(connect_op);
  if (connected) co_return std::move(*connected);
  auto exchange_op = exchange(stream, request, body_limit, url, deadline);
  auto result = co_await std::move(exchange_op);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.close();
  co_return result;
}

// One request from URL to response. Runs on a strand of its own (http_client::fetch), which the
// resolver race relies on.
net::awaitable<fetch_result> run_fetch(outbound_request req, std::size_t body_limit, std::shared_ptr<ssl::context> tls) {
  auto deadline = clock_type::now() + req.timeout;
  auto parsed = parse_outbound_url(req.url);
  if (auto* bad = std::get_if<fetch_failure>(&parsed)) co_return std::move(*bad);
  auto url = std::get<outbound_url>(std::move(parsed));
  // Refused before any network activity: plain http would expose tokens and auth on the wire.
  if (!url.https && !is_loopback_host(url.host))
    co_return failure(fetch_errc::insecure_url, "plain http to non-loopback host " + url.host);
  auto built = build_request(req, url);
  if (auto* bad = std::get_if<fetch_failure>(&built)) co_return std::move(*bad);
  auto request = std::get<http::request<http::string_body>>(std::move(built));

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
  if (url.https) {
    auto https_op = fetch_https(std::move(request), std::move(endpoints), body_limit, std::move(tls), std::move(url), deadline);
    co_return co_await std::move(https_op);
  }
  auto http_op = fetch_http(std::move(request), std::move(endpoints), body_limit, std::move(url), deadline);
  co_return co_await std::move(http_op);
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

http_client::http_client(net::any_io_executor ex, std::size_t body_limit, std::shared_ptr<net::ssl::context> tls)
    : ex_(std::move(ex)), body_limit_(body_limit), tls_(tls ? std::move(tls) : system_tls_context()) {}

net::awaitable<fetch_result> http_client::fetch(outbound_request req) {
  std::string method = req.method;
  auto started = clock_type::now();
  // A strand per request: the resolver race's handler and the request coroutine share it.
  auto strand = net::make_strand(ex_);
  auto op = net::co_spawn(strand, run_fetch(std::move(req), body_limit_, tls_), net::use_awaitable);
  auto result = co_await std::move(op);
  auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - started).count();
  if (const auto* response = std::get_if<outbound_response>(&result))
    spdlog::debug("event=outbound_fetch method={} status={} ms={:.1f}", method, response->status, ms);
  else
    spdlog::debug("event=outbound_fetch method={} error={} detail=\"{}\" ms={:.1f}", method,
                  to_string(std::get<fetch_failure>(result).code), std::get<fetch_failure>(result).detail, ms);
  co_return result;
}

}  // namespace bot
