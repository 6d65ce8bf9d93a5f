// End-to-end operations (issue 8): /metrics, the per-customer and per-IP limits, bounded
// connections, the slowloris header deadline and the transcript cap, on the real binary.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::int64_t count_rows(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  auto n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

// The value of one sample line of the exposition, e.g. metric(text, "servicebot_x{a=\"b\"}"); -1
// when the series is absent.
double metric(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

// True when the server closed `socket` (recv returns 0 or an error other than EAGAIN).
bool closed_by_peer(tcp::socket& socket) {
  char c;
  auto n = ::recv(socket.native_handle(), &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

tcp::socket connect_to(net::io_context& ioc, unsigned short port) {
  tcp::socket socket{ioc};
  socket.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  return socket;
}

}  // namespace

TEST_CASE("GET /metrics exposes request, inbound, signature and store figures", "[e2e][operations][metrics]") {
  e2e::server s;
  s.start();
  CHECK_FALSE(s.say("oMetrics1", "洗衣机坏了", 5001).empty());
  CHECK(s.wechat_post("<xml/>", {}, "n", true).status == 403);
  s.say("oMetrics1", "洗衣机坏了", 5001);  // a gateway retry: a dedupe hit
  CHECK(s.get("/api/v1/tickets/SR1", e2e::server::supervisor_token).status == 404);

  auto res = s.get("/metrics");
  REQUIRE(res.status == 200);
  CHECK(res.headers["content-type"].rfind("text/plain; version=0.0.4", 0) == 0);
  const auto& m = res.body;
  CHECK(metric(m, R"(servicebot_http_requests_total{method="POST",route="/webhooks/wechat",status="200"})") == 2);
  CHECK(metric(m, R"(servicebot_http_requests_total{method="POST",route="/webhooks/wechat",status="403"})") == 1);
  // The route pattern, never the raw path.
  CHECK(metric(m, R"(servicebot_http_requests_total{method="GET",route="/api/v1/tickets/{number}",status="404"})") == 1);
  CHECK(m.find("SR1") == std::string::npos);
  CHECK(metric(m, R"(servicebot_inbound_messages_total{channel="wechat",kind="text"})") == 1);
  CHECK(metric(m, R"(servicebot_inbound_duplicates_total{channel="wechat"})") == 1);
  CHECK(metric(m, R"(servicebot_signature_failures_total{channel="wechat"})") == 1);
  CHECK(metric(m, R"(servicebot_outbox_entries{state="dead"})") == 0);
  CHECK(metric(m, R"(servicebot_outbox_entries{state="pending"})") >= 0);
  CHECK(metric(m, R"(servicebot_tickets{state="pending_assignment"})") == 0);
  CHECK(metric(m, "servicebot_store_up") == 1);
  CHECK(metric(m, R"(servicebot_store_call_duration_seconds_count{kind="write"})") >= 2);
  CHECK(metric(m, R"(servicebot_http_request_duration_seconds_count{route="/webhooks/wechat"})") == 3);
  CHECK(m.find("# TYPE servicebot_sla_breaches_total counter") != std::string::npos);
  CHECK(m.find("# TYPE servicebot_dialog_outcomes_total counter") != std::string::npos);
}

TEST_CASE("A flooding customer is told to slow down once, then ignored; others are not", "[e2e][operations][limits]") {
  e2e::server::options o;
  o.extra_config = R"("limits": {"sender_burst": 3, "sender_per_minute": 1, "sender_cooldown_seconds": 60})";
  e2e::server s{o};
  s.start();
  for (int i = 0; i < 3; ++i) CHECK_FALSE(s.say("oFlood", "洗衣机坏了", 6000 + i).empty());
  auto slow = s.say("oFlood", "洗衣机坏了", 6003);
  CHECK(slow.find("太快") != std::string::npos);  // templates/zh-CN/slow_down.mustache
  for (int i = 4; i < 8; ++i) CHECK(s.say("oFlood", "洗衣机坏了", 6000 + i).empty());  // "success": no reply
  // Dropped messages left no trace; another customer is served as usual.
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM inbound_log WHERE sender = 'oFlood'") == 3);
  CHECK_FALSE(s.say("oCalm", "洗衣机坏了", 6100).empty());
  auto m = s.get("/metrics").body;
  CHECK(metric(m, R"(servicebot_limited_total{scope="sender"})") == 5);
}

TEST_CASE("A flooding SMS sender gets one slow-down SMS through the outbox, then nothing", "[e2e][operations][limits]") {
  const std::string messages_path =
      std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, R"({"sid":"SMx","status":"queued"})"});
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  o.extra_config = R"("limits": {"sender_burst": 2, "sender_per_minute": 1, "sender_cooldown_seconds": 60})";
  e2e::server s{o};
  s.start();
  auto sms = [&](int n, const std::string& body) {
    return s.twilio_post({{"MessageSid", "SMflood" + std::to_string(n)}, {"From", "+14155550199"},
                          {"To", e2e::server::twilio_number}, {"Body", body}});
  };
  CHECK(sms(1, "洗衣机坏了").status == 200);
  CHECK(sms(2, "ABC-2000").status == 200);
  REQUIRE(gw.wait_for(messages_path, 2, 5s) >= 2);
  std::this_thread::sleep_for(500ms);  // a reply may take several segments
  const auto answered = gw.requests(messages_path).size();
  CHECK(sms(3, "hello?").status == 200);  // over the rate: the slow_down SMS, one segment
  REQUIRE(gw.wait_for(messages_path, answered + 1, 5s) >= answered + 1);
  CHECK(gw.requests(messages_path).back().body.find("%E5%A4%AA%E5%BF%AB") != std::string::npos);  // 太快
  for (int i = 4; i < 7; ++i) CHECK(sms(i, "hello??").status == 200);  // dropped
  CHECK(sms(7, "STOP").status == 200);  // opt-out always passes
  std::this_thread::sleep_for(500ms);
  CHECK(gw.requests(messages_path).size() == answered + 1);
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM inbound_log WHERE sender = '+14155550199'") == 3);
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM customers WHERE opted_out = 1") == 1);
}

TEST_CASE("The per-IP limit answers 429 on webhooks and the API, not on health checks", "[e2e][operations][limits]") {
  e2e::server::options o;
  o.extra_config = R"("limits": {"ip_per_second": 1, "ip_burst": 5})";
  e2e::server s{o};
  s.start();
  for (int i = 0; i < 5; ++i) CHECK(s.get("/api/v1/tickets").status == 401);
  auto limited = s.get("/api/v1/tickets");
  CHECK(limited.status == 429);
  CHECK(limited.headers["retry-after"] == "1");
  CHECK(s.wechat_post("<xml/>").status == 429);
  CHECK(s.get("/healthz").status == 200);
  CHECK(s.get("/metrics").status == 200);
  std::this_thread::sleep_for(1100ms);
  CHECK(s.get("/api/v1/tickets").status == 401);  // a token came back
}

TEST_CASE("Connections are bounded and a slowloris client is cut off at the header deadline",
          "[e2e][operations][limits]") {
  e2e::server::options o;
  o.extra_config = R"("limits": {"max_connections": 3, "header_timeout_seconds": 2, "idle_timeout_seconds": 30})";
  e2e::server s{o};
  s.start();
  net::io_context ioc;

  SECTION("past max_connections a new connection is closed at once; a freed slot is reused") {
    std::vector<tcp::socket> idle;
    for (int i = 0; i < 3; ++i) idle.push_back(connect_to(ioc, s.port()));
    std::this_thread::sleep_for(200ms);  // let the server accept them
    auto extra = connect_to(ioc, s.port());
    std::this_thread::sleep_for(300ms);
    CHECK(closed_by_peer(extra));
    for (auto& socket : idle) CHECK_FALSE(closed_by_peer(socket));
    idle.pop_back();  // closes one
    std::this_thread::sleep_for(300ms);
    CHECK(s.get("/healthz").status == 200);
  }

  SECTION("a client trickling one header byte per second is disconnected after header_timeout") {
    auto socket = connect_to(ioc, s.port());
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaa\r\n\r\n";
    const auto started = std::chrono::steady_clock::now();
    bool cut = false;
    for (char c : request) {
      boost::system::error_code ec;
      net::write(socket, net::buffer(&c, 1), ec);
      if (ec || closed_by_peer(socket)) {
        cut = true;
        break;
      }
      std::this_thread::sleep_for(1s);
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(cut);
    CHECK(elapsed < 6s);  // header_timeout 2 s from the first byte, not the 70 s the trickle needs
    CHECK(s.get("/healthz").status == 200);
  }
}

TEST_CASE("A transcript stops growing at transcript_max_messages", "[e2e][operations][limits]") {
  e2e::server::options o;
  o.extra_config = R"("limits": {"transcript_max_messages": 10})";
  e2e::server s{o};
  s.start();
  // Unreadable answers keep the intake going; each step stores one message in and one out.
  s.say("oChatty", "洗衣机坏了", 7000);
  for (int i = 1; i < 9; ++i) s.say("oChatty", "嗯嗯" + std::to_string(i), 7000 + i);
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM messages") == 10);
  CHECK(metric(s.get("/metrics").body, "servicebot_transcript_capped_total") >= 8);
  CHECK(s.log().find("event=transcript_full") != std::string::npos);
}
