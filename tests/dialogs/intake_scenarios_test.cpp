// Whole conversations through dialogs::step, message by message.
#include "dialogs/intake.hpp"
#include "tests/dialogs/dialog_fixture.hpp"

#include <catch2/catch.hpp>

using dialogs::slot;
using dialogs_test::driver;
using Keys = std::vector<std::string>;

namespace {

// Drives a Chinese conversation up to the summary (ABC-2000 sample data).
void reach_summary(driver& d) {
  d.say("洗衣机坏了");
  d.say("ABC-2000");
  d.say("SN5612345");
  d.say("脱水时噪音很大,机身晃动");
  d.say("去年3月15号");
  d.say("2");
  d.say("13800135678");
  d.say("张先生");
  REQUIRE(d.keys() == Keys{"confirm_summary"});
}

}  // namespace

SCENARIO("the product.md WeChat sample conversation, step by step", "[dialogs][scenario]") {
  GIVEN("a new WeChat customer") {
    driver d;
    WHEN("they report a broken washing machine") {
      CHECK(d.say("洗衣机坏了") == Keys{"which_model"});
      THEN("the bot greets them and asks which of the washers it is") {
        CHECK(d.param("which_model", "greet") == "1");
        CHECK(d.param("which_model", "options") == "1. ABC-2000(滚筒洗衣机)、2. ABC-3000(波轮洗衣机)");
        CHECK(d.conv.state == "collecting");
        CHECK(d.conv.awaiting == slot::model);
        CHECK(d.conv.language == "zh-CN");
      }
      AND_WHEN("they answer every question as in the sample") {
        CHECK(d.say("ABC-2000") == Keys{"ask_serial"});
        CHECK(d.param("ask_serial", "greet") == "<absent>");
        CHECK(d.say("SN5612345") == Keys{"ask_problem"});
        CHECK(d.say("脱水时噪音很大,机身晃动") == Keys{"ask_purchase_date"});
        CHECK(d.say("去年3月15号") == Keys{"ask_service_method"});
        CHECK(d.conv.values.purchase_date == "2025-03-15");
        CHECK(d.say("2") == Keys{"ask_phone"});
        CHECK(d.say("13800135678") == Keys{"ask_name"});
        CHECK(d.conv.awaiting == slot::name);
        CHECK(d.say("张先生") == Keys{"confirm_summary"});
        THEN("the summary shows every answer, the warranty and the masked phone") {
          CHECK(d.conv.state == "confirming");
          CHECK(d.conv.awaiting == slot::confirm);
          CHECK(d.param("confirm_summary", "model") == "ABC-2000");
          CHECK(d.param("confirm_summary", "serial") == "SN5612345");
          CHECK(d.param("confirm_summary", "problem") == "脱水时噪音很大,机身晃动");
          CHECK(d.param("confirm_summary", "purchase_date") == "2025-03-15");
          CHECK(d.param("confirm_summary", "in_warranty") == "1");
          CHECK(d.param("confirm_summary", "out_of_warranty") == "<absent>");
          CHECK(d.param("confirm_summary", "method_onsite") == "1");
          CHECK(d.param("confirm_summary", "phone") == "138****5678");
          CHECK(d.param("confirm_summary", "name") == "张先生");
          CHECK_FALSE(d.last.ticket);
        }
        AND_WHEN("they confirm") {
          CHECK(d.say("确认") == Keys{"ticket_created"});
          THEN("a ticket draft carries every field") {
            REQUIRE(d.last.ticket);
            const dialogs::ticket_draft& t = *d.last.ticket;
            CHECK(t.type == "repair");
            CHECK(t.priority == "normal");
            CHECK(t.language == "zh-CN");
            CHECK(t.model == "ABC-2000");
            CHECK(t.serial == "SN5612345");
            CHECK(t.problem == "脱水时噪音很大,机身晃动");
            CHECK(t.purchase_date == "2025-03-15");
            CHECK_FALSE(t.purchase_date_approximate);
            CHECK(t.service_method == "onsite");
            CHECK(t.phone == "+8613800135678");
            CHECK(t.name == "张先生");
            CHECK(t.in_warranty == std::optional<bool>(true));
            CHECK(t.attachments.empty());
            CHECK(d.param("ticket_created", "ticket_number") == "");
            CHECK(d.conv.state == "completed");
            CHECK(d.conv.awaiting == slot::none);
          }
        }
      }
    }
  }
}

SCENARIO("an English conversation", "[dialogs][scenario]") {
  GIVEN("a customer writing in English") {
    driver d;
    WHEN("they name a product only one model matches and answer loosely") {
      CHECK(d.say("My washing machine is broken") == Keys{"ask_serial"});
      CHECK(d.param("ask_serial", "greet") == "1");
      CHECK(d.conv.language == "en");
      CHECK(d.say("sn 561 2345") == Keys{"ask_problem"});
      CHECK(d.say("It shakes violently when spinning") == Keys{"ask_purchase_date"});
      CHECK(d.say("last March") == Keys{"ask_service_method"});
      CHECK(d.say("on-site") == Keys{"ask_phone"});
      CHECK(d.say("(415) 555-0100") == Keys{"ask_name"});
      CHECK(d.say("My name is Ann Lee") == Keys{"confirm_summary"});
      THEN("the summary is right and confirming opens the ticket") {
        CHECK(d.param("confirm_summary", "purchase_date") == "2025-03-01");
        CHECK(d.param("confirm_summary", "approximate") == "1");
        CHECK(d.param("confirm_summary", "phone") == "415****0100");
        CHECK(d.say("yes") == Keys{"ticket_created"});
        REQUIRE(d.last.ticket);
        CHECK(d.last.ticket->language == "en");
        CHECK(d.last.ticket->model == "ABC-2000");
        CHECK(d.last.ticket->serial == "SN5612345");
        CHECK(d.last.ticket->phone == "+14155550100");
        CHECK(d.last.ticket->name == "Ann Lee");
        CHECK(d.last.ticket->service_method == "onsite");
        CHECK(d.last.ticket->purchase_date_approximate);
        CHECK(d.last.ticket->in_warranty == std::optional<bool>(true));
      }
    }
  }
}

SCENARIO("several slots in one message", "[dialogs][scenario]") {
  GIVEN("a new customer") {
    driver d;
    WHEN("the first message has a model, a serial and a phone number") {
      const auto keys = d.say("ABC-2000 坏了,序列号 SN5612345,电话 138 0013 5678");
      THEN("all three are kept and the bot asks for what is missing") {
        CHECK(keys == Keys{"ask_problem"});
        CHECK(d.param("ask_problem", "greet") == "1");
        CHECK(d.conv.values.model == "ABC-2000");
        CHECK(d.conv.values.serial == "SN5612345");
        CHECK(d.conv.values.phone == "+8613800135678");
      }
      AND_WHEN("a later answer holds date, method and name") {
        d.say("不脱水");
        CHECK(d.say("2025/3/15 买的,上门服务,我叫王芳") == Keys{"confirm_summary"});
        THEN("the summary is reached without further questions") {
          CHECK(d.conv.values.purchase_date == "2025-03-15");
          CHECK(d.conv.values.service_method == "onsite");
          CHECK(d.conv.values.name == "王芳");
        }
      }
    }
    WHEN("the model is typed in full-width forms") {
      CHECK(d.say("ＡＢＣ－２０００") == Keys{"ask_serial"});
      CHECK(d.conv.values.model == "ABC-2000");
    }
  }
}

SCENARIO("invalid answers are asked again with a hint, then a human is offered", "[dialogs][scenario]") {
  GIVEN("a customer asked for the serial") {
    driver d;
    d.say("ABC-2000");
    REQUIRE(d.conv.awaiting == slot::serial);
    WHEN("they send a wrong serial") {
      CHECK(d.say("SN12") == Keys{"invalid_serial"});
      THEN("the hint names the model and the serial's prefix") {
        CHECK(d.param("invalid_serial", "model") == "ABC-2000");
        CHECK(d.param("invalid_serial", "prefix") == "SN");
        CHECK(d.param("invalid_serial", "offer_human") == "<absent>");
        CHECK(d.conv.awaiting == slot::serial);
        CHECK(d.conv.reasks == 1);
      }
      AND_WHEN("they fail three times") {
        d.say("12345");
        CHECK(d.say("在哪里") == Keys{"invalid_serial"});
        THEN("a human is offered, and a valid serial moves on") {
          CHECK(d.param("invalid_serial", "offer_human") == "1");
          CHECK(d.say("SN5612345") == Keys{"ask_problem"});
          CHECK(d.conv.reasks == 0);
        }
      }
    }
  }
  GIVEN("a customer asked for the purchase date") {
    driver d;
    d.say("ABC-2000 SN5612345");
    d.say("不转了");
    REQUIRE(d.conv.awaiting == slot::purchase_date);
    THEN("a future date is refused and a garbled one gets the format hint") {
      CHECK(d.say("2027-01-01") == Keys{"future_date"});
      CHECK(d.param("future_date", "date") == "2027-01-01");
      CHECK_FALSE(d.conv.values.purchase_date);
      CHECK(d.say("很久以前") == Keys{"invalid_date"});
      CHECK(d.say("2024-02-29") == Keys{"ask_service_method"});
    }
    THEN("a wrong method and a wrong phone are asked again") {
      d.say("2024-02-29");
      CHECK(d.say("5") == Keys{"invalid_service_method"});
      CHECK(d.say("3") == Keys{"ask_phone"});
      CHECK(d.say("12345") == Keys{"invalid_phone"});
      CHECK(d.say("0086 138 0013 5678") == Keys{"ask_name"});
    }
  }
  GIVEN("a customer asked for the model") {
    driver d;
    d.say("你好");
    REQUIRE(d.conv.awaiting == slot::model);
    THEN("an unknown model gets the example, and a name fragment picks the product") {
      CHECK(d.say("QQ-9") == Keys{"unknown_model"});
      CHECK(d.param("unknown_model", "example") == "ABC-2000");
      CHECK(d.say("波轮的") == Keys{"ask_serial"});
      CHECK(d.conv.values.model == "ABC-3000");
    }
  }
}

SCENARIO("corrections at the summary", "[dialogs][scenario]") {
  GIVEN("a conversation at the summary") {
    driver d;
    reach_summary(d);
    WHEN("the customer asks to change the date") {
      CHECK(d.say("改一下日期") == Keys{"ask_purchase_date"});
      THEN("the new date shows in a new summary") {
        CHECK(d.conv.state == "collecting");
        CHECK(d.say("2024-01-10") == Keys{"confirm_summary"});
        CHECK(d.param("confirm_summary", "purchase_date") == "2024-01-10");
        CHECK(d.param("confirm_summary", "out_of_warranty") == "1");
      }
    }
    WHEN("the model was wrong and the new one has another serial format") {
      CHECK(d.say("型号错了,是XYZ-100") == Keys{"ask_serial"});
      THEN("the serial is asked again, then the summary comes back") {
        CHECK(d.conv.values.model == "XYZ-100");
        CHECK_FALSE(d.conv.values.serial);
        CHECK(d.say("XY123456") == Keys{"confirm_summary"});
        CHECK(d.param("confirm_summary", "model") == "XYZ-100");
      }
    }
    WHEN("the model was wrong but the serial fits the new one") {
      CHECK(d.say("型号错了,是 ABC-3000") == Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "model") == "ABC-3000");
      CHECK(d.param("confirm_summary", "serial") == "SN5612345");
    }
    WHEN("the customer gives a new phone number") {
      CHECK(d.say("change phone to 139 0013 5678") == Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "phone") == "139****5678");
    }
    WHEN("the customer rewrites the problem and the name") {
      CHECK(d.say("问题改成漏水") == Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "problem") == "漏水");
      CHECK(d.say("名字改成李四") == Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "name") == "李四");
    }
    WHEN("the answer is neither a confirmation nor a correction") {
      CHECK(d.say("嗯嗯") == Keys{"confirm_summary"});
      d.say("嗯嗯");
      CHECK(d.say("嗯嗯") == Keys{"confirm_summary"});
      THEN("the summary is shown again, offering a human after three tries") {
        CHECK(d.param("confirm_summary", "offer_human") == "1");
        CHECK_FALSE(d.last.ticket);
      }
    }
  }
}

SCENARIO("cancel, restart, help, human and status", "[dialogs][scenario]") {
  GIVEN("a conversation halfway through") {
    driver d;
    d.say("ABC-2000");
    d.say("SN5612345");
    WHEN("the customer cancels") {
      CHECK(d.say("取消") == Keys{"cancelled"});
      THEN("everything is forgotten and the next message starts anew") {
        CHECK(d.conv.state == "cancelled");
        CHECK_FALSE(d.conv.values.model);
        CHECK(d.say("你好") == Keys{"ask_model"});
        CHECK(d.param("ask_model", "greet") == "1");
      }
    }
    WHEN("the customer cancels in English") {
      CHECK(d.say("cancel") == Keys{"cancelled"});
    }
    WHEN("the customer restarts") {
      CHECK(d.say("重新开始") == Keys{"restarted", "ask_model"});
      CHECK(d.conv.state == "collecting");
      CHECK_FALSE(d.conv.values.serial);
      CHECK(d.say("start over") == Keys{"restarted", "ask_model"});
    }
    WHEN("the customer asks for help, a human or the status") {
      CHECK(d.say("帮助") == Keys{"help", "ask_problem"});
      CHECK(d.say("转人工") == Keys{"human_handoff", "ask_problem"});
      CHECK(d.last.human_requested);
      CHECK(d.param("human_handoff", "resume") == "1");
      CHECK(d.say("进度") == Keys{"status_unknown", "ask_problem"});
      CHECK(d.say("status SR20260512001") == Keys{"ticket_status", "ask_problem"});
      CHECK(d.param("ticket_status", "ticket_number") == "SR20260512001");
      CHECK(d.conv.values.serial == "SN5612345");
    }
  }
}

SCENARIO("idle conversations expire", "[dialogs][scenario]") {
  GIVEN("a conversation idle for longer than the timeout") {
    driver d;
    d.say("ABC-2000");
    d.say("SN5612345");
    CHECK_FALSE(dialogs::idle_expired(d.conv, d.ctx.now + 29 * 60, 30));
    CHECK(dialogs::idle_expired(d.conv, d.ctx.now + 31 * 60, 30));
    d.ctx.now += 31 * 60;
    WHEN("the customer writes again") {
      const auto keys = d.say("脱水噪音大");
      THEN("they are told, and a new intake starts") {
        CHECK(keys == Keys{"expired", "ask_model"});
        CHECK(d.conv.state == "collecting");
        CHECK_FALSE(d.conv.values.model);
        CHECK_FALSE(d.conv.values.serial);
      }
    }
  }
  GIVEN("a conversation the bot marked expired") {
    driver d;
    d.say("ABC-2000");
    d.conv.state = "expired";
    THEN("the next message starts anew, saying so") {
      CHECK(d.say("ABC-3000") == Keys{"expired", "ask_serial"});
      CHECK(d.conv.values.model == "ABC-3000");
    }
  }
}

SCENARIO("WeChat events", "[dialogs][scenario]") {
  GIVEN("a WeChat user") {
    driver d;
    WHEN("they subscribe") {
      CHECK(d.send(dialogs_test::event_message("subscribe")) == Keys{"welcome", "ask_model"});
      THEN("the intake starts and waits for the model") {
        CHECK(d.conv.state == "collecting");
        CHECK(d.conv.awaiting == slot::model);
        CHECK(d.param("welcome", "example") == "ABC-2000");
        CHECK(d.say("ABC-2000") == Keys{"ask_serial"});
      }
    }
    WHEN("they unsubscribe mid-intake") {
      d.say("ABC-2000");
      CHECK(d.send(dialogs_test::event_message("unsubscribe")).empty());
      CHECK(d.conv.state == "cancelled");
    }
    WHEN("they click the menu") {
      CHECK(d.send(dialogs_test::event_message("CLICK", "report_fault")) == Keys{"ask_model"});
      CHECK(d.conv.state == "collecting");
      CHECK(d.send(dialogs_test::event_message("CLICK", "my_tickets")) == Keys{"status_unknown"});
      d.conv.ticket = "SR20260512001";
      CHECK(d.send(dialogs_test::event_message("CLICK", "status")) == Keys{"ticket_status"});
      CHECK(d.param("ticket_status", "ticket_number") == "SR20260512001");
      CHECK(d.send(dialogs_test::event_message("VIEW", "https://example.com")).empty());
    }
  }
}

SCENARIO("emergencies get safety advice first and critical priority", "[dialogs][scenario]") {
  GIVEN("a customer whose washer is smoking") {
    driver d;
    const auto keys = d.say("洗衣机冒烟了,有焦味");
    THEN("safety advice comes first") {
      CHECK(keys == Keys{"safety_advice", "which_model"});
      CHECK(d.conv.values.service_type == "emergency");
      CHECK(d.conv.values.priority == "critical");
    }
    AND_WHEN("the intake completes") {
      // The phone comes first (the engineer calls back within 15 minutes); the first message
      // already described the problem, and the method is on-site without asking.
      CHECK(d.say("ABC-2000") == Keys{"ask_phone"});
      CHECK(d.param("ask_phone", "emergency") == "1");
      CHECK(d.conv.values.problem == "冒烟了,有焦味");
      CHECK(d.say("13800135678") == Keys{"ask_serial"});
      CHECK(d.say("SN5612345,焦味很重") == Keys{"ask_purchase_date"});  // advice is not repeated
      d.say("2025-03-15");
      CHECK(d.say("张先生") == Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "emergency") == "1");
      CHECK(d.param("confirm_summary", "method_onsite") == "1");
      d.say("确认");
      REQUIRE(d.last.ticket);
      CHECK(d.last.ticket->type == "emergency");
      CHECK(d.last.ticket->priority == "critical");
      CHECK(d.last.ticket->service_method == "onsite");
      CHECK(d.last.ticket->problem == "冒烟了,有焦味；焦味很重");
    }
  }
  GIVEN("a customer mentioning sparks in English mid-intake") {
    driver d;
    d.say("ABC-2000 SN5612345");
    CHECK(d.say("I saw sparks from the back") == Keys{"safety_advice", "ask_phone"});
  }
}

SCENARIO("service type and priority are inferred", "[dialogs][scenario]") {
  auto [first, type, priority] = GENERATE(table<std::string, std::string, std::string>({
      {"XYZ-100 想预约安装", "installation", "normal"},
      {"ABC-2000 我要退货", "return", "normal"},
      {"ABC-2000 我要投诉", "complaint", "normal"},
      {"XYZ-100 这个怎么用", "usage", "normal"},
      {"ABC-2000 坏了,很急", "repair", "urgent"},
      {"ABC-2000", "repair", "normal"},
  }));
  GIVEN("a first message: " + first) {
    driver d;
    d.say(first);
    d.say(d.conv.values.model == "XYZ-100" ? "XY123456" : "SN5612345");
    d.say("描述一下");
    d.say("2025-03-15");
    d.say("2");
    d.say("13800135678");
    d.say("张先生");
    REQUIRE(d.say("确认") == Keys{"ticket_created"});
    THEN("the ticket has type " + type + " and priority " + priority) {
      CHECK(d.last.ticket->type == type);
      CHECK(d.last.ticket->priority == priority);
    }
  }
}

SCENARIO("attachments and locations", "[dialogs][scenario]") {
  GIVEN("a customer asked for the serial") {
    driver d;
    d.say("ABC-2000");
    WHEN("they send a photo") {
      dialogs::inbound photo = dialogs_test::text_message("");
      photo.kind = "image";
      photo.attachments = {{"image", "MEDIA_ID_1"}};
      CHECK(d.send(photo) == Keys{"attachment_received", "ask_serial"});
      THEN("it is kept for the ticket") {
        CHECK(d.param("attachment_received", "image") == "1");
        REQUIRE(d.conv.attachments.size() == 1);
        CHECK(d.conv.attachments[0].ref == "MEDIA_ID_1");
      }
    }
    WHEN("they send a voice message with recognised text") {
      dialogs::inbound voice = dialogs_test::text_message("SN5612345");
      voice.kind = "voice";
      voice.attachments = {{"voice", "MEDIA_ID_2"}};
      CHECK(d.send(voice) == Keys{"attachment_received", "ask_problem"});
      CHECK(d.conv.values.serial == "SN5612345");
    }
    WHEN("they send their location") {
      dialogs::inbound where = dialogs_test::text_message("上海市浦东新区");
      where.kind = "location";
      CHECK(d.send(where) == Keys{"location_received", "ask_serial"});
    }
  }
}

SCENARIO("an SMS customer's number is offered as the contact phone", "[dialogs][scenario]") {
  driver d;
  dialogs::inbound m = dialogs_test::text_message("ABC-2000 SN5612345", "sms");
  m.sender = "+8613900000001";
  d.send(m);
  CHECK(d.conv.values.phone == "+8613900000001");
  d.say("漏水");
  d.say("2025-03-15");
  CHECK(d.say("3") == Keys{"ask_name"});  // the phone question is skipped
}

SCENARIO("understanding customers: options, negation, knowledge base, duplicates", "[dialogs][scenario]") {
  GIVEN("a which_model list") {
    driver d;
    d.say("洗衣机不转了");
    REQUIRE(d.conv.model_options.size() == 2);
    THEN("a number or an ordinal picks from it") {
      CHECK(d.say("2") == Keys{"ask_serial"});
      CHECK(d.conv.values.model == "ABC-3000");
      CHECK(d.conv.values.problem == "不转了");
    }
    THEN("an ordinal word picks from it") {
      CHECK(d.say("第一个") == Keys{"ask_serial"});
      CHECK(d.conv.values.model == "ABC-2000");
    }
  }
  GIVEN("a serial whose prefix names the product") {
    driver d;
    CHECK(d.say("净水器漏水,序列号XY123456") == Keys{"ask_purchase_date"});
    CHECK(d.conv.values.model == "XYZ-100");
  }
  GIVEN("a negated service method") {
    driver d;
    d.say("ABC-2000 SN5612345 不转了 2025-03-15");
    CHECK(d.say("不要上门,我自己送过去") == Keys{"ask_phone"});
    CHECK(d.conv.values.service_method == "carry_in");
  }
  GIVEN("a catalog with a self-service answer") {
    driver d;
    dialogs::catalog cat = dialogs_test::test_catalog();
    cat.knowledge.push_back({"KB001", {"ABC-2000"}, {"噪音", "noise"}, "噪音大", "地脚不平", "调平地脚", true});
    cat.prepare();
    d.ctx.products = &cat;
    CHECK(d.say("ABC-2000 脱水噪音很大") == Keys{"kb_offer", "ask_serial"});
    CHECK(d.param("kb_offer", "solution") == "调平地脚");
    WHEN("it solved the problem") {
      CHECK(d.say("解决了") == Keys{"kb_resolved"});
      CHECK(d.last.deflected);
      CHECK(d.last.knowledge_id == "KB001");
      CHECK_FALSE(d.last.ticket);
      CHECK(d.conv.state == "deflected");
    }
    WHEN("it did not") {
      CHECK(d.say("没有") == Keys{"kb_not_resolved", "ask_serial"});
      CHECK(d.say("SN5612345") == Keys{"ask_purchase_date"});
      CHECK(d.conv.knowledge_ids == std::vector<std::string>{"KB001"});
    }
  }
  GIVEN("an open ticket for the same serial") {
    driver d;
    d.ctx.open_tickets = {{"SR20260505007", "repair", "assigned", "accepted", "ABC-2000", "SN5612345", "2026-05-05"}};
    CHECK(d.say("ABC-2000 还是不转,SN5612345") == Keys{"duplicate_found", "ask_purchase_date"});
    WHEN("the customer says it is the same problem") {
      CHECK(d.say("补充到原来的工单") == Keys{"duplicate_added"});
      REQUIRE(d.last.addition);
      CHECK(d.last.addition->ticket == "SR20260505007");
      CHECK(d.last.addition->note == "还是不转");
      CHECK_FALSE(d.last.ticket);
    }
    WHEN("the customer just goes on") {
      CHECK(d.say("2025-03-15") == Keys{"ask_service_method"});
      CHECK(d.conv.values.purchase_date == "2025-03-15");
    }
    THEN("a status question names that ticket") {
      CHECK(d.say("我的工单到哪了") == Keys{"ticket_status", "ask_purchase_date"});
      CHECK(d.param("ticket_status", "ticket_number") == "SR20260505007");
      CHECK(d.param("ticket_status", "stage_accepted") == "1");
    }
  }
  GIVEN("a full report in one message") {
    driver d;
    THEN("the summary comes in one turn") {
      CHECK(d.say("ABC-2000洗衣机,序列号SN5612345,2025年3月15日买的,不脱水,上门维修,电话13800135678,张先生") ==
            Keys{"confirm_summary"});
      CHECK(d.param("confirm_summary", "greet") == "1");
    }
  }
  GIVEN("a conversation that switches language") {
    driver d;
    d.say("洗衣机坏了");
    CHECK(d.conv.language == "zh-CN");
    d.say("Sorry, can we speak English please");
    CHECK(d.conv.language == "en");
  }
}
