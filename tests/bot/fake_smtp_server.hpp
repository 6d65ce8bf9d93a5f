#pragma once
// Test-only: a small ESMTP server on loopback that records what it receives. Speaks enough of
// RFC 5321 for libcurl: greeting, EHLO/HELO, optional STARTTLS (RFC 3207) or implicit TLS,
// optional AUTH PLAIN/LOGIN (RFC 4954), MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT.

#include "tests/bot/fake_tcp_server.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <openssl/evp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fake {

struct smtp_options {
  bool offer_starttls = false;  // needs `tls`
  bool implicit_tls = false;    // smtps: TLS from the first byte; needs `tls`
  std::shared_ptr<net::ssl::context> tls = nullptr;
  bool offer_auth = false;      // advertises AUTH PLAIN LOGIN
  std::string rcpt_reply = "250 2.1.5 Ok";
  std::string data_end_reply = "250 2.0.0 Ok: queued as 1";
};

// What one SMTP session delivered.
struct smtp_session_record {
  std::vector<std::string> commands;  // each command line without CRLF, in order (AUTH payloads too)
  std::vector<std::string> ehlo;      // EHLO/HELO arguments, one per greeting (twice after STARTTLS)
  bool tls = false;                   // TLS active when the session ended
  std::optional<std::pair<std::string, std::string>> auth;  // decoded (user, password)
  std::string mail_from;              // between the angle brackets
  std::vector<std::string> rcpt_to;
  bool data_started = false;          // DATA command received
  bool data_over_tls = false;
  std::string data;                   // the message, dot-unstuffed, without the final ".CRLF"
};

inline std::string base64_decode(const std::string& in) {
  if (in.empty()) return {};
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return "<bad base64>";
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

class smtp_server {
 public:
  explicit smtp_server(smtp_options options)
      : options_(std::move(options)), server_([this](net::ip::tcp::socket& s) { session(s); }) {}

  unsigned short port() const { return server_.port(); }
  int connections() const { return server_.accepted(); }

  // Sessions so far (the one in progress included).
  std::vector<smtp_session_record> sessions() const {
    std::lock_guard lock{mutex_};
    return sessions_;
  }

 private:
  using tls_stream = net::ssl::stream<net::ip::tcp::socket&>;

  // Line I/O over the socket, or over TLS once it is up.
  struct channel {
    explicit channel(net::ip::tcp::socket& s) : socket(s) {}
    net::ip::tcp::socket& socket;
    std::unique_ptr<tls_stream> tls;
    net::streambuf buffer;

    std::string read_line() {
      std::size_t n = tls ? net::read_until(*tls, buffer, "\r\n") : net::read_until(socket, buffer, "\r\n");
      std::string line(net::buffers_begin(buffer.data()), net::buffers_begin(buffer.data()) + static_cast<long>(n));
      buffer.consume(n);
      return line.substr(0, line.size() - 2);
    }
    void write(const std::string& text) {
      std::string wire = text + "\r\n";
      if (tls) net::write(*tls, net::buffer(wire));
      else net::write(socket, net::buffer(wire));
    }
    void start_tls(net::ssl::context& ctx) {
      // Anything the client pipelined before the handshake is discarded (RFC 3207 §4.2).
      buffer.consume(buffer.size());
      tls = std::make_unique<tls_stream>(socket, ctx);
      tls->handshake(net::ssl::stream_base::server);
    }
  };

  template <class F>
  void update(F f) {
    std::lock_guard lock{mutex_};
    f(sessions_.back());
  }

  static std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }

  static std::string between_brackets(const std::string& line) {
    auto open = line.find('<');
    auto close = line.find('>', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) return "<malformed>";
    return line.substr(open + 1, close - open - 1);
  }

  void record_plain_credentials(const std::string& encoded) {
    auto decoded = base64_decode(encoded);  // authzid NUL authcid NUL password
    auto first = decoded.find('\0');
    auto second = decoded.find('\0', first == std::string::npos ? 0 : first + 1);
    if (first == std::string::npos || second == std::string::npos) return;
    update([&](auto& r) { r.auth = std::pair{decoded.substr(first + 1, second - first - 1), decoded.substr(second + 1)}; });
  }

  void session(net::ip::tcp::socket& socket) {
    {
      std::lock_guard lock{mutex_};
      sessions_.emplace_back();
    }
    channel ch{socket};
    if (options_.implicit_tls) {
      ch.start_tls(*options_.tls);
      update([](auto& r) { r.tls = true; });
    }
    ch.write("220 fake.test ESMTP");
    for (;;) {
      std::string line = ch.read_line();
      update([&](auto& r) { r.commands.push_back(line); });
      std::string verb = upper(line.substr(0, line.find(' ')));
      std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      if (verb == "EHLO" || verb == "HELO") {
        update([&](auto& r) { r.ehlo.push_back(arg); });
        if (verb == "HELO") {
          ch.write("250 fake.test");
          continue;
        }
        std::vector<std::string> lines{"fake.test"};
        if (options_.offer_starttls && !ch.tls) lines.push_back("STARTTLS");
        if (options_.offer_auth) lines.push_back("AUTH PLAIN LOGIN");
        lines.push_back("8BITMIME");
        for (std::size_t i = 0; i < lines.size(); ++i) ch.write((i + 1 < lines.size() ? "250-" : "250 ") + lines[i]);
      } else if (verb == "STARTTLS" && options_.offer_starttls && !ch.tls) {
        ch.write("220 2.0.0 Ready to start TLS");
        ch.start_tls(*options_.tls);
        update([](auto& r) { r.tls = true; });
      } else if (verb == "AUTH" && options_.offer_auth) {
        std::string mech = upper(arg.substr(0, arg.find(' ')));
        std::string initial = arg.find(' ') == std::string::npos ? "" : arg.substr(arg.find(' ') + 1);
        if (mech == "PLAIN") {
          if (initial.empty()) {
            ch.write("334 ");
            initial = ch.read_line();
          }
          record_plain_credentials(initial);
          ch.write("235 2.7.0 Authentication successful");
        } else if (mech == "LOGIN") {
          std::string user = initial;
          if (user.empty()) {
            ch.write("334 VXNlcm5hbWU6");
            user = ch.read_line();
          }
          ch.write("334 UGFzc3dvcmQ6");
          std::string password = ch.read_line();
          update([&](auto& r) { r.auth = std::pair{base64_decode(user), base64_decode(password)}; });
          ch.write("235 2.7.0 Authentication successful");
        } else {
          ch.write("504 5.5.4 Unrecognized authentication type");
        }
      } else if (verb == "MAIL") {
        update([&](auto& r) { r.mail_from = between_brackets(line); });
        ch.write("250 2.1.0 Ok");
      } else if (verb == "RCPT") {
        update([&](auto& r) { r.rcpt_to.push_back(between_brackets(line)); });
        ch.write(options_.rcpt_reply);
      } else if (verb == "DATA") {
        bool over_tls = ch.tls != nullptr;
        update([&](auto& r) {
          r.data_started = true;
          r.data_over_tls = over_tls;
        });
        ch.write("354 End data with <CR><LF>.<CR><LF>");
        std::string data;
        for (;;) {
          std::string data_line = ch.read_line();
          if (data_line == ".") break;
          if (!data_line.empty() && data_line.front() == '.') data_line.erase(0, 1);  // dot-unstuffing
          data += data_line + "\r\n";
        }
        update([&](auto& r) { r.data = data; });
        ch.write(options_.data_end_reply);
      } else if (verb == "RSET" || verb == "NOOP") {
        ch.write("250 2.0.0 Ok");
      } else if (verb == "QUIT") {
        ch.write("221 2.0.0 Bye");
        return;
      } else {
        ch.write("502 5.5.2 Command not recognized");
      }
    }
  }

  smtp_options options_;
  mutable std::mutex mutex_;
  std::vector<smtp_session_record> sessions_;
  tcp_server server_;  // last: its thread uses the members above
};

}  // namespace fake
