#include "dialogs/intake.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

TEST_CASE("conversation JSON round-trips every field", "[dialogs][json]") {
  conversation c;
  c.state = "confirming";
  c.awaiting = slot::confirm;
  c.language = "zh-CN";
  c.values.service_type = "emergency";
  c.values.priority = "critical";
  c.values.model = "ABC-2000";
  c.values.serial = "SN5612345";
  c.values.problem = "脱水时噪音很大,机身晃动 \"quoted\" \\ \n";
  c.values.purchase_date = "2025-03-01";
  c.values.purchase_date_approximate = true;
  c.values.service_method = "onsite";
  c.values.phone = "+8613800135678";
  c.values.name = "张先生";
  c.attachments = {{"image", "MEDIA_1"}, {"voice", "MEDIA_2"}};
  c.started_at = 1778551200;
  c.last_activity = 1778551500;
  c.reasks = 2;
  c.ticket = "SR20260512001";

  const auto back = conversation::from_json(c.to_json());
  REQUIRE(back);
  CHECK(back->state == c.state);
  CHECK(back->awaiting == c.awaiting);
  CHECK(back->language == c.language);
  CHECK(back->values.service_type == c.values.service_type);
  CHECK(back->values.priority == c.values.priority);
  CHECK(back->values.model == c.values.model);
  CHECK(back->values.serial == c.values.serial);
  CHECK(back->values.problem == c.values.problem);
  CHECK(back->values.purchase_date == c.values.purchase_date);
  CHECK(back->values.purchase_date_approximate);
  CHECK(back->values.service_method == c.values.service_method);
  CHECK(back->values.phone == c.values.phone);
  CHECK(back->values.name == c.values.name);
  REQUIRE(back->attachments.size() == 2);
  CHECK(back->attachments[1].kind == "voice");
  CHECK(back->attachments[1].ref == "MEDIA_2");
  CHECK(back->started_at == c.started_at);
  CHECK(back->last_activity == c.last_activity);
  CHECK(back->reasks == 2);
  CHECK(back->ticket == c.ticket);
  CHECK(back->to_json() == c.to_json());
}

TEST_CASE("conversation JSON uses the contract's awaiting names", "[dialogs][json]") {
  conversation c;
  CHECK(c.to_json().find("\"awaiting\":null") != std::string::npos);
  c.awaiting = slot::purchase_date;
  CHECK(c.to_json().find("\"awaiting\":\"purchase_date\"") != std::string::npos);
  CHECK(c.to_json().find("\"slots\":{\"service_type\":null") != std::string::npos);
}

TEST_CASE("a default conversation round-trips", "[dialogs][json]") {
  const auto back = conversation::from_json(conversation{}.to_json());
  REQUIRE(back);
  CHECK(back->state == "idle");
  CHECK(back->awaiting == slot::none);
}

TEST_CASE("stray bytes in a hand-built state still give valid JSON", "[dialogs][json]") {
  conversation c;
  c.values.problem = std::string("bad\xff\xfe bytes\0here", 16);
  const auto back = conversation::from_json(c.to_json());
  REQUIRE(back);
  CHECK(back->values.problem == "bad\uFFFD\uFFFD byteshere");
}

TEST_CASE("the requested date round-trips; older states without it still load", "[dialogs][json]") {
  conversation c;
  c.values.requested_date = "2026-05-14";
  const auto back = conversation::from_json(c.to_json());
  REQUIRE(back);
  CHECK(back->values.requested_date == "2026-05-14");
  CHECK(back->to_json() == c.to_json());
  const auto old = conversation::from_json(
      R"({"state":"collecting","awaiting":"serial","slots":{"model":"ABC-2000","purchase_date":null}})");
  REQUIRE(old);
  CHECK_FALSE(old->values.requested_date);
  CHECK(old->values.model == "ABC-2000");
  CHECK_FALSE(conversation::from_json(R"({"state":"idle","awaiting":null,"slots":{"requested_date":"2026-02-30"}})"));
  CHECK_FALSE(conversation::from_json(R"({"state":"idle","awaiting":null,"slots":{"requested_date":20260514}})"));
}

TEST_CASE("from_json rejects garbage without throwing", "[dialogs][json]") {
  auto input = GENERATE(as<std::string>{}, "", "{", "[]", "null", "42", "\"idle\"", "{}",
                        R"({"state":"idle"})",
                        R"({"state":"flying","awaiting":null})",
                        R"({"state":"idle","awaiting":"teapot"})",
                        R"({"state":"idle","awaiting":"null"})",
                        R"({"state":"idle","awaiting":3})",
                        R"({"state":1,"awaiting":null})",
                        R"({"state":"idle","awaiting":null,"language":"fr"})",
                        R"({"state":"idle","awaiting":null,"reasks":-1})",
                        R"({"state":"idle","awaiting":null,"reasks":"2"})",
                        R"({"state":"idle","awaiting":null,"started_at":1.5})",
                        R"({"state":"idle","awaiting":null,"slots":[]})",
                        R"({"state":"idle","awaiting":null,"slots":{"model":42}})",
                        R"({"state":"idle","awaiting":null,"slots":{"purchase_date_approximate":"yes"}})",
                        R"({"state":"idle","awaiting":null,"attachments":{}})",
                        R"({"state":"idle","awaiting":null,"attachments":[{"kind":"image"}]})",
                        R"({"state":"idle","awaiting":null,"attachments":[1]})",
                        R"({"state":"idle","awaiting":null,"version":2})",
                        R"({"state":"idle","awaiting":null} trailing)",
                        "{\"state\":\"idle\",\"awaiting\":null,\"ticket\":\"\xff\"}");
  CAPTURE(input);
  std::optional<conversation> c;
  CHECK_NOTHROW(c = conversation::from_json(input));
  CHECK_FALSE(c);
}

TEST_CASE("to_string covers every slot", "[dialogs][json]") {
  CHECK(to_string(slot::none) == "null");
  CHECK(to_string(slot::service_method) == "service_method");
  CHECK(to_string(slot::confirm) == "confirm");
}
