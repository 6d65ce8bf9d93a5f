#pragma once
// The answer to a proactive offer the bot sent on its own (a maintenance reminder: "reply 需要
// to book a visit, 不需要 to skip this one"). Pure; never throws.

#include <string_view>

namespace dialogs {

enum class reminder_answer { none, yes, no };

// Whole-answer matching after folding and trimming punctuation, with a few polite words
// allowed around it ("需要,谢谢", "不需要了", "yes please", "no thanks"). Anything else —
// a fault report, a question — is `none`, so the dialog handles it as usual.
reminder_answer read_reminder_answer(std::string_view text);

}  // namespace dialogs
