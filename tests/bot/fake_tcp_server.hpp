#pragma once
// Test-only: a blocking loopback TCP server on its own thread. Each accepted connection is
// handed to `session` in turn on that thread; the destructor stops accepting and unblocks a
// session still waiting on its peer.

#include "bot/net.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <sys/socket.h>

namespace fake {

class tcp_server {
 public:
  using session = std::function<void(net::ip::tcp::socket&)>;

  // Listens on `address`:0 at once (connections queue in the backlog until accepted).
  explicit tcp_server(session fn, const std::string& address = "127.0.0.1")
      : fn_(std::move(fn)), acceptor_(ioc_, {net::ip::make_address(address), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  tcp_server(const tcp_server&) = delete;
  tcp_server& operator=(const tcp_server&) = delete;

  ~tcp_server() {
    stop_ = true;
    // shutdown(2) on raw descriptors is safe from another thread and wakes blocked calls.
    if (int fd = session_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
  }

  unsigned short port() const { return port_; }

  // Connections handed to `session` so far.
  int accepted() const { return accepted_.load(); }

 private:
  void run() {
    while (!stop_) {
      net::ip::tcp::socket socket{ioc_};
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      ++accepted_;
      session_fd_ = socket.native_handle();
      try {
        fn_(socket);
      } catch (const std::exception&) {
        // A session that fails (peer refused our certificate, closed early) just ends.
      }
      session_fd_ = -1;
    }
  }

  session fn_;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> session_fd_{-1};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace fake
