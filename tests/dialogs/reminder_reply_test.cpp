// Answers to a maintenance reminder: yes / no / anything else (left to the dialog).
#include "dialogs/reminder_reply.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using dialogs::reminder_answer;

TEST_CASE("Replies to a maintenance reminder are read as yes, no or not an answer", "[dialogs][reminder]") {
  const std::vector<std::pair<std::string, reminder_answer>> table{
      {"需要", reminder_answer::yes},
      {"需要的", reminder_answer::yes},
      {"需要,谢谢", reminder_answer::yes},
      {"  好的！", reminder_answer::yes},
      {"可以", reminder_answer::yes},
      {"Yes please", reminder_answer::yes},
      {"OK", reminder_answer::yes},
      {"ｙｅｓ", reminder_answer::yes},
      {"不需要", reminder_answer::no},
      {"不需要了", reminder_answer::no},
      {"不用了，谢谢", reminder_answer::no},
      {"暂时不需要", reminder_answer::no},
      {"No thanks", reminder_answer::no},
      {"no.", reminder_answer::no},
      {"", reminder_answer::none},
      {"？？", reminder_answer::none},
      {"需要换滤芯吗多少钱", reminder_answer::none},
      {"洗衣机坏了", reminder_answer::none},
      {"not sure what this is", reminder_answer::none},
      {"不需要维修,需要退货", reminder_answer::none},
      {"\xff\xfe", reminder_answer::none},
  };
  for (const auto& [text, expected] : table) {
    CAPTURE(text);
    CHECK(dialogs::read_reminder_answer(text) == expected);
  }
}
