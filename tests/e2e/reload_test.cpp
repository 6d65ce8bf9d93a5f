// End-to-end: SIGHUP reloads the data files (contract: "Data files ... loaded at start (and on
// SIGHUP)") on the real binary: staff tokens added and removed take effect, a catalog change
// reaches new conversations, and a broken file changes nothing (all or nothing), logged with
// the file to fix, while the server keeps serving.
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

constexpr const char* new_engineer_token = "e2-new-token-after-reload";
constexpr const char* third_engineer_token = "e3-token-never-loaded";

// Polls `done` every 20 ms for up to 5 s.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::string staff_member_json(const std::string& id, const std::string& role, const std::string& token) {
  return R"({"id": ")" + id + R"(", "name": ")" + id + R"(", "role": ")" + role +
         R"(", "skills": ["laundry"], "on_duty": false, "max_open": 10,
            "notify": {"channel": "sms", "address": "+8613900000077"}, "api_token_sha256": ")" +
         e2e::sha256_hex(token) + R"("})";
}

// The staff file after the operator's edit: S001 stays, E001 is gone, E002 joins.
std::string edited_staff() {
  return R"({"staff": [)" + staff_member_json("S001", "supervisor", e2e::server::supervisor_token) + ", " +
         staff_member_json("E002", "engineer", new_engineer_token) + "]}";
}

std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The status GET /api/v1/tickets answers for `token`: 200 when it is a known staff token, else 401.
int tickets_status(e2e::server& s, const std::string& token) { return s.get("/api/v1/tickets?limit=1", token).status; }

}  // namespace

TEST_CASE("SIGHUP reloads the staff file: a new token works, a removed one gets 401", "[e2e][reload]") {
  e2e::server::options o;
  o.local_data_files = true;
  e2e::server s{o};
  s.start();
  REQUIRE(tickets_status(s, e2e::server::engineer_token) == 200);
  REQUIRE(tickets_status(s, new_engineer_token) == 401);

  s.write_data_file("staff.json", edited_staff());
  s.reload();
  REQUIRE(eventually([&] { return tickets_status(s, new_engineer_token) == 200; }));
  CHECK(tickets_status(s, e2e::server::engineer_token) == 401);
  CHECK(tickets_status(s, e2e::server::supervisor_token) == 200);
  REQUIRE(eventually([&] { return s.log().find("event=reloaded") != std::string::npos; }));
  CHECK(s.log().find("staff=2") != std::string::npos);
  // Tokens are counted, never logged, not even hashed.
  CHECK(s.log().find(e2e::sha256_hex(new_engineer_token)) == std::string::npos);
  CHECK(s.log().find(new_engineer_token) == std::string::npos);

  SECTION("a staff file that is not JSON: the previous staff stay, the server serves on") {
    s.write_data_file("staff.json", R"({"staff": [)" + staff_member_json("E003", "engineer", third_engineer_token));
    s.reload();
    REQUIRE(eventually([&] { return s.log().find("event=reload_failed file=staff.json") != std::string::npos; }));
    CHECK(s.log().find("error=\"staff.json: invalid JSON") != std::string::npos);
  }

  SECTION("a rules file naming a line no product has: nothing changes, not even the good staff file") {
    // All or nothing: the staff edit that comes with the broken rules is not taken either.
    s.write_data_file("staff.json", R"({"staff": [)" + staff_member_json("E002", "engineer", new_engineer_token) +
                                        ", " + staff_member_json("E003", "engineer", third_engineer_token) + "]}");
    s.write_data_file("rules.json", R"({"assignment": [{"when": {"line": "spaceships"}, "skills": []}]})");
    s.reload();
    REQUIRE(eventually([&] { return s.log().find("event=reload_failed file=rules.json") != std::string::npos; }));
    CHECK(s.log().find("no catalog product has line \"spaceships\"") != std::string::npos);
    CHECK(tickets_status(s, third_engineer_token) == 401);
  }

  // Whichever file was broken, the set of the last good reload is still the one in force.
  CHECK(tickets_status(s, new_engineer_token) == 200);
  CHECK(tickets_status(s, e2e::server::supervisor_token) == 200);
  CHECK(tickets_status(s, e2e::server::engineer_token) == 401);
  CHECK(s.get("/healthz").status == 200);
  // And SIGTERM still drains and stops cleanly after the reloads.
  CHECK(s.terminate() == 0);
}

TEST_CASE("SIGHUP reloads the catalog: a new product is known to a new conversation", "[e2e][reload]") {
  e2e::server::options o;
  o.local_data_files = true;
  e2e::server s{o};
  s.start();
  s.say("oReloadBefore", "ZQ-7000", 7001);
  CHECK(e2e::awaiting(s, "oReloadBefore") == "model");  // unknown: asked which product

  std::string catalog = read_text(s.dir() + "/catalog.json");
  const std::string products = "\"products\": [";
  const auto at = catalog.find(products);
  REQUIRE(at != std::string::npos);
  catalog.insert(at + products.size(), R"(
    { "model": "ZQ-7000", "name": "咖啡机", "line": "laundry", "aliases": ["咖啡机"],
      "serial_pattern": "^CF[0-9]{6}$", "warranty_months": 12 },)");
  s.write_data_file("catalog.json", catalog);
  s.reload();
  REQUIRE(eventually([&] { return s.log().find("event=reloaded") != std::string::npos; }));

  s.say("oReloadAfter", "ZQ-7000", 7002);
  CHECK(e2e::awaiting(s, "oReloadAfter") == "serial");  // known: on to the serial number
}
