#include "dialogs/commands.hpp"

#include "dialogs/extract_complaint.hpp"
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
      {slot::complaint_reason, {"投诉原因", "原因", "reason"}},
      {slot::complaint_target, {"投诉对象", "对象", "投诉谁", "target"}},
  };
  return words;
}

}  // namespace

namespace {

// Particles and courtesy words customers wrap a short answer in ("确认吧", "ok thanks").
std::string_view strip_particles(std::string_view a) {
  for (bool changed = true; changed;) {
    changed = false;
    const std::size_t before = a.size();
    // Not "了" / "的": they are part of the answers themselves ("解决了", "不修了", "对的").
    for (std::string_view p : {"谢谢", "谢谢你", "麻烦了", "吧", "啊", "呀", "哈", "哦", "嗯", "呢", "thanks",
                               "thank you", "please", "pls"}) {
      if (a.size() > p.size() && a.ends_with(p)) a.remove_suffix(p.size());
      if (a.size() > p.size() && a.starts_with(p)) a.remove_prefix(p.size());
    }
    for (std::string_view p : {"嗯", "哦", "好的,", "ok,"}) {
      if (a.size() > p.size() && a.starts_with(p)) a.remove_prefix(p.size());
    }
    a = trim_answer(a);
    changed = a.size() != before;
  }
  return a;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (find_word(text, w) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

command detect_command(std::string_view folded) {
  const std::string_view whole = trim_answer(folded);
  const std::string_view a = strip_particles(whole);
  const std::size_t length = code_points(a);
  if (one_of(a, {"取消", "取消报修", "取消吧", "不修了", "不用了", "不用修了", "算了", "算了吧", "不需要了", "取消工单",
                 "cancel", "cancel it", "stop", "quit", "never mind", "nevermind", "forget it", "cancel the request",
                 "cancel my request", "cancel this"}) ||
      (length <= 16 && contains_any(a, {"取消报修", "不修了", "不用修了", "cancel my request", "cancel the request",
                                        "cancel this request"}))) {
    return command::cancel;
  }
  if (one_of(a, {"重新开始", "重来", "重新来", "重新填写", "重新填", "从头开始", "从头来", "restart", "start over",
                 "start again", "reset", "begin again", "let's start over", "lets start over"})) {
    return command::restart;
  }
  if (one_of(a, {"帮助", "help", "菜单", "menu", "?", "？", "怎么弄", "怎么操作", "how does this work"})) {
    return command::help;
  }
  if (one_of(a, {"转人工", "人工", "人工客服", "人工服务", "找人工", "客服", "真人", "我要人工", "human", "agent",
                 "operator", "talk to a human", "speak to a human", "real person", "talk to a person",
                 "representative"}) ||
      (length <= 30 && contains_any(a, {"转人工", "人工客服", "人工服务", "找人工", "真人客服", "talk to a human",
                                        "speak to a human", "talk to a person", "speak to a person", "real person",
                                        "human agent", "talk to someone", "speak to someone", "live agent",
                                        "representative"}))) {
    return command::human;
  }
  if (one_of(a, {"进度", "查询进度", "查进度", "工单进度", "我的工单", "查询", "status", "my tickets", "my ticket",
                 "ticket status", "progress"}) ||
      asks_status(a) || asks_complaint_status(a)) {
    return command::status;
  }
  if (!find_ticket_number(a).empty()) {
    for (std::string_view w : {"进度", "查询", "查", "status", "progress", "check", "update", "到哪"}) {
      if (find_word(a, w) != std::string_view::npos) return command::status;
    }
    const std::string number = find_ticket_number(a);
    if (number.size() == a.size()) return command::status;
  }
  if (one_of(a, {"确认", "确定", "确认提交", "确定提交", "提交", "是", "是的", "对", "对的", "没问题", "好", "好的", "可以",
                 "没错", "确认无误", "无误", "正确", "都对", "信息正确", "对,提交", "是的,提交", "确认,提交", "ok提交",
                 "yes", "y", "ok", "okay", "confirm", "confirmed", "correct", "submit", "sure", "yes please",
                 "that's right", "thats right", "right", "yep", "yeah", "yup", "looks good", "all good", "all correct",
                 "that's correct", "go ahead", "yes, submit", "yes submit", "correct, submit", "confirm it",
                 "everything is correct", "all fine"})) {
    return command::confirm;
  }
  return command::none;
}

offer_answer read_offer_answer(std::string_view folded, std::string_view offer, bool strict) {
  const std::string_view a = strip_particles(trim_answer(folded));
  if (a.empty()) return offer_answer::none;
  const std::size_t length = code_points(a);
  if (offer == "kb") {
    // "No" first: most of them contain a "yes" word ("没解决" holds "解决").
    if (one_of(a, {"没有", "没", "不行", "没用", "no", "nope", "not really", "didn't help", "nah"}) ||
        (length <= 30 && contains_any(a, {"没解决", "没有解决", "还是不行", "还是没", "不管用", "没用", "没好", "不好使",
                                          "试过了", "试了", "依然", "仍然", "还是坏", "didn't work", "did not work",
                                          "doesn't work", "does not work", "not fixed", "still broken", "still not",
                                          "still doesn't", "no luck", "didn't fix", "did not fix", "no it",
                                          "no, it", "tried that", "already tried"}))) {
      return offer_answer::no;
    }
    if (one_of(a, {"解决了", "好了", "可以了", "修好了", "弄好了", "正常了", "搞定", "搞定了", "没问题了", "行了", "ok了",
                   "fixed", "solved", "resolved", "it worked", "that worked", "works now", "it works",
                   "it works now", "that fixed it", "yes that fixed it", "all good now"}) ||
        (length <= 30 && contains_any(a, {"解决了", "好了", "可以了", "行了", "恢复正常", "正常了", "修好了", "没事了",
                                          "that fixed it", "fixed it", "it worked", "that worked", "works now",
                                          "working now", "problem solved", "all good now", "sorted"}))) {
      return offer_answer::yes;
    }
    if (!strict && one_of(a, {"是", "是的", "yes", "yeah", "yep"})) return offer_answer::yes;
    return offer_answer::none;
  }
  if (offer == "duplicate") {
    if (one_of(a, {"不是", "新建", "新的", "不同", "另一个", "新问题", "no", "new", "new one", "different",
                   "create a new one", "new ticket", "a new ticket"}) ||
        (length <= 30 && contains_any(a, {"新建", "不是同一个", "另外一个", "另一台", "新的工单", "新问题", "不一样",
                                          "new ticket", "different problem", "different issue", "separate",
                                          "another one", "not the same"}))) {
      return offer_answer::no;
    }
    if (one_of(a, {"是", "是的", "对", "对的", "补充", "合并", "同一个", "yes", "yeah", "yep", "same", "add", "add it",
                   "add to it", "same one", "same problem", "same issue"}) ||
        (length <= 30 && contains_any(a, {"补充", "同一个", "加到", "合并", "原来的工单", "之前的工单", "还是那个",
                                          "same problem", "same issue", "same one", "add it", "add to", "existing"}))) {
      return offer_answer::yes;
    }
    return offer_answer::none;
  }
  if (offer == "serial") {
    if (one_of(a, {"不是", "不对", "错了", "no", "nope", "wrong", "not right"})) return offer_answer::no;
    if (one_of(a, {"是", "是的", "对", "对的", "没错", "正确", "嗯", "yes", "yeah", "yep", "correct", "right",
                   "that's right", "thats right", "ok", "好", "好的"})) {
      return offer_answer::yes;
    }
  }
  return offer_answer::none;
}

bool says_unknown(std::string_view folded) {
  const std::string_view a = trim_answer(folded);
  if (code_points(a) > 40) return false;
  return contains_any(a, {"不知道", "不清楚", "找不到", "没找到", "看不到", "看不清", "不记得", "记不清", "忘了",
                          "忘记了", "没有序列号", "没序列号", "don't know", "dont know", "do not know", "not sure",
                          "no idea", "can't find", "cannot find", "can't see", "can't remember", "cannot remember",
                          "don't remember", "dont remember", "forgot", "not sure", "unknown"});
}

int option_choice(std::string_view folded) {
  std::string_view a = strip_particles(trim_answer(folded));
  for (std::string_view p : {"选择", "选", "就是", "是", "要", "option", "number", "no.", "#", "the"}) {
    if (a.starts_with(p)) a = trim_answer(a.substr(p.size()));
  }
  for (std::string_view p : {"号", "个", "款", "台", "种", "one", "option"}) {
    if (a.ends_with(p) && a.size() > p.size()) a = trim_answer(a.substr(0, a.size() - p.size()));
  }
  if (a.size() == 1 && a[0] >= '1' && a[0] <= '9') return a[0] - '0';
  static constexpr std::pair<std::string_view, int> words[] = {
      {"第一", 1}, {"第二", 2}, {"第三", 3}, {"第四", 4}, {"第1", 1}, {"第2", 2}, {"第3", 3}, {"第4", 4},
      {"前面那", 1}, {"前一", 1}, {"后面那", 2}, {"后一", 2}, {"first", 1}, {"second", 2}, {"third", 3},
      {"fourth", 4}, {"1st", 1}, {"2nd", 2}, {"3rd", 3}, {"one", 1}, {"two", 2}, {"three", 3},
      {"一", 1}, {"二", 2}, {"三", 3}, {"四", 4}};
  for (const auto& [w, n] : words) {
    if (a == w) return n;
  }
  return 0;
}

bool asks_status(std::string_view folded) {
  const std::string_view a = trim_answer(folded);
  if (code_points(a) > 40) return false;
  if (contains_any(a, {"进度条", "投诉", "complain", "complaint"})) return false;
  return contains_any(a, {"进度", "到哪了", "到哪一步", "处理到哪", "处理得怎么样", "处理好了没", "修好了没",
                          "什么时候来", "什么时候上门", "怎么还没", "还没人联系", "有结果了吗", "工单状态", "查一下工单",
                          "查工单", "查询工单", "status of my", "my ticket status", "repair status", "check status",
                          "check the status", "any update", "any updates", "an update", "update on my",
                          "where is my ticket", "where's my ticket", "what's happening with my", "whats happening with my",
                          "when will the technician", "when is the technician", "when will someone", "is anyone coming",
                          "follow up on my", "following up on my"});
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
