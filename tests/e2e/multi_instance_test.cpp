// Several instances on one MariaDB database (issue 6): two real servicebot processes share one
// database; 50 SMS customers, each message signed as Twilio signs it, alternate between them while
// all customers write at once. Every customer ends with one correct ticket, ticket numbers are
// unique, and every outbox entry reaches a gateway exactly once (each instance sends through a
// fake Twilio of its own, so the test also sees that both workers took a share). Then one instance
// is killed with SIGKILL while its sends hang at its gateway; the other one takes those entries
// once their lease has run out and delivers them, and the load balancer's retries of the webhooks
// the dead instance never answered are deduplicated across instances.
//
// Needs SB_TEST_MYSQL (.ci/mariadb.sh); see tests/e2e/mysql_instances.hpp for what happens without.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/e2e/mysql_instances.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

const std::string messages_path = std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";

constexpr int lease_seconds = 5;  // the config's minimum: the dead instance's entries come back soon

std::string json_member(const std::string& json, const char* key) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(key) || !d[key].IsString()) return "<" + std::string{key} + "?>";
  return d[key].GetString();
}

// Supervisor and two laundry engineers on duty, all notified by SMS: every ticket is assigned
// (the engineer and the customer are told), so the instances also contend on the engineers'
// open counts and last-assignment settings.
std::string staff_json() {
  auto member = [](const char* id, const char* role, const char* skills, const char* phone, const char* token) {
    return std::string{R"({"id": ")"} + id + R"(", "name": ")" + id + R"(", "role": ")" + role +
           R"(", "skills": )" + skills + R"(, "on_duty": true, "max_open": 1000, "notify": {"channel": "sms", "address": ")" +
           phone + R"("}, "api_token_sha256": ")" + e2e::sha256_hex(token) + R"("})";
  };
  return R"({"staff": [)" + member("S001", "supervisor", "[]", "+8613900000009", e2e::server::supervisor_token) + ", " +
         member("E001", "engineer", R"(["laundry"])", "+8613900000001", e2e::server::engineer_token) + ", " +
         member("E003", "engineer", R"(["laundry"])", "+8613900000003", "e3-secret-token") + ", " +
         member("A001", "admin", "[]", "+8613900000008", e2e::server::admin_token) + "]}";
}

e2e::server::options instance_options(const e2e::fake_gateway& twilio) {
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(twilio.base_url());
  o.staff_json = staff_json();
  // All customers post from 127.0.0.1 and each writes a whole intake within seconds.
  o.extra_config = R"("limits": {"sender_per_minute": 0, "ip_per_second": 0},
  "outbox": {"lease_seconds": )" + std::to_string(lease_seconds) +
                   R"(, "base_backoff_seconds": 1, "max_backoff_seconds": 1, "max_attempts": 20})";
  return o;
}

// The load balancer in front of the instances: a request goes to the instance the test picks;
// when that one is down (killed) or dies while answering, the request goes to the other with the
// same MessageSid, as Twilio retries. A 503 is retried the same way after a short pause.
class balancer {
 public:
  explicit balancer(std::array<e2e::server*, 2> instances) : instances_(instances) {}

  void mark_down(int i) { down_[i].store(true); }
  bool is_down(int i) const { return down_[i].load(); }

  // POSTs a signed inbound SMS; returns the final HTTP status (0: no instance answered).
  int post_sms(int preferred, const std::vector<std::pair<std::string, std::string>>& fields) {
    for (int attempt = 0; attempt < 60; ++attempt) {
      const int i = pick(preferred);
      try {
        const auto res = instances_[i]->twilio_post(fields);
        if (res.status != 503) return res.status;
        ++retried_503_;
        std::this_thread::sleep_for(50ms);
      } catch (const std::exception&) {
        // Connection refused or cut: the instance died under this request.
        ++failovers_;
        preferred = 1 - i;
      }
    }
    return 0;
  }

  e2e::http_result get(int preferred, const std::string& target, const std::string& token) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const int i = pick(preferred);
      try {
        return instances_[i]->get(target, token);
      } catch (const std::exception&) {
        preferred = 1 - i;
      }
    }
    return {};
  }

  int retried_503() const { return retried_503_.load(); }
  int failovers() const { return failovers_.load(); }

 private:
  int pick(int preferred) const { return is_down(preferred) ? 1 - preferred : preferred; }

  std::array<e2e::server*, 2> instances_;
  std::array<std::atomic<bool>, 2> down_{false, false};
  std::atomic<int> retried_503_{0};
  std::atomic<int> failovers_{0};
};

// One customer's intake over SMS, its messages alternating between the two instances. Errors are
// collected, not asserted: Catch2 v2 assertions are not thread-safe.
struct sms_customer {
  int index = 0;
  std::string local;  // 11-digit mainland mobile number
  std::string phone() const { return "+86" + local; }
  std::string serial() const { return "SN" + std::to_string(5000000 + index); }
  int sids = 0;  // distinct MessageSids sent
  std::string error;

  std::string answer(const std::string& slot) const {
    static const std::map<std::string, std::string> fixed{
        {"model", "ABC-2000"},         {"problem", "脱水时噪音很大,机身晃动"}, {"purchase_date", "2025-03-15"},
        {"service_method", "2"},       {"name", "张先生"},                     {"confirm", "确认"}};
    if (slot == "serial") return serial();
    if (slot == "phone") return local;
    auto it = fixed.find(slot);
    return it == fixed.end() ? std::string{} : it->second;
  }

  std::string next_sid() {
    char sid[40];
    std::snprintf(sid, sizeof sid, "SM%04d%04d0000000000000000000000", index, ++sids);
    return sid;
  }

  // Sends `text` as message `sid` to instance `preferred` (and, when `twin`, the same message to
  // the other instance at the same time: a gateway retry landing elsewhere). Returns "" when it
  // was answered 200, else what went wrong. Touches no member: two may run at once.
  std::string send(balancer& lb, int preferred, const std::string& sid, const std::string& text, bool twin = false) const {
    const std::vector<std::pair<std::string, std::string>> fields{
        {"MessageSid", sid}, {"AccountSid", e2e::server::twilio_sid}, {"From", phone()},
        {"To", e2e::server::twilio_number}, {"Body", text}, {"NumMedia", "0"}};
    int twin_status = 200;
    std::thread other;
    if (twin) other = std::thread([&] { twin_status = lb.post_sms(1 - preferred, fields); });
    const int status = lb.post_sms(preferred, fields);
    if (other.joinable()) other.join();
    if (status == 200 && twin_status == 200) return {};
    return "message " + sid + " answered " + std::to_string(status) + " / " + std::to_string(twin_status);
  }

  bool say(balancer& lb, int preferred, const std::string& text, bool twin = false) {
    error = send(lb, preferred, next_sid(), text, twin);
    return error.empty();
  }

  // Two different messages at the same moment, one to each instance: both slot values must be
  // in the conversation afterwards (a lost update would drop one of them).
  bool say_both_at_once(balancer& lb, const std::string& to_a, const std::string& to_b) {
    const auto sid_a = next_sid(), sid_b = next_sid();
    std::string error_a;
    std::thread other([&] { error_a = send(lb, 0, sid_a, to_a); });
    error = send(lb, 1, sid_b, to_b);
    other.join();
    if (error.empty()) error = error_a;
    if (!error.empty()) return false;
    auto res = lb.get(0, "/api/v1/conversations?channel=sms&id=%2B86" + local, e2e::server::supervisor_token);
    rapidjson::Document d;
    d.Parse(res.body.c_str());
    const bool both = !d.HasParseError() && d.IsObject() && d.HasMember("slots") && d["slots"].HasMember("model") &&
                      d["slots"].HasMember("serial") && d["slots"]["model"].GetString() == std::string{"ABC-2000"} &&
                      d["slots"]["serial"].GetString() == serial();
    if (!both) error = "concurrent messages: a slot was lost: " + res.body;
    return both;
  }

  void run(balancer& lb, bool twin_first) {
    int turn = index % 2;  // half the customers start on each instance
    if (!say(lb, turn++ % 2, "洗衣机坏了", twin_first)) return;
    if (index % 10 == 5 && !say_both_at_once(lb, "ABC-2000", serial())) return;
    for (int step = 0; step < 14; ++step) {
      const int i = turn++ % 2;
      auto res = lb.get(i, "/api/v1/conversations?channel=sms&id=%2B86" + local, e2e::server::supervisor_token);
      if (res.status != 200) {
        error = "conversation lookup answered " + std::to_string(res.status);
        return;
      }
      const auto slot = json_member(res.body, "awaiting");
      const auto text = answer(slot);
      if (text.empty()) {
        error = "no answer for slot " + slot + ": " + res.body;
        return;
      }
      if (!say(lb, i, text)) return;
      if (slot == "confirm") return;
    }
    error = "the intake did not reach confirmation";
  }
};

// Runs customers [from, to) at once; returns them when all are done.
std::vector<sms_customer> run_customers(balancer& lb, int from, int to) {
  std::vector<sms_customer> customers(static_cast<std::size_t>(to - from));
  std::vector<std::thread> threads;
  for (int i = from; i < to; ++i) {
    auto& c = customers[static_cast<std::size_t>(i - from)];
    c.index = i;
    char local[24];
    std::snprintf(local, sizeof local, "1391000%04d", i);
    c.local = local;
    // Every tenth customer's first message reaches both instances at once.
    threads.emplace_back([&lb, &c] { c.run(lb, c.index % 10 == 0); });
  }
  for (auto& t : threads) t.join();
  return customers;
}

using message = std::pair<std::string, std::string>;  // recipient, text

// What the fake Twilio servers received, from request `from` on.
std::multiset<message> received(const e2e::fake_gateway& gw, std::size_t from = 0) {
  std::multiset<message> out;
  const auto all = gw.requests(messages_path);
  for (std::size_t i = from; i < all.size(); ++i)
    out.insert({e2e::form_field(all[i].body, "To"), e2e::form_field(all[i].body, "Body")});
  return out;
}

struct outbox_row {
  long long id = 0;
  message what;
  std::string state;
  int attempts = 0;
};

std::vector<outbox_row> outbox(const store::mysql::options& db) {
  std::vector<outbox_row> out;
  for (const auto& r : e2e::mysql::query(db, "SELECT id, recipient, payload_json, state, attempts FROM outbox ORDER BY id"))
    out.push_back({std::stoll(r[0]), {r[1], json_member(r[2], "text")}, r[3], std::stoi(r[4])});
  return out;
}

std::multiset<message> messages_of(const std::vector<outbox_row>& rows) {
  std::multiset<message> out;
  for (const auto& r : rows) out.insert(r.what);
  return out;
}

// Waits until every outbox entry is sent (or `timeout`); returns how many are not.
long long wait_outbox_drained(const store::mysql::options& db, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = e2e::mysql::query_int(db, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'");
    if (left == 0 || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(100ms);
  }
}

// Every customer has exactly one ticket, with the model, serial and phone they gave.
void check_tickets(const store::mysql::options& db, const std::vector<sms_customer>& customers) {
  const auto tickets = e2e::mysql::query(db, "SELECT number, channel_id, model, serial, phone FROM tickets");
  std::map<std::string, std::vector<std::vector<std::string>>> by_customer;
  std::set<std::string> numbers;
  for (const auto& t : tickets) {
    by_customer[t[1]].push_back(t);
    numbers.insert(t[0]);
  }
  CHECK(tickets.size() == customers.size());
  CHECK(numbers.size() == tickets.size());
  for (const auto& c : customers) {
    CAPTURE(c.index, c.phone());
    const auto& mine = by_customer[c.phone()];
    REQUIRE(mine.size() == 1);
    CHECK(mine[0][2] == "ABC-2000");
    CHECK(mine[0][3] == c.serial());
    CHECK(mine[0][4] == c.phone());
  }
}

// The first lines an instance logged at level error (for a failure's message).
std::string logged_errors(const e2e::server& s) {
  std::istringstream in{s.log()};
  std::string line, out;
  for (int n = 0; std::getline(in, line) && n < 5;)
    if (line.find(" error ") != std::string::npos) {
      out += line + "\n";
      ++n;
    }
  return out;
}

// How many SMS webhooks an instance answered with 200 (its request log lines).
int answered_webhooks(const e2e::server& s) {
  const auto log = s.settled_log();
  int n = 0;
  for (auto at = log.find("route=/webhooks/sms/twilio "); at != std::string::npos;
       at = log.find("route=/webhooks/sms/twilio ", at + 1)) {
    const auto end = log.find('\n', at);
    if (log.substr(at, end - at).find(" status=200 ") != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("Two instances on one MariaDB: 50 customers alternating between them, then one instance killed mid-load",
          "[e2e][mysql][multi]") {
  const auto server = e2e::mysql::test_server_or_skip();
  if (!server) return;
  e2e::mysql::scratch_database db{*server};

  e2e::fake_gateway twilio_a, twilio_b;
  const e2e::canned_answer accepted{201, R"({"sid":"SMok","status":"queued"})"};
  twilio_a.fallback(messages_path, accepted);
  twilio_b.fallback(messages_path, accepted);
  e2e::server a{instance_options(twilio_a)}, b{instance_options(twilio_b)};
  const auto store = e2e::mysql::store_member(db.options(), 4);
  e2e::mysql::use_store(a, store);
  e2e::mysql::use_store(b, store);

  // Both start on the empty database at once: one migrates, the other waits on the lock.
  std::string a_failed;
  std::thread start_a([&] {
    try {
      a.start();
    } catch (const std::exception& e) {
      a_failed = e.what();
    }
  });
  b.start();
  start_a.join();
  REQUIRE(a_failed.empty());
  CHECK(e2e::mysql::query_int(db.options(), "SELECT COUNT(*) FROM schema_version") ==
        e2e::mysql::query_int(db.options(), "SELECT MAX(version) FROM schema_version"));

  balancer lb{{&a, &b}};
  const auto started = std::chrono::steady_clock::now();
  auto first = run_customers(lb, 0, 50);
  const auto load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO("A's errors:\n" << logged_errors(a) << "B's errors:\n" << logged_errors(b));
  for (const auto& c : first) {
    CAPTURE(c.index, c.error);
    CHECK(c.error.empty());
  }
  REQUIRE(wait_outbox_drained(db.options(), 20s) == 0);
  WARN("50 customers: " << load_seconds << " s, 503 retries " << lb.retried_503() << ", outbox entries "
                        << outbox(db.options()).size());

  // Every customer has one correct ticket, and every message was sent exactly once.
  {
    check_tickets(db.options(), first);
    int sids = 0;
    for (const auto& c : first) sids += c.sids;
    // One inbound record per MessageSid, including the ones both instances received.
    CHECK(e2e::mysql::query_int(db.options(), "SELECT COUNT(*) FROM inbound_log") == sids);
    // And the instances really shared the customers' messages, about half each.
    const auto webhooks_a = answered_webhooks(a), webhooks_b = answered_webhooks(b);
    CAPTURE(sids, webhooks_a, webhooks_b);
    CHECK(webhooks_a + webhooks_b >= sids);
    CHECK(webhooks_a > sids / 3);
    CHECK(webhooks_b > sids / 3);

    const auto rows = outbox(db.options());
    for (const auto& r : rows) {
      CAPTURE(r.id, r.what.first);
      CHECK(r.attempts == 1);  // claimed by one worker, once
    }
    auto delivered = received(twilio_a);
    const auto by_b = received(twilio_b);
    CHECK_FALSE(delivered.empty());  // both workers took a share
    CHECK_FALSE(by_b.empty());
    delivered.insert(by_b.begin(), by_b.end());
    CHECK(delivered.size() == rows.size());
    CHECK(delivered == messages_of(rows));
  }

  // Then A is killed while its sends hang; B delivers them after the lease.
  {
    // From here on A's gateway never answers: what A claims stays in flight until A dies.
    // (Nothing is in flight now: the outbox drained above.)
    const auto answered_by_a = twilio_a.requests(messages_path).size();
    twilio_a.fallback(messages_path, {201, "{}", 120s});

    std::vector<long long> sending_at_kill;
    std::string kill_error;
    std::thread killer([&] {
      store::mysql::thread_init();
      try {
        // Mid-load: as soon as A has a few sends hanging.
        if (twilio_a.wait_for(messages_path, answered_by_a + 3, 20s) < answered_by_a + 3) {
          kill_error = "A never sent during the second load";
        } else {
          lb.mark_down(0);
          a.kill9();
          for (const auto& r : outbox(db.options()))
            if (r.state == "sending") sending_at_kill.push_back(r.id);
        }
      } catch (const std::exception& e) {
        kill_error = e.what();
      }
      store::mysql::thread_end();
    });
    auto second = run_customers(lb, 50, 70);
    killer.join();
    REQUIRE(kill_error.empty());
    for (const auto& c : second) {
      CAPTURE(c.index, c.error);
      CHECK(c.error.empty());
    }
    REQUIRE(wait_outbox_drained(db.options(), std::chrono::seconds(lease_seconds * 4)) == 0);

    auto everyone = first;
    everyone.insert(everyone.end(), second.begin(), second.end());
    check_tickets(db.options(), everyone);
    int sids = 0;
    for (const auto& c : everyone) sids += c.sids;
    CHECK(e2e::mysql::query_int(db.options(), "SELECT COUNT(*) FROM inbound_log") == sids);

    // Delivered = what A's gateway answered before it hung, plus everything B's gateway got:
    // every entry exactly once.
    const auto rows = outbox(db.options());
    auto delivered = received(twilio_a);
    const auto hung = received(twilio_a, answered_by_a);
    for (const auto& m : hung) delivered.erase(delivered.find(m));
    const auto by_b = received(twilio_b);
    delivered.insert(by_b.begin(), by_b.end());
    CHECK(delivered.size() == rows.size());
    CHECK(delivered == messages_of(rows));

    // The hung entries were still leased to the dead A when it died, and B sent them on its
    // second attempt, after the lease ran out (claim_outbox takes a `sending` entry only then).
    REQUIRE(hung.size() >= 3);
    const auto b_log = b.settled_log();
    std::set<long long> retaken;
    for (const auto& r : rows) {
      if (!hung.count(r.what) || r.attempts < 2) continue;
      retaken.insert(r.id);
      CAPTURE(r.id, r.what.first);
      CHECK(std::find(sending_at_kill.begin(), sending_at_kill.end(), r.id) != sending_at_kill.end());
      CHECK(r.state == "sent");
      CHECK(b_log.find("event=outbound_sent outbox_id=" + std::to_string(r.id) + " ") != std::string::npos);
    }
    CHECK(retaken.size() >= hung.size());
    WARN("after the kill: " << hung.size() << " sends hung at the dead instance, " << retaken.size()
                            << " entries re-sent by the other; " << lb.failovers() << " webhooks failed over");
  }
}
