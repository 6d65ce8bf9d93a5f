// Service method, service type, name and command extractors.
#include "dialogs/commands.hpp"
#include "dialogs/extract_name.hpp"
#include "dialogs/extract_service_method.hpp"
#include "dialogs/extract_service_type.hpp"

#include <catch2/catch.hpp>

using namespace dialogs;

TEST_CASE("extract_service_method reads numbers and words", "[dialogs][method]") {
  auto [input, awaited, expected] = GENERATE(table<std::string, bool, std::string>({
      {"1", true, "remote"},
      {"2", true, "onsite"},
      {"３", true, "carry_in"},
      {"2。", true, "onsite"},
      {"选2", true, "onsite"},
      {"远程", true, "remote"},
      {"上门", true, "onsite"},
      {"到店", true, "carry_in"},
      {"remote", true, "remote"},
      {"onsite", true, "onsite"},
      {"on-site please", true, "onsite"},
      {"can you come to my house", true, "onsite"},
      {"I can carry in", true, "carry_in"},
      {"I'll bring it in", true, "carry_in"},
      {"4", true, ""},
      {"12", true, ""},
      {"2", false, ""},
      {"the remote is broken", false, ""},
      {"请上门维修", false, "onsite"},
      {"随便", true, ""},
  }));
  CAPTURE(input, awaited);
  const auto m = extract_service_method(fold(input).text, awaited);
  CHECK((m ? m->method : std::string()) == expected);
}

TEST_CASE("infer_service_type picks type and priority from keywords", "[dialogs][type]") {
  auto [input, type, priority] = GENERATE(table<std::string, std::string, std::string>({
      {"洗衣机坏了", "repair", ""},
      {"洗衣机冒烟了", "emergency", "critical"},
      {"插座漏电", "emergency", "critical"},
      {"有焦味", "emergency", "critical"},
      {"there is smoke coming out", "emergency", "critical"},
      {"I saw sparks", "emergency", "critical"},
      {"burning smell", "emergency", "critical"},
      {"想预约安装", "installation", ""},
      {"I need an install", "installation", ""},
      {"我要退货", "return", ""},
      {"换货", "return", ""},
      {"I want to return it", "return", ""},
      {"我要投诉", "complaint", ""},
      {"I want to complain", "complaint", ""},
      {"这个怎么用", "usage", ""},
      {"how to clean the filter", "usage", ""},
      {"很急,洗衣机坏了", "repair", "urgent"},
      {"urgent: washer broken", "repair", "urgent"},
      {"你好", "", ""},
      {"firewall", "", ""},
  }));
  CAPTURE(input);
  const auto hint = infer_service_type(fold(input).text);
  CHECK(hint.type == type);
  CHECK(hint.priority == priority);
}

TEST_CASE("extract_name finds self-introductions", "[dialogs][name]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"我叫张伟", "张伟"},
      {"你好,我叫张伟,电话13800135678", "张伟"},
      {"姓名:李娜", "李娜"},
      {"my name is ann lee.", "ann lee"},
      {"name: bob", "bob"},
      {"洗衣机坏了", ""},
  }));
  CAPTURE(input);
  const auto m = extract_name(fold(input).text);
  CHECK((m ? m->name : std::string()) == expected);
}

TEST_CASE("name_from_answer trims and cuts free-text names", "[dialogs][name]") {
  CHECK(name_from_answer(" 张先生。") == "张先生");
  CHECK(name_from_answer("My name is Ann Lee") == "Ann Lee");
  CHECK(name_from_answer("123") == "");
  CHECK(name_from_answer("...") == "");
  CHECK(code_points(name_from_answer(std::string(100, 'x'))) == max_name_code_points);
}

TEST_CASE("detect_command matches whole answers only", "[dialogs][commands]") {
  auto [input, expected] = GENERATE(table<std::string, command>({
      {"取消", command::cancel},
      {"取消。", command::cancel},
      {"Cancel", command::cancel},
      {"重新开始", command::restart},
      {"start over", command::restart},
      {"restart", command::restart},
      {"帮助", command::help},
      {"help", command::help},
      {"转人工", command::human},
      {"human", command::human},
      {"进度", command::status},
      {"status SR20260512001", command::status},
      {"SR20260512001", command::status},
      {"确认", command::confirm},
      {"是", command::confirm},
      {"yes", command::confirm},
      {"OK", command::confirm},
      {"confirm", command::confirm},
      {"我想取消上次的预约然后重新开始", command::none},
      {"洗衣机坏了", command::none},
      {"", command::none},
  }));
  CAPTURE(input);
  CHECK(detect_command(fold(input).text) == expected);
}

TEST_CASE("correction_target names the slot to change", "[dialogs][commands]") {
  auto [input, expected] = GENERATE(table<std::string, slot>({
      {"改一下日期", slot::purchase_date},
      {"型号错了,是XYZ-100", slot::model},
      {"change phone to 13800135678", slot::phone},
      {"序列号写错了", slot::serial},
      {"名字改成李四", slot::name},
      {"问题改成漏水", slot::problem},
      {"the date is wrong", slot::purchase_date},
      {"改一下服务方式", slot::service_method},
      {"日期", slot::none},
      {"不对", slot::none},
  }));
  CAPTURE(input);
  CHECK(correction_target(fold(input).text).value_or(slot::none) == expected);
}

TEST_CASE("correction_value_at finds the new value after the slot word", "[dialogs][commands]") {
  const std::string text = fold("名字改成李四").text;
  const std::size_t at = correction_value_at(text, slot::name);
  REQUIRE(at != std::string::npos);
  CHECK(text.substr(at) == "李四");
  const std::string english = fold("change name to tom").text;
  CHECK(english.substr(correction_value_at(english, slot::name)) == "tom");
  CHECK(correction_value_at(fold("改一下名字").text, slot::name) == std::string::npos);
}
