// End-to-end: the real servicebot binary, signed WeChat traffic, the staff API.
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <sqlite3.h>

#include <regex>
#include <string>

namespace {

using e2e::parse_json;

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

// The sample conversation of product.md, checking after each turn what the bot awaits.
std::string run_full_intake(e2e::server& s, const std::string& openid, std::int64_t first_msg_id) {
  struct turn {
    const char* text;
    const char* awaits_after;
  };
  const turn turns[] = {
      {"洗衣机坏了", "model"},   {"ABC-2000", "serial"},        {"SN5612345", "problem"},
      {"脱水时噪音很大,机身晃动", "purchase_date"},               {"2025-03-15", "service_method"},
      {"2", "phone"},            {"13800135678", "name"},       {"张先生", "confirm"},
  };
  auto id = first_msg_id;
  for (const auto& t : turns) {
    CAPTURE(t.text);
    auto reply = s.say(openid, t.text, id++);
    CHECK_FALSE(reply.empty());
    CHECK(e2e::awaiting(s, openid) == t.awaits_after);
  }
  auto reply = s.say(openid, "确认", id++);
  std::smatch m;
  REQUIRE(std::regex_search(reply, m, std::regex{"SR[0-9]{11,}"}));
  return m.str();
}

void check_ticket(e2e::server& s, const std::string& number, const std::string& openid) {
  auto res = s.get("/api/v1/tickets/" + number, e2e::server::supervisor_token);
  REQUIRE(res.status == 200);
  auto t = parse_json(res.body);
  CHECK(std::string{t["number"].GetString()} == number);
  CHECK(std::string{t["state"].GetString()} == "pending_assignment");
  CHECK(std::string{t["stage"].GetString()} == "accepted");
  CHECK(std::string{t["channel"].GetString()} == "wechat");
  CHECK(std::string{t["language"].GetString()} == "zh-CN");
  CHECK(std::string{t["type"].GetString()} == "repair");
  CHECK(std::string{t["customer"]["name"].GetString()} == "张先生");
  CHECK(std::string{t["customer"]["phone"].GetString()} == "+8613800135678");
  CHECK(std::string{t["customer"]["channel_id"].GetString()} == openid);
  CHECK(std::string{t["product"]["model"].GetString()} == "ABC-2000");
  CHECK(std::string{t["product"]["serial"].GetString()} == "SN5612345");
  CHECK(std::string{t["product"]["purchase_date"].GetString()} == "2025-03-15");
  CHECK(std::string{t["service_method"].GetString()} == "onsite");
  CHECK(std::string{t["problem"].GetString()}.find("噪音") != std::string::npos);
  CHECK(t["assignee"].IsNull());
  CHECK(t["sla"]["respond_by"].IsString());
  CHECK(std::string{t["created_at"].GetString()}.find("+08:00") != std::string::npos);
  REQUIRE(t["history"].IsArray());
  REQUIRE(t["history"].Size() >= 1);
  CHECK(std::string{t["history"][0]["event"].GetString()} == "created");
  REQUIRE(t["transcript"].IsArray());
  // 9 customer messages and 9 bot replies at least, in order, starting with the customer.
  CHECK(t["transcript"].Size() >= 18);
  CHECK(std::string{t["transcript"][0]["direction"].GetString()} == "in");
  CHECK(std::string{t["transcript"][0]["text"].GetString()} == "洗衣机坏了");

  // An admin may not see the full phone number.
  auto masked = s.get("/api/v1/tickets/" + number, e2e::server::admin_token);
  REQUIRE(masked.status == 200);
  CHECK(std::string{parse_json(masked.body)["customer"]["phone"].GetString()} == "+86138****5678");
}

}  // namespace

TEST_CASE("A WeChat customer reports a fault in plain mode and a ticket exists afterwards", "[e2e][wechat]") {
  e2e::server s;
  s.start();
  auto number = run_full_intake(s, "oPlainUser1", 1000);
  check_ticket(s, number, "oPlainUser1");

  SECTION("the ticket is listed newest first for a supervisor, and not for an engineer it is not assigned to") {
    auto list = s.get("/api/v1/tickets?state=pending_assignment", e2e::server::supervisor_token);
    REQUIRE(list.status == 200);
    auto d = parse_json(list.body);
    REQUIRE(d["tickets"].Size() == 1);
    CHECK(std::string{d["tickets"][0]["number"].GetString()} == number);
    auto mine = s.get("/api/v1/tickets", e2e::server::engineer_token);
    REQUIRE(mine.status == 200);
    CHECK(parse_json(mine.body)["tickets"].Size() == 0);
    CHECK(s.get("/api/v1/tickets/" + number, e2e::server::engineer_token).status == 403);
    CHECK(s.get("/api/v1/tickets?assignee=E002", e2e::server::engineer_token).status == 403);
  }
  SECTION("the staff API refuses missing and wrong tokens and bad parameters") {
    CHECK(s.get("/api/v1/tickets").status == 401);
    CHECK(s.get("/api/v1/tickets", "wrong-token").status == 401);
    CHECK(s.get("/api/v1/tickets?limit=0", e2e::server::supervisor_token).status == 400);
    CHECK(s.get("/api/v1/tickets?from=yesterday", e2e::server::supervisor_token).status == 400);
    CHECK(s.get("/api/v1/tickets?cursor=%%%", e2e::server::supervisor_token).status != 500);
    CHECK(s.get("/api/v1/tickets/SR20990101999", e2e::server::supervisor_token).status == 404);
    CHECK(s.get("/api/v1/conversations?channel=wechat&id=oPlainUser1", e2e::server::engineer_token).status == 403);
  }
}

TEST_CASE("A WeChat customer reports a fault in safe (AES) mode", "[e2e][wechat][crypto]") {
  e2e::server::options safe;
  safe.safe_mode = true;
  e2e::server s{safe};
  s.start();
  auto number = run_full_intake(s, "oSafeUser1", 2000);
  check_ticket(s, number, "oSafeUser1");
}

TEST_CASE("A WeChat retry gets the byte-identical reply and has no second effect", "[e2e][wechat][dedupe]") {
  e2e::server s;
  s.start();
  e2e::http_result first, second;
  s.say("oRetryUser", "洗衣机坏了", 5000, &first);
  s.say("oRetryUser", "ABC-2000", 5001, &first);
  REQUIRE(e2e::awaiting(s, "oRetryUser") == "serial");
  s.say("oRetryUser", "ABC-2000", 5001, &second);  // the gateway's retry of MsgId 5001
  CHECK(second.body == first.body);
  CHECK(e2e::awaiting(s, "oRetryUser") == "serial");
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM messages WHERE direction = 'in'") == 2);
}

TEST_CASE("Unauthenticated and malformed webhooks change nothing", "[e2e][wechat][security]") {
  e2e::server s;
  s.start();
  const std::string xml =
      "<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[oBad]]></FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[洗衣机坏了]]></Content>"
      "<MsgId>77</MsgId></xml>";

  SECTION("a bad signature gets 403") {
    auto res = s.wechat_post(xml, {}, "n1", true);
    CHECK(res.status == 403);
  }
  SECTION("a missing signature gets 401") {
    auto res = e2e::http_call(s.port(), "POST", "/webhooks/wechat?timestamp=1&nonce=2", xml);
    CHECK(res.status == 401);
  }
  SECTION("an XXE payload gets 400") {
    auto res = s.wechat_post("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                             "<xml><ToUserName>&xxe;</ToUserName></xml>");
    CHECK(res.status == 400);
  }
  SECTION("broken XML gets 400") { CHECK(s.wechat_post("<xml><ToUserName>").status == 400); }
  SECTION("a body over 1 MiB gets 413") {
    auto res = s.wechat_post(std::string(1024 * 1024 + 10, 'x'));
    CHECK(res.status == 413);
  }
  CHECK(e2e::awaiting(s, "oBad") == "<none>");
  CHECK(count_rows(s.db_path(), "SELECT COUNT(*) FROM inbound_log") == 0);
}

TEST_CASE("WeChat URL verification echoes echostr only with a valid signature", "[e2e][wechat]") {
  e2e::server s;
  s.start();
  auto sig = e2e::wechat_sign({e2e::server::token, "1410685589", "abc"});
  auto ok = s.get("/webhooks/wechat?signature=" + sig + "&timestamp=1410685589&nonce=abc&echostr=hello123");
  CHECK(ok.status == 200);
  CHECK(ok.body == "hello123");
  auto bad = s.get("/webhooks/wechat?signature=0000&timestamp=1410685589&nonce=abc&echostr=hello123");
  CHECK(bad.status == 403);
}

TEST_CASE("The HTTP server routes, limits and shuts down cleanly", "[e2e][http]") {
  e2e::server s;
  s.start();
  CHECK(s.get("/healthz").status == 200);
  CHECK(s.get("/readyz").status == 200);
  CHECK(s.get("/no/such/path").status == 404);
  auto wrong = e2e::http_call(s.port(), "DELETE", "/healthz");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers["allow"] == "GET");
  CHECK(parse_json(wrong.body).HasMember("error"));
  auto garbage = e2e::raw_exchange(s.port(), "THIS IS NOT HTTP\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  // Keep-alive: two requests on one connection.
  auto two = e2e::raw_exchange(s.port(),
                               "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (auto at = two.find("HTTP/1.1 200"); at != std::string::npos; at = two.find("HTTP/1.1 200", at + 1)) ++count;
  CHECK(count == 2);
  CHECK(s.terminate() == 0);
}

TEST_CASE("An acknowledged message survives kill -9 and restart", "[e2e][durability]") {
  e2e::server s;
  s.start();
  s.say("oCrashUser", "洗衣机坏了", 9000);
  s.say("oCrashUser", "ABC-2000", 9001);
  s.kill9();  // right after the 200
  s.start();
  CHECK(e2e::awaiting(s, "oCrashUser") == "serial");
  // And the retry after restart is still recognised as a duplicate.
  e2e::http_result again;
  s.say("oCrashUser", "ABC-2000", 9001, &again);
  CHECK(e2e::awaiting(s, "oCrashUser") == "serial");
}
