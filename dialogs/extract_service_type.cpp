#include "dialogs/extract_service_type.hpp"

#include "dialogs/text.hpp"

#include <initializer_list>

namespace dialogs {
namespace {

bool mentions(std::string_view folded, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (find_word(folded, w) != std::string_view::npos) return true;
  }
  return false;
}

// True when `word` occurs without one of `negations` right before it ("急" but not "不急").
bool mentions_plainly(std::string_view folded, std::string_view word,
                      std::initializer_list<std::string_view> negations) {
  for (std::size_t pos = find_word(folded, word); pos != std::string_view::npos;
       pos = find_word(folded, word, pos + 1)) {
    bool negated = false;
    for (std::string_view n : negations) {
      if (pos >= n.size() && folded.substr(pos - n.size(), n.size()) == n) negated = true;
    }
    if (!negated) return true;
  }
  return false;
}

}  // namespace

service_type_hint infer_service_type(std::string_view folded) {
  service_type_hint hint;
  // Safety first: the product brief forces critical priority on these, whatever else is said.
  if (mentions(folded, {"冒烟", "冒火", "起火", "着火", "失火", "漏电", "触电", "电到", "电了我", "麻手", "焦味",
                        "焦糊味", "烧焦", "糊味", "火花", "打火", "发烫", "烫手", "异常发热", "发热严重", "爆炸",
                        "冒火星", "短路", "smoke", "smoking", "smoked", "sparks", "sparking", "spark",
                        "burning", "burnt smell", "burning smell", "smells burnt", "on fire", "caught fire",
                        "flames", "electric shock", "shocked me", "got shocked", "gave me a shock",
                        "leaking electricity", "overheating", "too hot to touch", "exploded", "explosion",
                        "melting", "melted"})) {
    hint.type = "emergency";
    hint.priority = "critical";
    return hint;
  }
  // Saying "投诉" / "complain" outright makes it a complaint even about an installation or a
  // return ("安装师傅态度差,我要投诉"); milder words (态度差, rude) only after those types.
  if (mentions(folded, {"投诉", "举报", "complain", "complaint", "complaints", "complaining"})) {
    hint.type = "complaint";
  } else if (mentions(folded, {"安装", "装机", "移机", "拆装", "install", "installation", "installed", "set up", "setup",
                        "mount", "mounting", "uninstall"})) {
    hint.type = "installation";
  } else if (mentions(folded, {"退货", "换货", "退换", "退款", "换新", "换一台", "退机", "想退", "要退", "能退",
                               "return", "refund", "exchange", "replacement unit", "send it back", "money back",
                               "swap it for a new"})) {
    hint.type = "return";
  } else if (mentions(folded, {"投诉", "举报", "态度差", "态度很差", "态度恶劣", "太不负责", "complain", "complaint",
                               "complaints", "unacceptable", "rude", "no-show", "never showed up", "never came"})) {
    hint.type = "complaint";
  } else if (mentions(folded, {"延保", "延长保修", "保养", "清洗服务", "深度清洗", "年检", "检测服务", "换滤芯",
                               "更换滤芯", "滤芯更换", "维护保养", "extended warranty", "extend the warranty",
                               "warranty extension", "maintenance", "servicing", "annual service", "inspection",
                               "deep clean", "filter replacement", "replace the filter", "change the filter"})) {
    hint.type = "value_added";
  } else if (mentions(folded, {"远程协助", "远程帮我", "远程帮忙", "远程操作", "remote assistance",
                               "remote help", "help me remotely", "remote session", "remote support"}) &&
             !mentions(folded, {"坏了", "故障", "broken", "not working"})) {
    hint.type = "remote";
  } else if (mentions(folded, {"怎么用", "如何使用", "怎么使用", "怎么设置", "如何设置", "怎么调", "怎么操作",
                               "使用方法", "说明书", "怎么开启", "怎么关闭", "怎么清洗", "怎么连接", "是什么意思",
                               "how to", "how do i", "how can i", "instructions", "manual", "what does",
                               "how does"})) {
    hint.type = "usage";
  } else if (mentions(folded, {"坏了", "坏掉", "故障", "不工作", "不能用", "用不了", "没反应", "维修", "修理", "报修",
                               "不转", "不制冷", "不加热", "漏水", "噪音", "异响", "不排水", "不脱水", "黑屏", "报错",
                               "broken", "not working", "doesn't work", "does not work", "stopped working",
                               "won't", "repair", "fault", "faulty", "leak", "leaking", "noise", "noisy", "error"})) {
    hint.type = "repair";
  }

  // Priority: the customer's words, then the impact they describe.
  const std::initializer_list<std::string_view> zh_not = {"不", "不是很", "不太", "没那么", "别"};
  if (mentions(folded, {"影响生产", "停产", "生产线", "停工", "影响营业", "无法营业", "损失很大", "重大损失",
                        "production stopped", "production line", "business is down", "losing money",
                        "major loss"})) {
    hint.priority = "critical";
  } else if (mentions(folded, {"不急", "不着急", "不用急", "不赶", "不紧急", "有空再", "方便的时候", "慢慢来",
                               "什么时候都行", "no rush", "not urgent", "no hurry", "whenever", "not in a hurry",
                               "low priority", "when you can", "at your convenience"})) {
    hint.priority = "low";
  } else if (mentions_plainly(folded, "急", zh_not) ||
             mentions(folded, {"紧急", "尽快", "马上", "赶紧", "立刻", "越快越好", "今天就", "不能用了", "用不了了",
                               "完全不能用", "没法用", "无法使用", "停机", "urgent", "urgently", "asap",
                               "as soon as possible", "immediately", "right away", "can't use", "cannot use",
                               "unusable", "completely dead", "totally dead", "need it fixed today"})) {
    hint.priority = "urgent";
  }
  return hint;
}

}  // namespace dialogs
