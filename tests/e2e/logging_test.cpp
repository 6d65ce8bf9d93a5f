// The log of a full intake over WeChat and SMS (at debug level) holds no phone number in any
// format and none of the texts the customers sent or the bot answered (style.md §16), and every
// outbound send names the request that caused it.
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

const std::string messages_path = std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";

// Lines of a reply long enough to be recognisable (short ones like "1." occur anywhere).
std::vector<std::string> reply_lines(const std::string& reply) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= reply.size()) {
    auto end = reply.find('\n', start);
    if (end == std::string::npos) end = reply.size();
    auto line = reply.substr(start, end - start);
    if (line.size() >= 12) out.push_back(line);
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("A full WeChat and SMS intake logs no phone number and no message text", "[e2e][operations][logging]") {
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, R"({"sid":"SMxxxx","status":"queued"})"});
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  o.extra_config = R"("log_level": "debug")";
  e2e::server s{o};
  s.start();

  std::vector<std::string> sent;     // every text a customer sent
  std::vector<std::string> answers;  // every text the bot answered
  auto answer_for = [](const std::string& slot, const std::string& phone) -> std::string {
    static const std::map<std::string, std::string> answers{
        {"model", "ABC-2000"}, {"serial", "SN5612345"}, {"problem", "脱水时噪音很大,机身晃动"},
        {"purchase_date", "2025-03-15"}, {"service_method", "上门服务"}, {"name", "张先生"}, {"confirm", "确认"}};
    if (slot == "phone") return phone;
    auto it = answers.find(slot);
    return it == answers.end() ? "" : it->second;
  };

  // WeChat: the phone given with spaces.
  std::int64_t msg_id = 81000;
  sent.push_back("洗衣机坏了");
  answers.push_back(s.say("oLogUser", sent.back(), msg_id++));
  for (int turn = 0; turn < 12; ++turn) {
    auto slot = e2e::awaiting(s, "wechat", "oLogUser");
    CAPTURE(slot);
    auto text = answer_for(slot, "138 0013 5678");
    if (text.empty()) break;
    sent.push_back(text);
    answers.push_back(s.say("oLogUser", text, msg_id++));
    if (slot == "confirm") break;
  }
  REQUIRE(std::regex_search(answers.back(), std::regex{"SR[0-9]{11,}"}));

  // SMS: the sender is the phone number itself; it gives it again without +86.
  const std::string sms_phone = "+8613800135678";
  int sid = 1;
  auto sms_say = [&](const std::string& text) {
    const auto before = gw.requests(messages_path).size();
    sent.push_back(text);
    auto res = s.twilio_post({{"MessageSid", "SMlog" + std::to_string(sid++)}, {"AccountSid", e2e::server::twilio_sid},
                              {"From", sms_phone}, {"To", e2e::server::twilio_number}, {"Body", text},
                              {"NumMedia", "0"}});
    REQUIRE(res.status == 200);
    REQUIRE(gw.wait_for(messages_path, before + 1, 5s) >= before + 1);
  };
  sms_say("洗衣机坏了");
  for (int turn = 0; turn < 12; ++turn) {
    auto slot = e2e::awaiting(s, "sms", sms_phone);
    CAPTURE(slot);
    auto text = answer_for(slot, "13800135678");
    if (text.empty()) break;
    sms_say(text);
    if (slot == "confirm") break;
  }
  std::this_thread::sleep_for(300ms);
  for (const auto& r : gw.requests(messages_path)) answers.push_back(r.body);  // form-encoded, checked below
  CHECK(s.get("/api/v1/tickets?channel=sms", e2e::server::supervisor_token).status == 200);

  const auto log = s.settled_log();
  REQUIRE(log.find("event=listening") != std::string::npos);
  for (const std::string phone : {"13800135678", "+8613800135678", "138 0013 5678", "+86 138 0013 5678", "0013 5678",
                                  "00135678"}) {
    CAPTURE(phone);
    CHECK(log.find(phone) == std::string::npos);
  }
  for (const auto& text : sent) {
    CAPTURE(text);
    CHECK(log.find(text) == std::string::npos);
  }
  for (const auto& reply : answers)
    for (const auto& line : reply_lines(reply)) {
      CAPTURE(line);
      CHECK(log.find(line) == std::string::npos);
    }
  // No secret either.
  for (const std::string& secret : {std::string{e2e::server::twilio_token}, std::string{e2e::server::token},
                                   std::string{e2e::server::supervisor_token}, std::string{e2e::server::aes_key}}) {
    CAPTURE(secret);
    CHECK(log.find(secret) == std::string::npos);
  }

  // Every SMS sent names the request that caused it, and that request has its own log line.
  std::regex sent_line{"event=outbound_sent outbox_id=[0-9]+ channel=sms [^\\n]*request_id=([0-9a-f]+-[0-9a-f]+)"};
  std::set<std::string> ids;
  for (std::sregex_iterator it{log.begin(), log.end(), sent_line}, end; it != end; ++it) ids.insert((*it)[1].str());
  CHECK(ids.size() >= 5);
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(log.find("request id=" + id + " method=POST route=/webhooks/sms/twilio") != std::string::npos);
  }
}
