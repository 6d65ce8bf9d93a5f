#include "tests/e2e/fake_gateway.hpp"

#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>

#include <sys/socket.h>

namespace e2e {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
}  // namespace

struct fake_gateway::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  std::vector<recorded_request> received;
  std::map<std::string, std::deque<canned_answer>> queued;
  std::map<std::string, canned_answer> fallbacks;
  std::vector<std::thread> connections;
  std::vector<std::shared_ptr<tcp::socket>> sockets;

  canned_answer answer_for(const std::string& path) {
    std::lock_guard lock{mutex};
    // Longest matching prefix wins.
    std::string best;
    for (auto& [prefix, q] : queued)
      if (!q.empty() && path.rfind(prefix, 0) == 0 && prefix.size() >= best.size()) best = prefix;
    if (!best.empty() || (queued.count("") && !queued[""].empty())) {
      auto& q = queued[best];
      if (!q.empty()) {
        auto a = q.front();
        q.pop_front();
        return a;
      }
    }
    best.clear();
    bool found = false;
    for (auto& [prefix, a] : fallbacks)
      if (path.rfind(prefix, 0) == 0 && prefix.size() >= best.size()) {
        best = prefix;
        found = true;
      }
    return found ? fallbacks[best] : canned_answer{};
  }

  void serve(std::shared_ptr<tcp::socket> shared) {
    auto& socket = *shared;
    beast::error_code ec;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      recorded_request r;
      r.method = std::string{req.method_string()};
      r.target = std::string{req.target()};
      r.body = req.body();
      for (const auto& f : req) {
        std::string name{f.name_string()};
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        r.headers[name] = std::string{f.value()};
      }
      const auto path = r.target.substr(0, r.target.find('?'));
      {
        std::lock_guard lock{mutex};
        received.push_back(std::move(r));
      }
      arrived.notify_all();
      auto answer = answer_for(path);
      // A delayed answer sleeps in small steps so the destructor is not held for long.
      auto until = std::chrono::steady_clock::now() + answer.delay;
      while (!stopping.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (stopping.load()) break;
      if (answer.mode == canned_answer::kind::reset) {
        // SO_LINGER 0: close() sends RST instead of FIN, as a crashed or overloaded peer does.
        linger lg{1, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        socket.close(ec);
        return;
      }
      if (answer.mode == canned_answer::kind::garbage) {
        const std::string junk = "\x16\x03\x01 this is not HTTP \xff\xfe\r\n\r\n{{{";
        net::write(socket, net::buffer(junk), ec);
        break;
      }
      http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = answer.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
};

fake_gateway::fake_gateway() : impl_(std::make_unique<impl>()) {
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([i = impl_.get()] {
    for (;;) {
      beast::error_code ec;
      auto s = std::make_shared<tcp::socket>(i->ioc);
      i->acceptor.accept(*s, ec);
      if (ec || i->stopping.load()) return;
      std::lock_guard lock{i->mutex};
      i->sockets.push_back(s);
      i->connections.emplace_back([i, s] { i->serve(s); });
    }
  });
}

fake_gateway::~fake_gateway() {
  impl_->stopping.store(true);
  beast::error_code ec;
  // Wake the blocking accept with a throw-away connection, then close.
  {
    tcp::socket poke{impl_->ioc};
    poke.connect(impl_->acceptor.local_endpoint(), ec);
  }
  impl_->acceptor.close(ec);
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{impl_->mutex};
    threads.swap(impl_->connections);
    // shutdown(2) wakes a thread blocked reading on the socket.
    for (auto& s : impl_->sockets) ::shutdown(s->native_handle(), SHUT_RDWR);
  }
  for (auto& t : threads) t.join();
}

void fake_gateway::queue(const std::string& prefix, canned_answer answer) {
  std::lock_guard lock{impl_->mutex};
  impl_->queued[prefix].push_back(std::move(answer));
}

void fake_gateway::fallback(const std::string& prefix, canned_answer answer) {
  std::lock_guard lock{impl_->mutex};
  impl_->fallbacks[prefix] = std::move(answer);
}

std::vector<recorded_request> fake_gateway::requests(const std::string& prefix) const {
  std::lock_guard lock{impl_->mutex};
  std::vector<recorded_request> out;
  for (const auto& r : impl_->received)
    if (r.target.rfind(prefix, 0) == 0) out.push_back(r);
  return out;
}

std::size_t fake_gateway::wait_for(const std::string& prefix, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock{impl_->mutex};
  auto count = [&] {
    return static_cast<std::size_t>(std::count_if(impl_->received.begin(), impl_->received.end(),
                                                  [&](const recorded_request& r) { return r.target.rfind(prefix, 0) == 0; }));
  };
  impl_->arrived.wait_for(lock, timeout, [&] { return count() >= n; });
  return count();
}

}  // namespace e2e
