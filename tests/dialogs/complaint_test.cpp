// Complaints: recognising them, their target (engineer / department / product) and reason, and a
// whole complaint intake through step() to a ticket.
#include "dialog_fixture.hpp"

#include "dialogs/extract_complaint.hpp"
#include "dialogs/text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <tuple>

namespace {

using dialogs_test::driver;

std::vector<dialogs::complaint_reason_option> test_reasons() {
  return {
      {"slow_response", "响应慢", "Slow response",
       {"太慢", "迟到", "没人联系", "没人理", "没人来", "slow", "late", "nobody called", "never showed up"}},
      {"attitude", "服务态度", "Staff attitude", {"态度", "不耐烦", "骂人", "rude", "attitude", "impolite"}},
      {"repeat_failure", "反复故障", "Repeated failure",
       {"老是坏", "又坏了", "还是坏", "没修好", "keeps breaking", "broke again", "still broken"}},
      {"billing", "收费问题", "Billing", {"收费", "乱收费", "多收", "charged", "overcharged", "billing"}},
      {"other", "其他", "Other", {}},
  };
}

// As the bot fills it: its engineers, configured departments and complaint reasons.
driver complaint_driver(std::string language = "zh-CN") {
  driver d;
  d.ctx = dialogs_test::test_context(std::move(language));
  d.ctx.engineers = {{"E01", "李明"}, {"E02", "王强"}, {"E03", "张伟"}, {"E05", "John Smith"}};
  d.ctx.departments = {"客服部", "售后部", "配送部"};
  d.ctx.complaint_reasons = test_reasons();
  return d;
}

std::string value(const std::optional<std::string>& v) { return v.value_or(""); }

}  // namespace

TEST_CASE("complaints are recognised with their target and reason", "[dialogs][complaint]") {
  // message → type, target kind, target, reason (after the first message)
  auto [message, type, kind, target, reason] = GENERATE(table<std::string, std::string, std::string, std::string, std::string>({
      // Chinese
      {"投诉", "complaint", "", "", ""},
      {"我要投诉", "complaint", "", "", ""},
      {"我要投诉李工程师", "complaint", "engineer", "E01", ""},
      {"我要投诉李工", "complaint", "engineer", "E01", ""},
      {"李师傅上门态度很差,我要投诉", "complaint", "engineer", "E01", "attitude"},
      {"投诉小王,修了三次还是坏", "complaint", "engineer", "E02", "repeat_failure"},
      {"投诉张伟,乱收费", "complaint", "engineer", "E03", "billing"},
      {"我要投诉!师傅上门迟到三个小时", "complaint", "engineer", "", "slow_response"},
      {"安装师傅态度差,我要投诉", "complaint", "engineer", "", "attitude"},
      {"投诉你们客服部态度差", "complaint", "department", "客服部", "attitude"},
      {"我要投诉你们客服,一直没人理", "complaint", "department", "客服部", "slow_response"},
      {"投诉配送部,送货迟到了一天", "complaint", "department", "配送部", "slow_response"},
      {"投诉一下售后,乱收费", "complaint", "department", "售后部", "billing"},
      {"ABC-2000 老是坏,我要投诉", "complaint", "product", "ABC-2000", "repeat_failure"},
      {"净水器质量问题,我要投诉", "complaint", "product", "XYZ-100", ""},
      {"李工修洗衣机修了三次都没修好,我要投诉", "complaint", "engineer", "E01", "repeat_failure"},
      {"投诉客服部的张伟,他不耐烦", "complaint", "engineer", "E03", "attitude"},
      // English
      {"I want to complain about the repair", "complaint", "", "", ""},
      {"complain about engineer Li", "complaint", "engineer", "E01", ""},
      {"I want to complain about technician Wang, he was rude", "complaint", "engineer", "E02", "attitude"},
      {"Complaint about John Smith, he overcharged me", "complaint", "engineer", "E05", "billing"},
      {"Your customer service is terrible, I want to make a complaint", "complaint", "department", "客服部", ""},
      {"I want to complain, the delivery was late", "complaint", "department", "配送部", "slow_response"},
      {"ABC-2000 keeps breaking, I want to complain", "complaint", "product", "ABC-2000", "repeat_failure"},
  }));
  CAPTURE(message);
  driver d = complaint_driver();
  d.say(message);
  const dialogs::slot_values& v = d.conv.values;
  CHECK(value(v.service_type) == type);
  CHECK(value(v.complaint_target_kind) == kind);
  CHECK(value(v.complaint_target) == target);
  CHECK(value(v.complaint_reason) == reason);
  // A complaint never asks for the serial, the purchase date or the service method.
  CHECK(d.conv.awaiting != dialogs::slot::serial);
  CHECK(d.conv.awaiting != dialogs::slot::purchase_date);
  CHECK(d.conv.awaiting != dialogs::slot::service_method);
  CHECK_FALSE(v.service_method.has_value());
}

TEST_CASE("messages that are no complaint stay what they are", "[dialogs][complaint]") {
  // message → service type after the first message ("" = none), first reply
  auto [message, type, first] = GENERATE(table<std::string, std::string, std::string>({
      {"洗衣机不脱水,请派师傅上门", "repair", ""},
      {"空调不制冷,客服电话打不通", "repair", ""},
      {"李师傅修得很好,谢谢", "", ""},
      {"The washer is leaking, I need a repair", "repair", ""},
      {"投诉进度", "", "status_unknown"},
      {"我的投诉处理得怎么样了", "", "status_unknown"},
      {"any update on my complaint?", "", "status_unknown"},
  }));
  CAPTURE(message);
  driver d = complaint_driver();
  d.say(message);
  CHECK(value(d.conv.values.service_type) == type);
  CHECK_FALSE(d.conv.values.complaint_target_kind.has_value());
  if (!first.empty()) CHECK(d.first_key() == first);
}

TEST_CASE("a complaint that also says it is waiting is a complaint, not a status question", "[dialogs][complaint]") {
  driver d = complaint_driver();
  d.say("我要投诉,怎么还没人联系");
  CHECK(value(d.conv.values.service_type) == "complaint");
  CHECK(value(d.conv.values.complaint_reason) == "slow_response");
  CHECK(d.first_key() == "ask_complaint_target");
}

TEST_CASE("complaint target and reason extractors", "[dialogs][complaint]") {
  const std::vector<dialogs::staff_name> engineers = {{"E01", "李明"}, {"E04", "李娜"}, {"E06", "欧阳峰"}};
  const std::vector<std::string> departments = {"客服部", "售后服务中心"};
  auto target = [&](std::string_view text) {
    return dialogs::extract_complaint_target(dialogs::fold(text).text, engineers, departments);
  };
  SECTION("a surname that fits two engineers offers both") {
    const auto m = target("投诉李工");
    REQUIRE(m);
    CHECK(m->kind == "engineer");
    CHECK(m->target.empty());
    CHECK(m->options == std::vector<std::string>{"E01", "E04"});
  }
  SECTION("the full name picks one") {
    const auto m = target("投诉李娜");
    REQUIRE(m);
    CHECK(m->target == "E04");
  }
  SECTION("compound surnames and English titles") {
    CHECK(target("欧阳师傅态度差")->target == "E06");
    CHECK(target("engineer ouyang was rude")->target == "E06");
  }
  SECTION("a department by its stem") {
    const auto m = target("售后服务太差");
    REQUIRE(m);
    CHECK(m->kind == "department");
    CHECK(m->target == "售后服务中心");
  }
  SECTION("nothing to complain about") { CHECK_FALSE(target("洗衣机坏了")); }
  SECTION("reasons: the first keyword or label in the message") {
    const auto reasons = test_reasons();
    auto reason = [&](std::string_view text) {
      const auto r = dialogs::extract_complaint_reason(dialogs::fold(text).text, reasons);
      return r ? r->id : std::string();
    };
    CHECK(reason("迟到了还态度差") == "slow_response");
    CHECK(reason("态度差,还迟到") == "attitude");
    CHECK(reason("收费问题") == "billing");
    CHECK(reason("Staff Attitude") == "attitude");
    CHECK(reason("RUDE and LATE") == "attitude");
    CHECK(reason("洗衣机漏水") == "");
  }
  SECTION("status questions about a complaint") {
    CHECK(dialogs::asks_complaint_status(dialogs::fold("投诉进度").text));
    CHECK(dialogs::asks_complaint_status(dialogs::fold("我的投诉有结果了吗").text));
    CHECK_FALSE(dialogs::asks_complaint_status(dialogs::fold("我要投诉,进度太慢").text));
  }
}

SCENARIO("a complaint about a department, answered one question at a time", "[dialogs][complaint]") {
  GIVEN("a customer who only says they want to complain") {
    driver d = complaint_driver();
    d.say("我要投诉");
    CHECK(d.first_key() == "ask_complaint_target");
    CHECK(d.param("ask_complaint_target", "greet") == "1");
    WHEN("they name the department, then choose a reason by number") {
      CHECK(d.say("客服部") == std::vector<std::string>{"ask_complaint_reason"});
      CHECK(d.param("ask_complaint_reason", "options") ==
            "1. 响应慢、2. 服务态度、3. 反复故障、4. 收费问题、5. 其他");
      CHECK(d.say("2") == std::vector<std::string>{"ask_problem"});
      CHECK(d.param("ask_problem", "complaint") == "1");
      CHECK(d.say("打了三次电话,客服都不耐烦,直接挂我电话") == std::vector<std::string>{"ask_phone"});
      CHECK(d.say("13800135678") == std::vector<std::string>{"ask_name"});
      CHECK(d.say("赵先生") == std::vector<std::string>{"confirm_summary"});
      THEN("the summary shows the complaint, and confirming opens a complaint ticket") {
        CHECK(d.param("confirm_summary", "complaint") == "1");
        CHECK(d.param("confirm_summary", "target_department") == "1");
        CHECK(d.param("confirm_summary", "target") == "客服部");
        CHECK(d.param("confirm_summary", "reason") == "服务态度");
        CHECK(d.param("confirm_summary", "phone") == "138****5678");
        d.say("确认");
        REQUIRE(d.last.ticket);
        const dialogs::ticket_draft& t = *d.last.ticket;
        CHECK(t.type == "complaint");
        CHECK(t.complaint_target_kind == "department");
        CHECK(t.complaint_target == "客服部");
        CHECK(t.complaint_reason == "attitude");
        CHECK(t.problem == "打了三次电话,客服都不耐烦,直接挂我电话");
        CHECK(t.phone == "+8613800135678");
        CHECK(t.name == "赵先生");
        CHECK(t.model.empty());
        CHECK(t.serial.empty());
        CHECK(t.service_method.empty());
        CHECK(d.first_key() == "ticket_created");
        CHECK(d.param("ticket_created", "complaint") == "1");
      }
    }
  }
}

SCENARIO("a complaint in one message reaches the summary at once", "[dialogs][complaint]") {
  driver d = complaint_driver();
  d.say("投诉你们客服部的张伟,他态度太差,还挂我电话。电话13800135678,我叫赵刚");
  CHECK(d.first_key() == "confirm_summary");
  CHECK(d.param("confirm_summary", "target") == "张伟");
  CHECK(d.param("confirm_summary", "target_engineer") == "1");
  CHECK(d.param("confirm_summary", "reason") == "服务态度");
  WHEN("the customer corrects the target and the reason at the summary") {
    d.say("不对,是王工");
    CHECK(d.first_key() == "confirm_summary");
    CHECK(d.param("confirm_summary", "target") == "王强");
    d.say("原因改成收费问题");
    CHECK(d.param("confirm_summary", "reason") == "收费问题");
    d.say("确认");
    REQUIRE(d.last.ticket);
    CHECK(d.last.ticket->complaint_target == "E02");
    CHECK(d.last.ticket->complaint_reason == "billing");
    CHECK(d.last.ticket->name == "赵刚");
  }
}

SCENARIO("an English complaint about the repair", "[dialogs][complaint]") {
  driver d = complaint_driver("en");
  d.say("I want to complain about the repair");
  CHECK(d.first_key() == "ask_complaint_target");
  CHECK(d.say("engineer Zhang") == std::vector<std::string>{"ask_complaint_reason"});
  CHECK(d.param("ask_complaint_reason", "options") ==
        "1. Slow response, 2. Staff attitude, 3. Repeated failure, 4. Billing, 5. Other");
  CHECK(d.say("the second one") == std::vector<std::string>{"ask_problem"});
  d.say("He was rude and left a mess in my kitchen");
  d.say("(415) 555-0123");
  d.say("Laura Kim");
  CHECK(d.first_key() == "confirm_summary");
  d.say("yes");
  REQUIRE(d.last.ticket);
  CHECK(d.last.ticket->type == "complaint");
  CHECK(d.last.ticket->language == "en");
  CHECK(d.last.ticket->complaint_target_kind == "engineer");
  CHECK(d.last.ticket->complaint_target == "E03");
  CHECK(d.last.ticket->complaint_reason == "attitude");
}

TEST_CASE("complaint targets: choices, unknowns and re-asks", "[dialogs][complaint]") {
  SECTION("two engineers share the surname: a numbered choice") {
    driver d = complaint_driver();
    d.ctx.engineers.push_back({"E04", "李娜"});
    d.say("我要投诉李工");
    CHECK(d.first_key() == "ask_complaint_target");
    CHECK(d.param("ask_complaint_target", "kind_engineer") == "1");
    CHECK(d.param("ask_complaint_target", "options") == "1. 李明、2. 李娜");
    d.say("第二个");
    CHECK(value(d.conv.values.complaint_target) == "E04");
    CHECK(d.first_key() == "ask_complaint_reason");
  }
  SECTION("an unnamed engineer: asked which; \"不知道\" goes on without") {
    driver d = complaint_driver();
    d.say("我要投诉上门的师傅");
    CHECK(d.first_key() == "ask_complaint_target");
    CHECK(d.param("ask_complaint_target", "kind_engineer") == "1");
    d.say("不知道");
    CHECK(value(d.conv.values.complaint_target_kind) == "engineer");
    CHECK_FALSE(d.conv.values.complaint_target.has_value());
    CHECK(d.first_key() == "ask_complaint_reason");
  }
  SECTION("\"产品\" asks for the model, which becomes the target") {
    driver d = complaint_driver();
    d.say("我要投诉");
    d.say("产品");
    CHECK(d.first_key() == "ask_model");
    d.say("XYZ-100");
    CHECK(value(d.conv.values.complaint_target_kind) == "product");
    CHECK(value(d.conv.values.complaint_target) == "XYZ-100");
    CHECK(d.first_key() == "ask_complaint_reason");
  }
  SECTION("unclear answers are asked again, with a person offered after a few") {
    driver d = complaint_driver();
    d.say("我要投诉");
    d.say("那个人");
    CHECK(d.first_key() == "invalid_complaint_target");
    CHECK(d.param("invalid_complaint_target", "offer_human") == "<absent>");
    d.say("那个人");
    d.say("那个人");
    CHECK(d.first_key() == "invalid_complaint_target");
    CHECK(d.param("invalid_complaint_target", "offer_human") == "1");
  }
  SECTION("an unclear reason is asked again with the options; free text is \"other\" when configured") {
    driver d = complaint_driver();
    d.ctx.complaint_reasons.pop_back();  // no "other"
    d.say("我要投诉王工");
    d.say("9");
    CHECK(d.first_key() == "invalid_complaint_reason");
    CHECK(d.param("invalid_complaint_reason", "options").starts_with("1. 响应慢"));
    d.ctx.complaint_reasons = test_reasons();
    d.say("他把我家地板弄得很脏");
    CHECK(value(d.conv.values.complaint_reason) == "other");
  }
  SECTION("no reasons configured: the reason is not asked") {
    driver d = complaint_driver();
    d.ctx.complaint_reasons.clear();
    d.say("我要投诉王工");
    CHECK(d.first_key() == "ask_problem");
    CHECK_FALSE(d.conv.values.complaint_reason.has_value());
  }
  SECTION("a complaint about an engineer does not ask which washer") {
    driver d = complaint_driver();
    d.say("王工修洗衣机修了三次都没修好,我要投诉");
    CHECK(d.first_key() != "which_model");
    CHECK(value(d.conv.values.complaint_target) == "E02");
  }
  SECTION("a repair report that turns into a complaint keeps what it had and asks the complaint questions") {
    driver d = complaint_driver();
    d.say("ABC-2000 不脱水");
    CHECK(d.first_key() == "ask_serial");
    d.say("算了,我要投诉你们售后,上次修完又坏了");
    CHECK(value(d.conv.values.service_type) == "complaint");
    CHECK(value(d.conv.values.complaint_target) == "售后部");
    CHECK(value(d.conv.values.complaint_reason) == "repeat_failure");
    CHECK(value(d.conv.values.model) == "ABC-2000");
    CHECK(d.first_key() == "ask_phone");
  }
}

TEST_CASE("complaint state survives JSON, and older rows without it still load", "[dialogs][complaint][json]") {
  driver d = complaint_driver();
  d.ctx.engineers.push_back({"E04", "李娜"});
  d.say("我要投诉李工");
  const auto back = dialogs::conversation::from_json(d.conv.to_json());
  REQUIRE(back);
  CHECK(value(back->values.complaint_target_kind) == "engineer");
  CHECK(back->complaint_options == std::vector<std::string>{"E01", "E04"});
  CHECK(back->awaiting == dialogs::slot::complaint_target);

  const auto old = dialogs::conversation::from_json(
      R"({"version":1,"state":"collecting","awaiting":"phone","language":"zh-CN","slots":{"service_type":"repair"}})");
  REQUIRE(old);
  CHECK_FALSE(old->values.complaint_target_kind.has_value());
  CHECK_FALSE(old->values.complaint_target.has_value());
  CHECK_FALSE(old->values.complaint_reason.has_value());
  CHECK(old->complaint_options.empty());

  CHECK_FALSE(dialogs::conversation::from_json(
      R"({"version":1,"state":"collecting","awaiting":null,"slots":{"complaint_target_kind":"weather"}})"));
  CHECK(dialogs::to_string(dialogs::slot::complaint_target) == "complaint_target");
  CHECK(dialogs::to_string(dialogs::slot::complaint_reason) == "complaint_reason");
}
