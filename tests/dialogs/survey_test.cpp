// Survey replies: the parser on its own (a table of real reply shapes) and the survey state of
// the dialog (the bot puts a conversation into it with await_survey()).
#include "dialogs/intake.hpp"
#include "dialogs/survey.hpp"
#include "tests/dialogs/dialog_fixture.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;
using Keys = std::vector<std::string>;

TEST_CASE("parse_survey_reply reads numbers, stars, words and emoji with a comment", "[dialogs][survey]") {
  auto [text, language, score, comment] = GENERATE(table<std::string, std::string, std::string, std::string>({
      {"1", "zh-CN", "satisfied", ""},
      {"2", "zh-CN", "neutral", ""},
      {"3", "zh-CN", "dissatisfied", ""},
      {"1 师傅很专业", "zh-CN", "satisfied", "师傅很专业"},
      {"1,师傅很专业,谢谢", "zh-CN", "satisfied", "师傅很专业,谢谢"},
      {"３", "zh-CN", "dissatisfied", ""},
      {"3 等了三天才来", "zh-CN", "dissatisfied", "等了三天才来"},
      {"满意", "zh-CN", "satisfied", ""},
      {"非常满意!", "zh-CN", "satisfied", ""},
      {"很满意,师傅很耐心", "zh-CN", "satisfied", "师傅很耐心"},
      {"一般", "zh-CN", "neutral", ""},
      {"还行吧", "zh-CN", "neutral", ""},
      {"不满意", "zh-CN", "dissatisfied", ""},
      {"不太满意,修了两次才好", "zh-CN", "dissatisfied", "修了两次才好"},
      {"很差", "zh-CN", "dissatisfied", ""},
      {"差评", "zh-CN", "dissatisfied", ""},
      {"好评", "zh-CN", "satisfied", ""},
      {"五星好评", "zh-CN", "satisfied", ""},
      {"5星", "zh-CN", "satisfied", ""},
      {"4星,来得有点晚", "zh-CN", "satisfied", "来得有点晚"},
      {"3星", "zh-CN", "neutral", ""},
      {"1星", "zh-CN", "dissatisfied", ""},
      {"一星", "zh-CN", "dissatisfied", ""},
      {"★★★★★", "zh-CN", "satisfied", ""},
      {"★★☆☆☆", "zh-CN", "dissatisfied", ""},
      {"10分", "zh-CN", "satisfied", ""},
      {"👍", "zh-CN", "satisfied", ""},
      {"👎 太慢了", "zh-CN", "dissatisfied", "太慢了"},
      {"师傅很专业,满意", "zh-CN", "satisfied", "师傅很专业"},
      {"satisfied", "en", "satisfied", ""},
      {"very satisfied, great job", "en", "satisfied", ""},
      {"ok", "en", "neutral", ""},
      {"it was ok", "en", "neutral", "it was"},
      {"bad", "en", "dissatisfied", ""},
      {"not satisfied, took a week", "en", "dissatisfied", "took a week"},
      {"5 stars", "en", "satisfied", ""},
      {"4/5", "en", "satisfied", ""},
      {"2 stars, technician was late", "en", "dissatisfied", "technician was late"},
      {"not bad", "en", "neutral", ""},
      {"1 or 3", "zh-CN", "ambiguous", ""},
      {"满意,但是差评", "zh-CN", "ambiguous", ""},
      {"你好", "zh-CN", "unknown", ""},
      {"我的洗衣机又坏了", "zh-CN", "unknown", ""},
      {"一般多久能修好?", "zh-CN", "unknown", ""},
      {"13800135678", "zh-CN", "unknown", ""},
      {"when will the engineer come?", "en", "unknown", ""},
      {"", "zh-CN", "unknown", ""},
      {"\xff\xfe 1", "zh-CN", "unknown", ""},
  }));
  CAPTURE(text);
  const survey_reply r = parse_survey_reply(text, language);
  CHECK(to_string(r.score) == score);
  if (score != "ambiguous" && score != "unknown" && !comment.empty()) CHECK(r.comment == comment);
  if (comment.empty() && score != "ambiguous" && score != "unknown" && text.find(',') == std::string::npos &&
      text.find(' ') == std::string::npos) {
    CHECK(r.comment.empty());
  }
}

TEST_CASE("parse_survey_reply keeps stars", "[dialogs][survey]") {
  CHECK(parse_survey_reply("4星", "zh-CN").stars == std::optional<int>(4));
  CHECK(parse_survey_reply("★★★", "zh-CN").stars == std::optional<int>(3));
  CHECK_FALSE(parse_survey_reply("1", "zh-CN").stars);
}

SCENARIO("the dialog reads a survey reply when the bot awaits one", "[dialogs][survey][scenario]") {
  dialogs_test::driver d;
  d.conv.language = "zh-CN";
  d.conv = await_survey(d.conv, "SR20260512001", d.ctx.now);
  REQUIRE(d.conv.awaiting == slot::survey_score);
  WHEN("the customer rates with a comment") {
    CHECK(d.say("1 师傅很专业") == Keys{"survey_thanks"});
    REQUIRE(d.last.survey);
    CHECK(d.last.survey->ticket == "SR20260512001");
    CHECK(d.last.survey->score == "satisfied");
    CHECK(d.last.survey->comment == "师傅很专业");
    CHECK(d.conv.state == "completed");
  }
  WHEN("the customer is unhappy without saying why") {
    CHECK(d.say("不满意") == Keys{"survey_ask_comment"});
    CHECK(d.last.survey->score == "dissatisfied");
    CHECK(d.conv.awaiting == slot::survey_comment);
    CHECK(d.say("等了三天") == Keys{"survey_thanks"});
    CHECK(d.last.survey->score == "dissatisfied");
    CHECK(d.last.survey->comment == "等了三天");
  }
  WHEN("the reply is unclear, it is asked once more, then taken as a new message") {
    CHECK(d.say("嗯嗯") == Keys{"survey_unclear"});
    CHECK_FALSE(d.last.survey);
    CHECK(d.say("嗯嗯") == Keys{"ask_model"});
    CHECK(d.conv.state == "collecting");
  }
  WHEN("the customer reports a new fault instead") {
    CHECK(d.say("ABC-2000 又漏水了") == Keys{"ask_serial"});
    CHECK_FALSE(d.last.survey);
  }
}
