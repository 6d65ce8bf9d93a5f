#pragma once
// Whole-message commands a customer may send at any point of the intake, and the words that
// name a slot when they ask to change it.

#include "dialogs/intake.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace dialogs {

enum class command { none, cancel, restart, help, human, status, confirm };

// The command the whole message is (after trimming punctuation): "取消"/"cancel",
// "重新开始"/"restart"/"start over", "帮助"/"help", "转人工"/"human", "进度"/"status"
// (also "status SR20260512001"), "确认"/"是"/"yes"/"ok"/"confirm". Commands are matched
// against the whole answer, not searched for, so a problem description that mentions "取消"
// is still a description. Returns command::none otherwise.
command detect_command(std::string_view folded);

// The answer to a yes/no offer made with the previous reply.
enum class offer_answer { none, yes, no };

// Reads an answer to the offer `offer` ("kb": did this solution fix it? "duplicate": add this to
// your open ticket? "serial": did you mean this serial?). Whole-answer matching with a few
// leading/trailing particles allowed ("解决了,谢谢", "no, still broken", "是同一个问题").
// `strict` (the offer went out with the confirmation summary, where "yes"/"确认" means
// submit) accepts only explicit words ("解决了", "fixed") as yes for "kb".
offer_answer read_offer_answer(std::string_view folded, std::string_view offer, bool strict);

// True when the customer says they cannot give the answer ("找不到", "不知道", "忘了",
// "don't know", "can't find it").
bool says_unknown(std::string_view folded);

// A choice from a numbered list: "1", "2号", "第二个", "选1", "the first one", "second" → 1-based
// position; 0 when the answer is not a choice.
int option_choice(std::string_view folded);

// True when a message asks about an existing ticket ("我的工单到哪了", "维修进度",
// "any update on my repair?"): short, with a progress word, not a fault description.
bool asks_status(std::string_view folded);

// A ticket number ("SR" + 8-digit date + at least 3 digits) in `folded`, upper-cased; empty
// when there is none.
std::string find_ticket_number(std::string_view folded);

// The slot a correction names ("改一下日期", "型号错了", "change phone"), when the message
// reads as a correction (it has a change word or names the slot as wrong). nullopt otherwise.
std::optional<slot> correction_target(std::string_view folded);

// Where the new value of a free-text slot starts in a correction ("问题改成漏水" -> "漏水",
// "change name to Ann" -> "Ann"); npos when nothing follows the slot word.
std::size_t correction_value_at(std::string_view folded, slot target);

}  // namespace dialogs
