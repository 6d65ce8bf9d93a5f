#pragma once
// Reads a customer's reply to the satisfaction survey ("请对本次服务评价:回复 1 满意 / 2 一般 /
// 3 不满意"): an option number, 1-5 stars, words (满意, 一般, 差评, satisfied, ok, bad), thumbs
// emoji, with an optional comment in the same message ("1 师傅很专业"). Pure; never throws.

#include <optional>
#include <string>
#include <string_view>

namespace dialogs {

enum class survey_score {
  satisfied,
  neutral,
  dissatisfied,
  unknown,    // no score in the message (chatter, a question, a new fault report)
  ambiguous,  // conflicting scores ("1 还是 3", "满意但差评"): ask once more
};

// "satisfied" | "neutral" | "dissatisfied" | "unknown" | "ambiguous" (the ticket's satisfaction
// uses the first three).
std::string_view to_string(survey_score s);

struct survey_reply {
  survey_score score = survey_score::unknown;
  std::string comment;       // the customer's words besides the score, as written; may be empty
  std::optional<int> stars;  // 1..5 when the customer rated in stars ("4星", "★★★★★", "5 stars")
};

// Parses `text` (any bytes; invalid UTF-8 is tolerated). Option numbers follow the survey
// question: 1 satisfied, 2 neutral, 3 dissatisfied; 4 and 5 can only be stars. Stars map 4-5 to
// satisfied, 3 to neutral, 1-2 to dissatisfied; "N分" out of 10 maps 8-10 / 5-7 / 0-4. A
// question ("一般多久能修好?") or a message without a score word is unknown, not a score.
// `language` ("zh-CN" | "en") only breaks ties in wording; both languages are always read.
survey_reply parse_survey_reply(std::string_view text, std::string_view language);

}  // namespace dialogs
