#pragma once
// Outbound HTTP(S) for gateway calls (Twilio REST, WeChat API): Beast + OpenSSL, C++20 coroutine
// API, keep-alive connections pooled per (scheme, host, port).
//
// Pooling (issue 7): a new TCP connection (and name lookup, and TLS handshake) per SMS cost more
// CPU than the rest of the send. A connection whose response completed and that neither side
// asked to close goes back to its host's idle list (newest first, capped, dropped after
// idle_timeout). Before reuse it is checked without blocking: if the peer has closed it or sent
// anything unasked, it is dropped. If a reused connection still fails before a byte of the
// response arrives (the server closed it while our request was on the way), the request is sent
// once more on a new connection: the server did not answer it, and for the gateway's own view
// this is no different from the outbox's retry after a failure.
//
// Security (style.md §13): https verifies the peer against the trust store, sends SNI and checks
// the host name; plain http:// is allowed only to loopback hosts (test fakes). Every phase
// (resolve, connect, TLS handshake, write, read) runs under one overall deadline, and the
// response body is bounded. Redirects are not followed (a 3xx is returned as a response).
// Nothing here logs bodies, query strings or header values (they carry tokens and auth).

#include "bot/net.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bot {

struct outbound_request {
  std::string method = "GET";
  std::string url;  // http(s)://host[:port][/path][?query]; IPv6 literals in brackets
  std::vector<std::pair<std::string, std::string>> headers;  // Host, Connection and Content-Length are set by fetch
  std::string body;
  std::chrono::milliseconds timeout{10000};  // overall budget for every phase together
};

struct outbound_response {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in received order
};

// Why a fetch produced no response. bad_url and insecure_url are permanent (the request can
// never succeed as given); the others are transient network conditions worth retrying.
// timeout/protocol after the request was written may mean the gateway did act on it.
enum class fetch_errc {
  bad_url,       // malformed URL, or a method/header that cannot be sent safely
  insecure_url,  // http:// to a host that is not loopback
  resolve,       // name resolution failed
  connect,       // no resolved address accepted the connection
  tls,           // TLS handshake failed, including certificate or host-name verification
  timeout,       // the overall deadline passed (in any phase)
  protocol,      // write failed, or the response was malformed or cut short
  too_large,     // response headers or body over the limit
};

// "bad_url", "insecure_url", ... (for logs and outbox error columns).
std::string_view to_string(fetch_errc code);

struct fetch_failure {
  fetch_errc code;
  std::string detail;  // human-readable; never contains the URL's query, headers or bodies
};

using fetch_result = std::variant<outbound_response, fetch_failure>;

// A URL split for a request. Only http and https; no user-info, no empty port.
struct outbound_url {
  bool https = true;
  std::string host;          // lower-cased; an IPv6 literal without brackets
  std::uint16_t port = 443;  // the scheme's default when absent
  std::string target;        // path and query, "/" when absent; the fragment is dropped
};

// Parses `url`. Returns a fetch_failure with fetch_errc::bad_url when it is malformed. Pure.
std::variant<outbound_url, fetch_failure> parse_outbound_url(std::string_view url);

// True for "localhost", 127.0.0.0/8 and ::1 (the hosts plain http may go to). Pure.
bool is_loopback_host(std::string_view host);

// The value of an `Authorization` header for HTTP basic auth: "Basic base64(user:password)".
std::string basic_auth(std::string_view user, std::string_view password);

struct connection_pool_options {
  std::size_t max_idle_per_host = 128;         // connections kept idle per (scheme, host, port)
  std::chrono::seconds idle_timeout{30};       // an idle connection older than this is not reused
};

class http_client {
 public:
  // `ex`: where requests run (each on a strand of its own, so a multi-threaded pool is fine).
  // `body_limit`: the largest response body accepted. `tls`: the TLS context for https; null
  // means a client context trusting the system CA store. Peer and host-name verification are
  // enforced per connection whatever the context says. Throws boost::system::system_error when
  // the default TLS context cannot be created. Construct once and share: the default context
  // loads the system CA store (tens of milliseconds).
  // `pool`: how many idle connections are kept and for how long.
  explicit http_client(net::any_io_executor ex, std::size_t body_limit = std::size_t{1} << 20,
                       std::shared_ptr<net::ssl::context> tls = nullptr, connection_pool_options pool = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends `req` and reads the whole response. Any HTTP status (4xx/5xx too) is a response;
  // network and protocol failures are a fetch_failure value. Throws only on resource
  // exhaustion (std::bad_alloc) or when the TLS library cannot create a connection object.
  // May be awaited from any executor; the client must outlive the call.
  net::awaitable<fetch_result> fetch(outbound_request req);

  // Idle connections kept for reuse right now, over all hosts. Any thread.
  std::size_t idle_connections() const;

  struct connection_pool;  // defined in the .cpp

 private:
  net::any_io_executor ex_;
  std::size_t body_limit_;
  std::shared_ptr<net::ssl::context> tls_;
  // Shared with the requests in flight, which give their connection back when they finish.
  std::shared_ptr<connection_pool> pool_;
};

}  // namespace bot
