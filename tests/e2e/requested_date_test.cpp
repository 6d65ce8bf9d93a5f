// End-to-end: the date the customer asked for (product.md "Lifecycle"). The real binary with the
// test clock and one fake gateway (WeChat API and Twilio; staff notified by SMS). The customer
// says "希望后天上门" during the intake; at the end of that local day a ticket still without an
// engineer is locked for the service manager, an assigned one whose engineer has not acted goes
// back to the queue, and one the engineer is working on is left alone. A restart in between
// keeps the timer.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using e2e::advance;
using e2e::post;
using e2e::sms_arrives;
using e2e::state_of;
using e2e::ticket;

constexpr const char* engineer_phone = "+8613900000001";
constexpr const char* supervisor_phone = "+8613900000009";

// A supervisor, one laundry engineer (on duty or not), an admin; all notified by SMS.
std::string staff_json(bool engineer_on_duty) {
  return std::string{R"({"staff": [
    {"id": "S001", "name": "王主管", "role": "supervisor", "notify": {"channel": "sms", "address": ")"} +
         supervisor_phone + R"("}, "api_token_sha256": ")" + e2e::sha256_hex(e2e::server::supervisor_token) + R"("},
    {"id": "E001", "name": "李工", "role": "engineer", "skills": ["laundry", "general"], "on_duty": )" +
         (engineer_on_duty ? "true" : "false") + R"(, "max_open": 10, "notify": {"channel": "sms", "address": ")" +
         engineer_phone + R"("}, "api_token_sha256": ")" + e2e::sha256_hex(e2e::server::engineer_token) + R"("},
    {"id": "A001", "name": "管理员", "role": "admin", "api_token_sha256": ")" +
         e2e::sha256_hex(e2e::server::admin_token) + R"("}
  ]})";
}

e2e::server::options options(e2e::fake_gateway& gw, bool engineer_on_duty) {
  e2e::answer_success(gw);
  return e2e::ticket_options(gw, staff_json(engineer_on_duty));
}

// The history's events named `event`, as their detail JSON members' `reason` (or "").
std::vector<std::string> events(e2e::server& s, const std::string& number, const std::string& event) {
  auto t = ticket(s, number);
  std::vector<std::string> out;
  for (const auto& e : t["history"].GetArray()) {
    if (std::string{e["event"].GetString()} != event) continue;
    const auto reason = e["detail"].FindMember("reason");
    out.push_back(reason != e["detail"].MemberEnd() && reason->value.IsString() ? reason->value.GetString() : "");
  }
  return out;
}

// ---- calendar arithmetic on the bot's local time ("YYYY-MM-DDTHH:MM:SS+08:00") ----

long days_from_civil(int y, int m, int d) {  // H. Hinnant's algorithm; 1970-01-01 = 0
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string civil_from_days(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp + (mp < 10 ? 3 : -9);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", yoe + era * 400 + (m <= 2), m, d);
  return buf;
}

// Local seconds since the epoch of a bot time or a date (midnight).
long local_seconds(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  REQUIRE(std::sscanf(text.c_str(), "%d-%d-%d", &y, &mo, &d) == 3);
  if (text.size() >= 19) REQUIRE(std::sscanf(text.c_str() + 11, "%d:%d:%d", &h, &mi, &sec) == 3);
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
}

// Whole minutes from the bot's `now` to the end of local day `day` (rounded down).
long minutes_until_end_of(const std::string& now, const std::string& day) {
  return (local_seconds(day) + 86400 - local_seconds(now)) / 60;
}

// An intake over WeChat that volunteers the date in its first message; returns the number.
std::string intake(e2e::server& s, const std::string& openid, std::int64_t& msg_id) {
  const std::map<std::string, std::string> answers{{"serial", "SN5612345"},   {"purchase_date", "2025-03-15"},
                                                   {"service_method", "2"},   {"phone", "13800135678"},
                                                   {"name", "张先生"},        {"confirm", "确认"},
                                                   {"model", "ABC-2000"},     {"problem", "脱水时噪音很大"}};
  s.say(openid, "ABC-2000洗衣机脱水时噪音很大,希望后天上门", msg_id++);
  return e2e::answer_until_confirmed(s, openid, answers, msg_id, 12);
}

}  // namespace

TEST_CASE("Requested date: no engineer by the end of that day locks the ticket; an idle engineer loses it",
          "[e2e][workflow][requested_date]") {
  e2e::fake_gateway gw;
  e2e::server s{options(gw, /*engineer_on_duty=*/false)};
  s.start();
  std::int64_t msg = 11000;
  const std::string before = advance(s, 0)["now"].GetString();
  const std::string wanted = civil_from_days(local_seconds(before) / 86400 + 2);  // 后天
  auto number = intake(s, "oRequestedDate1", msg);
  auto t = ticket(s, number);
  REQUIRE(std::string{t["state"].GetString()} == "pending_assignment");
  CHECK(std::string{t["requested_date"].GetString()} == wanted);
  CHECK(sms_arrives(gw, supervisor_phone, {number, wanted}));  // the pending notice names the date

  SECTION("(a) still pending: not locked before the day ends (the respond breach does not lock), locked after") {
    const long to_end = minutes_until_end_of(advance(s, 0)["now"].GetString(), wanted);
    REQUIRE(to_end > 24 * 60);
    advance(s, to_end - 2);
    CHECK(state_of(s, number) == "pending_assignment");
    CHECK(ticket(s, number)["sla"]["breached"].GetBool());  // the respond deadline passed long ago
    CHECK(events(s, number, "locked").empty());
    advance(s, 4);
    CHECK(state_of(s, number) == "locked");
    CHECK(events(s, number, "locked") == std::vector<std::string>{"no_engineer_by_requested_date"});
    CHECK(sms_arrives(gw, supervisor_phone, {number, "锁定", "客户要求 " + wanted + " 前服务,到期仍未分配工程师"}));
  }

  SECTION("(b) assigned by hand, no progress by the date: back to pending_assignment, supervisors told") {
    auto assign = post(s, "/api/v1/tickets/" + number + "/assign", R"({"engineer": "E001", "reason": "临时加班"})",
                       e2e::server::supervisor_token);
    REQUIRE(assign.status == 200);
    CHECK(sms_arrives(gw, engineer_phone, {number, wanted}));  // the assignment names the date
    const long to_end = minutes_until_end_of(advance(s, 0)["now"].GetString(), wanted);
    advance(s, to_end - 2);
    CHECK(state_of(s, number) == "assigned");
    advance(s, 4);
    auto after = ticket(s, number);
    // Assigned by rule again: E001 is off duty, so nobody; it waits in the queue.
    CHECK(std::string{after["state"].GetString()} == "pending_assignment");
    CHECK(after["assignee"].IsNull());
    CHECK(events(s, number, "requested_date_missed").size() == 1);
    CHECK(events(s, number, "locked").empty());
    CHECK(sms_arrives(gw, supervisor_phone, {number, "退回待分配"}));
    CHECK(sms_arrives(gw, engineer_phone, {number, "退回待分配"}));
  }

  SECTION("(d) a restart between the intake and the date keeps the timer") {
    advance(s, 60);
    s.kill9();
    s.start();
    const long to_end = minutes_until_end_of(advance(s, 0)["now"].GetString(), wanted);
    advance(s, to_end - 2);
    CHECK(state_of(s, number) == "pending_assignment");
    advance(s, 4);
    CHECK(state_of(s, number) == "locked");
    CHECK(events(s, number, "locked") == std::vector<std::string>{"no_engineer_by_requested_date"});
  }
}

TEST_CASE("Requested date: an engineer who reported progress before the date keeps the ticket",
          "[e2e][workflow][requested_date]") {
  e2e::fake_gateway gw;
  e2e::server s{options(gw, /*engineer_on_duty=*/true)};
  s.start();
  std::int64_t msg = 12000;
  auto number = intake(s, "oRequestedDate2", msg);
  auto t = ticket(s, number);
  REQUIRE(std::string{t["state"].GetString()} == "assigned");
  const std::string wanted = t["requested_date"].GetString();
  CHECK(sms_arrives(gw, engineer_phone, {number, wanted}));
  // (c) the engineer acts the next day, before the date ends.
  advance(s, 24 * 60);
  auto progress = post(s, "/api/v1/tickets/" + number + "/progress", R"({"step": "remote", "note": "电话指导"})",
                       e2e::server::engineer_token);
  REQUIRE(progress.status == 200);
  advance(s, minutes_until_end_of(advance(s, 0)["now"].GetString(), wanted) + 5);
  CHECK(state_of(s, number) == "in_progress");
  CHECK(events(s, number, "requested_date_missed").empty());
  CHECK(events(s, number, "locked").empty());
}
