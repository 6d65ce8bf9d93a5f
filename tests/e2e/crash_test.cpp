// Crash safety (issue 8): signed WeChat webhooks from several threads while the server is
// killed with SIGKILL at random moments and restarted. Clients behave like the WeChat gateway:
// a message that got no 200 is retried with the same MsgId. Afterwards every acknowledged
// message has its effect, no customer has two tickets, the outbox drains and SQLite's
// integrity_check is ok.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

const std::string messages_path = std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";

// One SQL query's rows as text (read-only connection; works while the server runs, WAL).
std::vector<std::vector<std::string>> query(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      auto text = sqlite3_column_text(st, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return rows;
}

std::int64_t scalar(const std::string& db, const std::string& sql) {
  auto rows = query(db, sql);
  REQUIRE(rows.size() == 1);
  return std::stoll(rows[0][0]);
}

// The intake script every simulated customer follows; the last message opens the ticket.
const std::vector<std::string> script{"洗衣机坏了", "ABC-2000", "SN5612345", "脱水时噪音很大", "2025-03-15",
                                      "2",          "13800135678", "张先生",    "确认"};

struct acked_message {
  std::string openid;
  std::int64_t msg_id;
};

}  // namespace

TEST_CASE("kill -9 under load loses no acknowledged webhook and duplicates no ticket", "[e2e][crash]") {
  e2e::fake_gateway gw;  // Twilio for the supervisors' SMS notifications (the outbox)
  gw.fallback(messages_path, {201, R"({"sid":"SMxxxx","status":"queued"})"});
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  // Limits off (this is one sender IP at hundreds of requests per second); short outbox lease
  // so entries a killed worker held are sent again within the test.
  o.extra_config = R"("limits": {"ip_per_second": 0, "sender_per_minute": 0},
  "outbox": {"max_attempts": 50, "base_backoff_seconds": 1, "max_backoff_seconds": 2, "lease_seconds": 5})";
  o.staff_json = R"({"staff": [
    {"id": "S001", "name": "王主管", "role": "supervisor", "skills": [], "on_duty": true, "max_open": 10,
     "notify": {"channel": "sms", "address": "+8613900000009"}}]})";
  e2e::server s{o};
  s.start();

  std::atomic<unsigned short> port{s.port()};
  std::atomic<bool> stop{false};
  std::mutex acked_mutex;
  std::vector<acked_message> acked;
  std::set<std::string> finished;  // customers whose last message (the confirmation) was acknowledged

  // A client thread: customers one after another, each message retried until it gets a 200.
  auto client = [&](int thread_no) {
    for (int customer = 0; !stop.load(); ++customer) {
      const std::string openid = "oCrash" + std::to_string(thread_no) + "x" + std::to_string(customer);
      for (std::size_t turn = 0; turn < script.size() && !stop.load(); ++turn) {
        const std::int64_t msg_id = 700000000 + thread_no * 1000000 + customer * 100 + static_cast<int>(turn);
        const std::string xml = "<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[" + openid +
                                "]]></FromUserName><CreateTime>" + std::to_string(std::time(nullptr)) +
                                "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + script[turn] +
                                "]]></Content><MsgId>" + std::to_string(msg_id) + "</MsgId></xml>";
        bool ok = false;
        while (!ok && !stop.load()) {
          const std::string timestamp = std::to_string(std::time(nullptr));
          const std::string target = "/webhooks/wechat?timestamp=" + timestamp + "&nonce=n" +
                                     std::to_string(msg_id) + "&signature=" +
                                     e2e::wechat_sign({e2e::server::token, timestamp, "n" + std::to_string(msg_id)});
          try {
            auto res = e2e::http_call(port.load(), "POST", target, xml, {{"Content-Type", "text/xml"}});
            ok = res.status == 200;
          } catch (const std::exception&) {
            // Killed mid-request or not listening yet: the gateway retries the same MsgId.
          }
          if (!ok) std::this_thread::sleep_for(20ms);
        }
        if (!ok) break;
        std::lock_guard lock{acked_mutex};
        acked.push_back({openid, msg_id});
        if (turn + 1 == script.size()) finished.insert(openid);
      }
    }
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) clients.emplace_back(client, t);

  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pause_ms{300, 1200};
  for (int kill = 0; kill < 5; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    s.kill9();
    s.start();
    port.store(s.port());
  }
  std::this_thread::sleep_for(500ms);
  stop.store(true);
  for (auto& t : clients) t.join();

  const auto db = s.db_path();
  INFO("acknowledged messages: " << acked.size() << ", finished intakes: " << finished.size());
  REQUIRE(acked.size() >= 40);
  CHECK(finished.size() >= 3);

  // Every acknowledged message is in the inbound log, once.
  std::set<std::string> logged;
  for (const auto& row : query(db, "SELECT provider_id FROM inbound_log WHERE channel = 'wechat'")) logged.insert(row[0]);
  std::size_t missing = 0;
  for (const auto& m : acked) missing += logged.count(std::to_string(m.msg_id)) == 0;
  CHECK(missing == 0);

  // Its effect on the conversation: one transcript message in per logged delivery, per customer.
  std::map<std::string, std::int64_t> deliveries, inbound_messages;
  for (const auto& row : query(db, "SELECT sender, COUNT(*) FROM inbound_log GROUP BY sender"))
    deliveries[row[0]] = std::stoll(row[1]);
  for (const auto& row : query(db, "SELECT c.channel_id, COUNT(*) FROM messages m JOIN customers c ON c.id = m.customer_id "
                                   "WHERE m.direction = 'in' GROUP BY c.channel_id"))
    inbound_messages[row[0]] = std::stoll(row[1]);
  CHECK(deliveries == inbound_messages);
  std::map<std::string, std::int64_t> acked_per_customer;
  for (const auto& m : acked) ++acked_per_customer[m.openid];
  for (const auto& [openid, n] : acked_per_customer) {
    CAPTURE(openid);
    CHECK(deliveries[openid] >= n);
  }

  // Exactly one ticket per finished intake, never two per customer.
  CHECK(scalar(db, "SELECT COUNT(*) FROM (SELECT channel_id FROM tickets GROUP BY channel_id HAVING COUNT(*) > 1)") == 0);
  std::set<std::string> with_ticket;
  for (const auto& row : query(db, "SELECT channel_id FROM tickets")) with_ticket.insert(row[0]);
  for (const auto& openid : finished) {
    CAPTURE(openid);
    CHECK(with_ticket.count(openid) == 1);
  }

  // The outbox drains: every notification reaches the fake Twilio (entries a killed worker held
  // come back after their lease).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (scalar(db, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  CHECK(scalar(db, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM outbox") >= static_cast<std::int64_t>(finished.size()));

  CHECK(s.terminate() == 0);
  auto integrity = query(db, "PRAGMA integrity_check");
  REQUIRE(integrity.size() == 1);
  CHECK(integrity[0][0] == "ok");
}
