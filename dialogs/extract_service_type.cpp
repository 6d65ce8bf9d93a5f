#include "dialogs/extract_service_type.hpp"

#include "dialogs/text.hpp"

#include <array>
#include <initializer_list>

namespace dialogs {
namespace {

bool mentions(std::string_view folded, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (find_word(folded, w) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

service_type_hint infer_service_type(std::string_view folded) {
  service_type_hint hint;
  // Safety first: the product brief forces critical priority on these, whatever else is said.
  if (mentions(folded, {"冒烟", "冒火", "起火", "着火", "失火", "漏电", "触电", "电到", "焦味", "烧焦", "糊味",
                        "火花", "发烫", "烫手", "爆炸", "smoke", "smoking", "sparks", "sparking", "spark",
                        "burning", "burnt smell", "burning smell", "on fire", "fire", "electric shock",
                        "shocked me", "leaking electricity", "overheating", "exploded", "explosion"})) {
    hint.type = "emergency";
    hint.priority = "critical";
    return hint;
  }
  if (mentions(folded, {"安装", "装机", "install", "installation", "set up", "setup", "mount"})) {
    hint.type = "installation";
  } else if (mentions(folded, {"退货", "换货", "退换", "退款", "换一台", "return", "refund", "exchange",
                               "replacement unit"})) {
    hint.type = "return";
  } else if (mentions(folded, {"投诉", "举报", "complain", "complaint", "complaints"})) {
    hint.type = "complaint";
  } else if (mentions(folded, {"怎么用", "如何使用", "怎么使用", "怎么设置", "使用方法", "how to", "how do i",
                               "how can i", "instructions"})) {
    hint.type = "usage";
  } else if (mentions(folded, {"坏了", "故障", "不工作", "不能用", "没反应", "维修", "修理", "报修", "不转",
                               "不制冷", "不加热", "漏水", "噪音", "broken", "not working", "doesn't work",
                               "does not work", "stopped working", "repair", "fault", "faulty", "leak",
                               "leaking", "noise", "noisy"})) {
    hint.type = "repair";
  }
  if (mentions(folded, {"急", "紧急", "尽快", "马上", "赶紧", "urgent", "urgently", "asap", "emergency",
                        "immediately", "right away"})) {
    hint.priority = "urgent";
  }
  return hint;
}

}  // namespace dialogs
