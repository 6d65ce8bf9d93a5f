#pragma once
// The inbound HTTP/1.1 server: Beast + C++20 coroutines, one coroutine per connection on its
// own strand, bounded in every dimension (style.md §7), graceful drain on shutdown.

#include "bot/http.hpp"
#include "bot/net.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace bot {

struct server_limits {
  std::size_t body_limit = 1024 * 1024;  // contract: bodies over 1 MiB get 413
  std::size_t header_limit = 16 * 1024;
  std::chrono::seconds header_timeout{10};  // from first byte to end of headers (slowloris)
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds idle_timeout{60};    // keep-alive wait for the next request
  std::chrono::seconds write_timeout{30};
  std::size_t max_connections = 1000;       // past this, new connections are closed at once
  // Per client IP on paths under /webhooks/ and /api/: a token bucket of `ip_burst` requests
  // refilled at `ip_per_second`; over it, 429. 0 turns it off.
  double ip_per_second = 0;
  double ip_burst = 200;
  // The client IP is the last X-Forwarded-For hop (set by our own proxy), not the peer address.
  bool trust_forwarded_for = false;
};

class http_server {
 public:
  // `routes` must outlive the server. Nothing runs until listen() and start().
  http_server(net::io_context& ioc, const router& routes, server_limits limits);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds address:port (port 0 = any free port) and returns the bound port.
  // Throws boost::system::system_error when binding fails.
  unsigned short listen(const std::string& address, unsigned short port);

  // Starts accepting on the io_context's threads.
  void start();

  // Graceful drain: stop accepting, close idle keep-alive connections, let in-flight requests
  // finish (answered with Connection: close). Calls `done` (on an io_context thread) when no
  // connection is left or `grace` has passed. Call from any thread, once.
  void drain(std::chrono::milliseconds grace, std::function<void()> done);

  // Connections currently open.
  std::size_t open_connections() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace bot
