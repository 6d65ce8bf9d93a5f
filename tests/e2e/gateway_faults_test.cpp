// Gateway faults (issue 8): the SMS gateway hangs, resets connections, answers garbage, then
// answers with 500, then recovers but answers slowly. Throughout, inbound webhooks are answered
// fast (the inbound path never waits on a gateway), and after recovery every reply is delivered.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using kind = e2e::canned_answer::kind;

const std::string messages_path = std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";

std::int64_t count_rows(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  auto n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

}  // namespace

TEST_CASE("A hanging, resetting, garbage-speaking or slow gateway does not slow the inbound path",
          "[e2e][outbox][faults]") {
  e2e::fake_gateway gw;
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  o.extra_config = R"("outbox": {"max_attempts": 50, "base_backoff_seconds": 1, "max_backoff_seconds": 1})";
  e2e::server s{o};
  s.start();

  int sid = 0;
  std::vector<double> latencies_ms;
  auto send_sms = [&](const std::string& from) {
    const auto started = std::chrono::steady_clock::now();
    auto res = s.twilio_post({{"MessageSid", "SMfault" + std::to_string(++sid)}, {"From", from},
                              {"To", e2e::server::twilio_number}, {"Body", "washer broken"}});
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    CHECK(res.status == 200);
  };
  // Each phase: the gateway misbehaves one way while two new customers write in.
  struct phase {
    const char* name;
    e2e::canned_answer answer;
    std::chrono::milliseconds length;
  };
  // The hang comes first: its sends stay in flight until the client's 10 s deadline, and the
  // later phases check that they do not hold up the other entries' attempts meanwhile.
  const std::vector<phase> phases{
      {"hang", {200, "{}", 60s, kind::http}, 1500ms},  // never answers
      {"reset", {200, "{}", 0ms, kind::reset}, 1500ms},
      {"garbage", {200, "{}", 0ms, kind::garbage}, 1500ms},
      {"500", {500, R"({"message":"oops"})", 0ms, kind::http}, 1500ms},
  };
  int customer = 0;
  for (const auto& p : phases) {
    CAPTURE(p.name);
    gw.fallback(messages_path, p.answer);
    const auto before = gw.requests(messages_path).size();
    for (int i = 0; i < 2; ++i) send_sms("+1415555" + std::to_string(1000 + customer++));
    std::this_thread::sleep_for(p.length);
    CHECK(gw.requests(messages_path).size() > before);  // the worker did try
  }
  const auto max_latency = *std::max_element(latencies_ms.begin(), latencies_ms.end());
  CAPTURE(latencies_ms);
  CHECK(max_latency < 2000);

  // Recovery, slowly: 1.5 s per answer. Every reply is delivered once the hung attempts have
  // hit their 10 s deadline and been retried.
  gw.fallback(messages_path, {201, R"({"sid":"SMok","status":"queued"})", 1500ms, kind::http});
  const auto db = s.db_path();
  const auto deadline = std::chrono::steady_clock::now() + 25s;
  while (count_rows(db, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") == 0);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'") >= customer);
  // The inbound path stayed fast while the slow gateway answered too.
  send_sms("+14155559999");
  CHECK(latencies_ms.back() < 2000);

  auto metrics = s.get("/metrics").body;
  CHECK(metrics.find(R"(servicebot_outbound_sends_total{channel="sms",result="retry"})") != std::string::npos);
  CHECK(metrics.find(R"(servicebot_outbound_sends_total{channel="sms",result="sent"})") != std::string::npos);
}
