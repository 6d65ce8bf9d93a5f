// bot/smtp_client: mail submission through libcurl against a fake ESMTP server on loopback that
// records the dialogue — byte-exact delivery with dot-stuffing, envelope, AUTH only when
// configured, STARTTLS policy (no plaintext fallback when required), and the permanent /
// transient split that drives outbox retries.
#include "bot/smtp_client.hpp"

#include "tests/bot/fake_smtp_server.hpp"
#include "tests/bot/fake_tls.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

const std::string message =
    "From: Service <support@example.com>\r\n"
    "To: customer@example.net\r\n"
    "Subject: =?UTF-8?B?5oql5L+u5Y2VIFNSMjAyNjA1MTIwMDE=?=\r\n"
    "Message-ID: <SR20260512001.1@support.example.com>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Hello,\r\n"
    ".leading dot\r\n"
    ".\r\n"
    "..two dots\r\n"
    "您好\r\n"
    "end\r\n";

bool has_command_starting(const fake::smtp_session_record& s, const std::string& prefix) {
  return std::any_of(s.commands.begin(), s.commands.end(), [&](const std::string& c) { return c.starts_with(prefix); });
}

std::string smtp_url(unsigned short port, const std::string& scheme = "smtp", const std::string& host = "127.0.0.1") {
  return scheme + "://" + host + ":" + std::to_string(port);
}

unsigned short closed_port() {
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

std::shared_ptr<net::ssl::context> server_tls(const fake::certificate& cert) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  ctx->use_certificate_chain(net::buffer(cert.cert_pem));
  ctx->use_private_key(net::buffer(cert.key_pem), net::ssl::context::pem);
  return ctx;
}

}  // namespace

TEST_CASE("a message arrives byte-exact with the envelope, and no AUTH without a user", "[smtp]") {
  fake::smtp_server server{fake::smtp_options{.offer_auth = true}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port());
  settings.starttls = "off";
  settings.timeout = 10s;

  auto result = bot::send_mail(settings, "bounces+SR20260512001@support.example.com",
                               {"customer@example.net", "second@example.org"}, message);
  INFO(result.error);
  REQUIRE(result.ok);
  auto sessions = server.sessions();
  REQUIRE(sessions.size() == 1);
  const auto& s = sessions[0];
  CHECK(s.mail_from == "bounces+SR20260512001@support.example.com");
  CHECK(s.rcpt_to == std::vector<std::string>{"customer@example.net", "second@example.org"});
  CHECK(s.data == message);  // dot-stuffed by curl on the wire, unstuffed by the fake
  CHECK_FALSE(s.auth.has_value());
  CHECK_FALSE(has_command_starting(s, "AUTH"));
  CHECK_FALSE(has_command_starting(s, "STARTTLS"));
}

TEST_CASE("AUTH sends the configured credentials when a user is set", "[smtp]") {
  fake::smtp_server server{fake::smtp_options{.offer_auth = true}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port());
  settings.starttls = "off";
  settings.user = "bot@support.example.com";
  settings.password = "p@ss:w0rd with spaces";
  settings.timeout = 10s;

  auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
  INFO(result.error);
  REQUIRE(result.ok);
  auto s = server.sessions().at(0);
  CHECK(has_command_starting(s, "AUTH "));
  REQUIRE(s.auth.has_value());
  CHECK(s.auth->first == "bot@support.example.com");
  CHECK(s.auth->second == "p@ss:w0rd with spaces");
  CHECK(s.data == message);
}

TEST_CASE("starttls=required against a server without STARTTLS fails before any mail is sent", "[smtp]") {
  fake::smtp_server server{fake::smtp_options{.offer_auth = true}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port());
  settings.starttls = "required";
  settings.user = "bot";
  settings.password = "secret";
  settings.timeout = 10s;

  auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.permanent);
  auto sessions = server.sessions();
  REQUIRE(sessions.size() == 1);
  CHECK_FALSE(sessions[0].data_started);
  CHECK_FALSE(sessions[0].auth.has_value());  // no credentials in clear either
  CHECK_FALSE(has_command_starting(sessions[0], "AUTH"));
  CHECK_FALSE(has_command_starting(sessions[0], "MAIL"));
}

TEST_CASE("STARTTLS upgrades the session and the certificate is verified", "[smtp]") {
  auto cert = fake::make_self_signed("DNS:localhost,IP:127.0.0.1");
  fake::temp_dir dir;
  auto ca_file = dir.write("ca.pem", cert.cert_pem);
  fake::smtp_server server{fake::smtp_options{.offer_starttls = true, .tls = server_tls(cert), .offer_auth = true}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port(), "smtp", "localhost");
  settings.user = "bot";
  settings.password = "secret";
  settings.timeout = 10s;

  SECTION("required, with the test CA trusted") {
    settings.starttls = GENERATE(as<std::string>{}, "required", "auto");
    CAPTURE(settings.starttls);
    settings.ca_file = ca_file;
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    INFO(result.error);
    REQUIRE(result.ok);
    auto s = server.sessions().at(0);
    CHECK(s.tls);
    CHECK(s.data_over_tls);
    CHECK(s.ehlo.size() == 2);  // EHLO again after the handshake (RFC 3207 §4.2)
    REQUIRE(s.auth.has_value());
    CHECK(s.auth->second == "secret");
    CHECK(s.data == message);
  }

  SECTION("an untrusted certificate fails the send, transiently, before AUTH") {
    settings.starttls = "required";
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.permanent);
    auto s = server.sessions().at(0);
    CHECK_FALSE(s.auth.has_value());
    CHECK_FALSE(s.data_started);
  }
}

TEST_CASE("smtps:// speaks TLS from the first byte", "[smtp]") {
  auto cert = fake::make_self_signed("DNS:localhost,IP:127.0.0.1");
  fake::temp_dir dir;
  fake::smtp_server server{fake::smtp_options{.implicit_tls = true, .tls = server_tls(cert)}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port(), "smtps");
  settings.ca_file = dir.write("ca.pem", cert.cert_pem);
  settings.timeout = 10s;
  auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
  INFO(result.error);
  REQUIRE(result.ok);
  auto s = server.sessions().at(0);
  CHECK(s.data_over_tls);
  CHECK(s.data == message);
}

TEST_CASE("a 5xx final reply is permanent, a 4xx or a connection failure is transient", "[smtp]") {
  bot::smtp_settings settings;
  settings.starttls = "off";
  settings.timeout = 10s;

  SECTION("550 on RCPT: permanent, nothing sent") {
    fake::smtp_server server{fake::smtp_options{.rcpt_reply = "550 5.1.1 No such user"}};
    settings.url = smtp_url(server.port());
    auto result = bot::send_mail(settings, "support@example.com", {"nobody@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK(result.permanent);
    CHECK_THAT(result.error, Contains("550"));
    CHECK_FALSE(server.sessions().at(0).data_started);
  }

  SECTION("451 on RCPT: transient") {
    fake::smtp_server server{fake::smtp_options{.rcpt_reply = "451 4.3.0 Try again later"}};
    settings.url = smtp_url(server.port());
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.permanent);
    CHECK_THAT(result.error, Contains("451"));
  }

  SECTION("452 after the data: transient") {
    fake::smtp_server server{fake::smtp_options{.data_end_reply = "452 4.3.1 Insufficient system storage"}};
    settings.url = smtp_url(server.port());
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.permanent);
  }

  SECTION("554 after the data: permanent") {
    fake::smtp_server server{fake::smtp_options{.data_end_reply = "554 5.7.1 Message rejected"}};
    settings.url = smtp_url(server.port());
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK(result.permanent);
  }

  SECTION("connection refused: transient") {
    settings.url = smtp_url(closed_port());
    auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, message);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.permanent);
  }
}

TEST_CASE("input that can never be sent is refused as permanent before connecting", "[smtp]") {
  fake::smtp_server server{fake::smtp_options{}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port());
  settings.timeout = 10s;
  std::string from = "support@example.com";
  std::vector<std::string> to{"customer@example.net"};
  std::string text = message;

  SECTION("bare LF") { text = "Subject: x\n\nbody\n"; }
  SECTION("bare CR") { text = "Subject: x\r\n\r\nbo\rdy\r\n"; }
  SECTION("line over 998 octets") { text = "Subject: x\r\n\r\n" + std::string(999, 'a') + "\r\n"; }
  SECTION("empty message") { text.clear(); }
  SECTION("CRLF in a recipient") { to = {"a@example.net>\r\nRCPT TO:<b@example.net"}; }
  SECTION("no recipients") { to.clear(); }
  SECTION("CRLF in the sender") { from = "a@example.com\r\nRSET"; }
  SECTION("unknown starttls value") { settings.starttls = "maybe"; }
  SECTION("not an smtp url") { settings.url = "http://127.0.0.1:" + std::to_string(server.port()); }

  auto result = bot::send_mail(settings, from, to, text);
  CHECK_FALSE(result.ok);
  CHECK(result.permanent);
  CHECK(server.connections() == 0);
}

TEST_CASE("a line of exactly 998 octets is accepted", "[smtp]") {
  fake::smtp_server server{fake::smtp_options{}};
  bot::smtp_settings settings;
  settings.url = smtp_url(server.port());
  settings.starttls = "off";
  settings.timeout = 10s;
  std::string text = "Subject: x\r\n\r\n" + std::string(998, 'a') + "\r\n";
  auto result = bot::send_mail(settings, "support@example.com", {"customer@example.net"}, text);
  INFO(result.error);
  REQUIRE(result.ok);
  CHECK(server.sessions().at(0).data == text);
}
