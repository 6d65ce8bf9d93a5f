// The date a customer wants the service by, as a table: what counts (forward-looking words near
// a day that is today or later), what does not (purchase dates, the day a fault began, past and
// impossible dates, days the customer rules out), and which words the dialog masks. Then the
// slot in the dialog: volunteered, never asked, shown at the summary, on the draft.
#include "dialogs/extract_requested_date.hpp"

#include "dialogs/extract_date.hpp"
#include "dialogs/text.hpp"
#include "tests/dialogs/dialog_fixture.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

namespace {

constexpr local_date tuesday{2026, 5, 12};  // a Tuesday

std::string read(std::string_view language, std::string_view text, local_date today = tuesday) {
  const folded_text folded = fold(text);
  const auto m = extract_requested_date(folded.text, today, language);
  return m ? format_date(m->date) : std::string{};
}

}  // namespace

TEST_CASE("extract_requested_date reads the day a customer wants the service by", "[dialogs][requested_date]") {
  auto [language, input, expected] = GENERATE(table<std::string, std::string, std::string>({
      // Chinese: relative days, weekdays, days of the month, full dates, spans.
      {"zh-CN", "希望明天上门", "2026-05-13"},
      {"zh-CN", "希望后天上门", "2026-05-14"},
      {"zh-CN", "大后天来修吧", "2026-05-15"},
      {"zh-CN", "今天能上门吗", "2026-05-12"},
      {"zh-CN", "周六来修可以吗", "2026-05-16"},
      {"zh-CN", "星期天过来看看", "2026-05-17"},
      {"zh-CN", "礼拜二来", "2026-05-12"},
      {"zh-CN", "周一来修", "2026-05-18"},
      {"zh-CN", "下周一上午来", "2026-05-18"},
      {"zh-CN", "下星期五下午3点前上门", "2026-05-22"},
      {"zh-CN", "这周五之前修好", "2026-05-15"},
      {"zh-CN", "周末在家,来修吧", "2026-05-16"},
      {"zh-CN", "请在11月28日前上门", "2026-11-28"},
      {"zh-CN", "请在十一月二十八号之前上门", "2026-11-28"},
      {"zh-CN", "28号之前修好", "2026-05-28"},
      {"zh-CN", "10号前来修", "2026-06-10"},
      {"zh-CN", "下个月3号上门", "2026-06-03"},
      {"zh-CN", "月底前安排师傅", "2026-05-31"},
      {"zh-CN", "3天内上门", "2026-05-15"},
      {"zh-CN", "两天之内能来吗", "2026-05-14"},
      {"zh-CN", "最好2026年6月1日上门", "2026-06-01"},
      {"zh-CN", "预约2026-05-20", "2026-05-20"},
      {"zh-CN", "空调不制冷,希望明天上门", "2026-05-13"},
      {"zh-CN", "去年3月买的,希望周六来修", "2026-05-16"},
      {"zh-CN", "明天不方便,后天来吧", "2026-05-14"},
      {"zh-CN", "明天不在家,后天来", "2026-05-14"},
      {"zh-CN", "住在3号线附近,明天来修", "2026-05-13"},
      {"zh-CN", "今天早上开始漏水,明天能派师傅来吗", "2026-05-13"},
      {"zh-CN", "明天来,不对,后天来吧", "2026-05-14"},
      // English.
      {"en", "please come tomorrow", "2026-05-13"},
      {"en", "Please come tomorrow morning", "2026-05-13"},
      {"en", "by Friday", "2026-05-15"},
      {"en", "I need it fixed by Friday", "2026-05-15"},
      {"en", "before 28 Nov", "2026-11-28"},
      {"en", "can someone come before November 28th?", "2026-11-28"},
      {"en", "could you send a technician on Monday", "2026-05-18"},
      {"en", "please come next Monday", "2026-05-18"},
      {"en", "can you come this Friday", "2026-05-15"},
      {"en", "can you come the day after tomorrow", "2026-05-14"},
      {"en", "I'm home on Saturday, please visit", "2026-05-16"},
      {"en", "please repair it by the 28th", "2026-05-28"},
      {"en", "can a technician come within 3 days", "2026-05-15"},
      {"en", "please come by the end of the month", "2026-05-31"},
      {"en", "the washer is leaking, please come today", "2026-05-12"},
      {"en", "tomorrow doesn't work, please come on Thursday", "2026-05-14"},
      // Purchase dates, fault starts and past days: never.
      {"zh-CN", "去年3月买的", ""},
      {"zh-CN", "2024年5月购买", ""},
      {"zh-CN", "3月15号买的", ""},
      {"zh-CN", "12月15号买的,希望尽快上门", ""},
      {"zh-CN", "11月28日前买的", ""},
      {"zh-CN", "今天开始漏水", ""},
      {"zh-CN", "昨天坏了,来修吧", ""},
      {"zh-CN", "上周六来修过一次", ""},
      {"zh-CN", "前天上门看过", ""},
      {"zh-CN", "2025年12月1日前上门", ""},
      {"zh-CN", "这周一来修", ""},
      {"zh-CN", "3月15日前上门", ""},
      {"en", "bought last March", ""},
      {"en", "I bought it on 15 March 2025, please come", ""},
      {"en", "it broke down today and I need someone", ""},
      {"en", "please come on 2026-05-10", ""},
      {"en", "a technician came last Friday", ""},
      // No forward-looking words, or the customer rules the day out.
      {"zh-CN", "明天", ""},
      {"zh-CN", "今天打电话给我", ""},
      {"zh-CN", "明天不要来", ""},
      {"zh-CN", "明天没空", ""},
      {"zh-CN", "师傅周六来过了", ""},
      {"zh-CN", "每周六都在家", ""},
      {"zh-CN", "一周前坏了", ""},
      {"zh-CN", "还在保修期,明天", ""},
      {"en", "tomorrow", ""},
      {"en", "it stopped working today", ""},
      {"en", "I can't do tomorrow", ""},
      {"en", "c'mon, it broke again", ""},
      // Malformed or no date at all.
      {"zh-CN", "2月30日前上门", ""},
      {"zh-CN", "13月5号前上门", ""},
      {"zh-CN", "32号前上门", ""},
      {"zh-CN", "人民路28号楼,希望尽快上门", ""},
      {"zh-CN", "序列号SN5612345,电话13800135678,上门", ""},
      {"zh-CN", "3月前上门", ""},
      {"zh-CN", "", ""},
      {"en", "model ABC-2000, please come", ""},
  }));
  CAPTURE(language, input);
  CHECK(read(language, input) == expected);
}

TEST_CASE("a day without a year is the next one to come, across the new year", "[dialogs][requested_date]") {
  constexpr local_date december{2026, 12, 20};
  CHECK(read("zh-CN", "请在1月5日前上门", december) == "2027-01-05");
  CHECK(read("en", "please come before Jan 5", december) == "2027-01-05");
  CHECK(read("zh-CN", "5号之前修好", december) == "2027-01-05");
  CHECK(read("zh-CN", "下周一来", december) == "2026-12-21");
  CHECK(read("zh-CN", "月底前上门", december) == "2026-12-31");
  // Far from the turn of the year, a day that went by is simply past.
  CHECK(read("zh-CN", "请在6月1日前上门", december).empty());
}

TEST_CASE("the masked words cover the day and what binds to it, not the visit words", "[dialogs][requested_date]") {
  auto [input, masked] = GENERATE(table<std::string, std::string>({
      {"希望明天上门", "明天"},
      {"下周一上午来", "下周一上午"},
      {"请在11月28日前上门", "11月28日前"},
      {"28号之前修好", "28号之前"},
      {"please come tomorrow morning", "tomorrow morning"},
      {"by friday", "friday"},
  }));
  CAPTURE(input);
  const folded_text folded = fold(input);
  const auto m = extract_requested_date(folded.text, tuesday, "zh-CN");
  REQUIRE(m);
  CHECK(folded.text.substr(m->where.begin, m->where.end - m->where.begin) == masked);
}

TEST_CASE("extract_requested_date survives any bytes", "[dialogs][requested_date]") {
  for (std::string_view text : {std::string_view("\xff\xfe明天来"), std::string_view("周"), std::string_view("下个月"),
                                std::string_view("28号"), std::string_view("the"), std::string_view("in 99 days"),
                                std::string_view("明天\x1f\x1f来")}) {
    CAPTURE(text);
    CHECK_NOTHROW(extract_requested_date(fold(text).text, tuesday, "zh-CN"));
  }
  // An impossible "today" reads nothing.
  CHECK_FALSE(extract_requested_date("明天来", local_date{2026, 2, 30}, "zh-CN"));
}

// ---- in the dialog: volunteered, never asked, shown at the summary, on the draft ----

SCENARIO("a requested date volunteered during the intake", "[dialogs][scenario][requested_date]") {
  using Keys = std::vector<std::string>;
  GIVEN("a customer who names the day in the first message") {
    dialogs_test::driver d;
    d.say("ABC-2000 脱水时噪音很大,希望后天上门");
    THEN("it is kept, the visit words still give the method, the day stays out of the problem") {
      CHECK(d.conv.values.requested_date == "2026-05-14");
      CHECK(d.conv.values.service_method == "onsite");
      CHECK(d.conv.values.problem == "脱水时噪音很大");
      CHECK(d.conv.awaiting == slot::serial);
      CHECK(d.conv.to_json().find("\"requested_date\":\"2026-05-14\"") != std::string::npos);
    }
    WHEN("the intake reaches the summary") {
      d.say("SN5612345");
      d.say("2025-03-15");
      d.say("13800135678");
      CHECK(d.say("张先生") == Keys{"confirm_summary"});
      THEN("the summary shows it and the ticket carries it") {
        CHECK(d.param("confirm_summary", "requested_date") == "2026-05-14");
        AND_WHEN("the customer moves it at the summary") {
          CHECK(d.say("改到周六来吧") == Keys{"confirm_summary"});
          CHECK(d.param("confirm_summary", "requested_date") == "2026-05-16");
          CHECK(d.conv.reasks == 0);
          d.say("确认");
          REQUIRE(d.last.ticket);
          CHECK(d.last.ticket->requested_date == "2026-05-16");
        }
      }
    }
  }
  GIVEN("a customer asked for the serial") {
    dialogs_test::driver d;
    d.say("ABC-2000 不脱水");
    REQUIRE(d.conv.awaiting == slot::serial);
    WHEN("they only say when to come") {
      const auto keys = d.say("明天来修可以吗");
      THEN("the serial is asked again as it was, not called a wrong answer") {
        CHECK(keys == Keys{"ask_serial"});
        CHECK(d.conv.reasks == 0);
        CHECK(d.conv.values.requested_date == "2026-05-13");
      }
    }
  }
  GIVEN("a customer without a date") {
    dialogs_test::driver d;
    d.say("ABC-2000 不脱水,序列号 SN5612345,去年3月买的,上门,电话13800135678,我叫王芳");
    THEN("the summary has no date and the ticket none") {
      CHECK(d.param("confirm_summary", "requested_date") == "<absent>");
      d.say("确认");
      REQUIRE(d.last.ticket);
      CHECK(d.last.ticket->requested_date.empty());
    }
  }
  GIVEN("a complaint that recounts a promised visit") {
    dialogs_test::driver d;
    d.say("我要投诉,说好明天上门的,结果没人来");
    THEN("no requested date is taken") { CHECK_FALSE(d.conv.values.requested_date); }
  }
  GIVEN("an intake that waits over midnight") {
    dialogs_test::driver d;
    d.say("ABC-2000 不脱水,今天能上门修吗,序列号 SN5612345,去年3月买的,电话13800135678,我叫王芳");
    REQUIRE(d.conv.values.requested_date == "2026-05-12");
    d.ctx.today = {2026, 5, 13};
    d.say("确认");
    THEN("the day that went by is not on the draft") {
      REQUIRE(d.last.ticket);
      CHECK(d.last.ticket->requested_date.empty());
    }
  }
}
