#include "dialogs/commands.hpp"

#include "dialogs/text.hpp"

#include <array>
#include <initializer_list>
#include <utility>
#include <vector>

namespace dialogs {
namespace {

bool one_of(std::string_view answer, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (answer == w) return true;
  }
  return false;
}

// The words that name each slot, longest first within a slot.
const std::vector<std::pair<slot, std::vector<std::string_view>>>& slot_words() {
  static const std::vector<std::pair<slot, std::vector<std::string_view>>> words = {
      {slot::purchase_date, {"购买日期", "购买时间", "购买", "日期", "时间", "purchase date", "date", "purchased"}},
      {slot::serial, {"序列号", "机身号", "编号", "serial number", "serial", "s/n", "sn"}},
      {slot::model, {"型号", "产品", "model", "product"}},
      {slot::problem, {"故障", "问题", "现象", "描述", "problem", "issue", "fault", "description"}},
      {slot::service_method, {"服务方式", "方式", "上门", "service method", "method", "visit"}},
      {slot::phone, {"联系电话", "电话", "手机", "号码", "phone number", "phone", "mobile", "number"}},
      {slot::name, {"姓名", "名字", "称呼", "名称", "name"}},
  };
  return words;
}

}  // namespace

command detect_command(std::string_view folded) {
  const std::string_view a = trim_answer(folded);
  if (one_of(a, {"取消", "取消报修", "取消吧", "不修了", "不用了", "cancel", "cancel it", "stop", "quit"})) {
    return command::cancel;
  }
  if (one_of(a, {"重新开始", "重来", "重新来", "重新填写", "重新填", "restart", "start over", "start again", "reset"})) {
    return command::restart;
  }
  if (one_of(a, {"帮助", "help", "菜单", "menu", "?", "？"})) return command::help;
  if (one_of(a, {"转人工", "人工", "人工客服", "人工服务", "找人工", "客服", "human", "agent", "operator",
                 "talk to a human", "speak to a human", "real person", "talk to a person"})) {
    return command::human;
  }
  if (one_of(a, {"进度", "查询进度", "查进度", "工单进度", "我的工单", "查询", "status", "my tickets", "my ticket",
                 "ticket status", "progress"})) {
    return command::status;
  }
  if (!find_ticket_number(a).empty()) {
    for (std::string_view w : {"进度", "查询", "查", "status", "progress", "check"}) {
      if (find_word(a, w) != std::string_view::npos) return command::status;
    }
    const std::string number = find_ticket_number(a);
    if (number.size() == a.size()) return command::status;
  }
  if (one_of(a, {"确认", "确定", "确认提交", "提交", "是", "是的", "对", "对的", "没问题", "好", "好的", "可以",
                 "yes", "y", "ok", "okay", "confirm", "confirmed", "correct", "submit", "sure", "yes please",
                 "that's right", "right"})) {
    return command::confirm;
  }
  return command::none;
}

std::string find_ticket_number(std::string_view folded) {
  for (std::size_t pos = folded.find("sr"); pos != std::string_view::npos; pos = folded.find("sr", pos + 1)) {
    if (pos > 0 && is_ascii_alnum(folded[pos - 1])) continue;
    std::size_t end = pos + 2;
    while (end < folded.size() && is_ascii_digit(folded[end])) ++end;
    const std::size_t digits = end - pos - 2;
    if (digits >= 11 && digits <= 16 && (end == folded.size() || !is_ascii_alpha(folded[end]))) {
      return "SR" + std::string(folded.substr(pos + 2, digits));
    }
  }
  return {};
}

std::optional<slot> correction_target(std::string_view folded) {
  const bool change_word = [&] {
    for (std::string_view w : {"改", "修改", "更改", "更正", "错了", "不对", "写错", "填错", "换成", "应该是",
                               "change", "wrong", "correct", "update", "fix", "edit", "not right", "mistake"}) {
      if (find_word(folded, w) != std::string_view::npos) return true;
    }
    return false;
  }();
  if (!change_word) return std::nullopt;
  // The earliest slot word decides ("把电话改一下,名字没错" is about the phone).
  std::optional<slot> best;
  std::size_t best_pos = std::string_view::npos;
  for (const auto& [s, words] : slot_words()) {
    for (std::string_view w : words) {
      const std::size_t pos = find_word(folded, w);
      if (pos < best_pos) {
        best_pos = pos;
        best = s;
      }
    }
  }
  return best;
}

std::size_t correction_value_at(std::string_view folded, slot target) {
  for (const auto& [s, words] : slot_words()) {
    if (s != target) continue;
    for (std::string_view w : words) {
      const std::size_t pos = find_word(folded, w);
      if (pos == std::string_view::npos) continue;
      std::size_t at = pos + w.size();
      // Skip the joining words between the slot and its new value.
      bool moved = true;
      while (moved) {
        moved = false;
        while (at < folded.size() && (folded[at] == ' ' || folded[at] == ':' || folded[at] == ',')) {
          ++at;
          moved = true;
        }
        for (std::string_view join : {"改成", "改为", "应该是", "换成", "错了", "不对", "是", "为", "改",
                                      "一下", "to", "is", "should be", "was wrong", "wrong", "，"}) {
          const bool ascii = is_ascii_alpha(join.front());
          const std::size_t after_join = at + join.size();
          // An English joining word must end at a word boundary: "to tom" keeps "tom".
          if (ascii && after_join < folded.size() && is_ascii_alnum(folded[after_join])) continue;
          if (folded.substr(at).starts_with(join)) {
            at += join.size();
            moved = true;
          }
        }
      }
      if (!trim_answer(folded.substr(at)).empty()) return at;
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

}  // namespace dialogs
