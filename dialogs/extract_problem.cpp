#include "dialogs/extract_problem.hpp"

#include <initializer_list>
#include <vector>

namespace dialogs {
namespace {

// Words that carry no description of their own, longest first where one contains another.
constexpr std::string_view zh_filler[] = {
    "你好", "您好", "请问", "麻烦你们", "麻烦", "帮我看看", "帮我", "帮忙", "一下", "我的", "我家的", "我家", "我们",
    "家里的", "家里", "上个星期", "上周", "前几天", "最近", "今天", "昨天", "现在", "突然", "这台", "那台", "一台", "这个",
    "那个", "机器", "产品", "东西", "型号是", "型号", "序列号是", "序列号", "机身号", "编号", "电话是", "电话", "手机号",
    "手机", "号码", "联系方式", "联系我", "联系", "打给我", "打我", "购买日期", "购买", "买的", "买了", "买",
    "坏掉了", "坏了", "坏掉", "出问题了", "出问题", "有问题", "有点问题", "问题", "出故障了", "出故障", "故障",
    "不好使", "报修", "维修", "修理", "修一下", "修好", "修", "想要", "我想", "我要", "需要", "想", "要", "请",
    "很急", "着急", "紧急", "尽快", "马上", "赶紧", "不急", "急", "谢谢", "师傅", "上门", "服务", "时间", "日期",
    "去年", "今年", "前年", "叫", "姓", "先生", "女士", "小姐", "还有", "另外", "就是", "但是", "而且", "然后",
    "预约", "安排", "能不能", "可不可以", "可以", "能", "来", "看看", "看", "了", "的", "啊", "吧", "呢", "吗",
    "哦", "嗯", "好的", "好", "是的", "是", "对", "我", "你们", "你", "在", "和", "也", "都", "还", "有", "个",
    "台", "月", "号", "日", "年", "大概", "左右", "应该", "一直", "没法", "怎么办",
    // What is left of a requested date once its day is masked ("希望[明天]上门", "[周五]之前").
    "希望", "最好", "尽量", "务必", "必须", "之前", "以前", "上午", "下午", "晚上", "早上", "中午",
};

constexpr std::string_view en_filler[] = {
    "i", "my", "me", "mine", "the", "a", "an", "is", "it", "its", "it's", "this", "that", "and", "or", "to", "of",
    "for", "in", "on", "at", "with", "please", "pls", "hi", "hello", "hey", "dear", "thanks", "thank", "you",
    "we", "our", "us", "have", "has", "had", "got", "get", "need", "needs", "want", "would", "like", "could",
    "can", "am", "are", "was", "were", "be", "been", "bought", "purchased", "purchase", "date", "serial",
    "number", "model", "phone", "name", "call", "contact", "reach", "visit", "come", "someone", "technician",
    "engineer", "send", "fix", "fixed", "repair", "repaired", "broken", "broke", "not", "working", "work",
    "works", "problem", "problems", "issue", "issues", "there", "so", "but", "just", "also", "urgent", "asap",
    "rush", "no", "yes", "ok", "okay", "from", "by", "via", "cell", "mobile", "tel", "email", "do", "does",
    "did", "doesn't", "don't", "isn't", "it’s", "i'm", "im", "your", "help", "out", "up", "some", "any", "will",
    "which", "what", "when", "about", "ago", "last", "year", "years", "month", "months", "week", "weeks", "sn",
    "s/n", "mr", "mrs", "ms", "regards", "best", "cheers", "soon", "possible", "as", "again", "very", "really",
    "still", "today", "yesterday", "now", "home", "house", "place", "bring", "store", "shop", "be", "should",
    "one", "unit", "machine", "appliance", "thing", "faulty", "fault", "order", "ticket", "request",
    "before", "until", "till", "latest", "within", "next", "coming", "morning", "afternoon", "evening",
};

constexpr std::string_view symptoms[] = {
    "噪音", "响", "漏水", "滴水", "渗水", "排水", "脱水", "不转", "转不", "制冷", "加热", "不热", "不凉", "出水", "水流",
    "黑屏", "花屏", "无信号", "没信号", "没有信号", "没反应", "开不了机", "不开机", "打不开", "关不上", "报错", "故障码",
    "显示", "冒烟", "焦味", "漏电", "晃动", "震动", "抖", "异响", "异味", "臭", "跳闸", "卡住", "卡死", "停了", "停机",
    "自动关机", "重启", "闪", "不亮", "灯", "亮", "声音", "温度", "烫", "冷", "热", "结冰", "结霜", "堵", "慢",
    "noise", "noisy", "loud", "leak", "leaks", "leaking", "drip", "dripping", "smoke", "smell", "spark", "sparks",
    "error", "code", "cooling", "heating", "draining", "drain", "signal", "screen", "shaking", "shakes",
    "vibrating", "vibrates", "vibration", "stuck", "shuts", "turns", "restarts", "won't", "wont", "doesn't",
    "flashing", "blinking", "light", "hot", "cold", "warm", "ice", "slow", "spin", "spinning", "water", "power",
    "dead", "beeping", "beeps", "clicking", "grinding", "rattling", "squeaking", "display", "door",
};

bool ascii_word_char(char c) { return is_ascii_alpha(c) || c == '\'' || c == '/'; }

// True when `clause` (folded, may hold masked bytes) says something beyond filler.
bool says_something(std::string_view clause, const catalog_index& index) {
  std::string rest(clause);
  auto blank_all = [&](std::string_view w) {
    if (w.empty()) return;
    for (std::size_t pos = find_word(rest, w); pos != std::string::npos; pos = find_word(rest, w, pos)) {
      for (std::size_t k = pos; k < pos + w.size(); ++k) rest[k] = masked_byte;
    }
  };
  for (const std::string& n : index.name_words) blank_all(n);
  for (std::string_view w : zh_filler) blank_all(w);
  std::size_t cjk = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (is_cjk_at(rest, i)) ++cjk;
  }
  if (cjk >= 2) return true;
  // Latin words of three letters or more that are not filler.
  for (std::size_t i = 0; i < rest.size();) {
    if (!is_ascii_alpha(rest[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < rest.size() && ascii_word_char(rest[j])) ++j;
    const std::string_view word = std::string_view(rest).substr(i, j - i);
    bool filler = word.size() < 3;
    for (std::string_view f : en_filler) filler = filler || word == f;
    if (!filler) return true;
    i = j;
  }
  return false;
}

bool names_symptom(std::string_view clause, const catalog_index& index) {
  for (std::string_view w : symptoms) {
    if (find_word(clause, w) != std::string_view::npos) return true;
  }
  for (const auto& words : index.kb_keywords) {
    for (const std::string& w : words) {
      if (find_word(clause, w) != std::string_view::npos) return true;
    }
  }
  return false;
}

}  // namespace

std::string extract_problem(std::string_view work, const folded_text& folded, std::string_view source,
                            const catalog_index& index, bool symptoms_only) {
  std::string out;
  std::size_t begin = 0;
  auto take = [&](std::size_t from, std::size_t to) {
    if (from >= to) return;
    const std::string_view clause = work.substr(from, to - from);
    if (!says_something(clause, index)) return;
    if (symptoms_only && !names_symptom(clause, index)) return;
    // The clause as written, without the slot values other extractors took from its ends.
    std::size_t b = from, e = to;
    while (b < e && (work[b] == masked_byte || work[b] == ' ')) ++b;
    while (e > b && (work[e - 1] == masked_byte || work[e - 1] == ' ')) --e;
    const std::string_view text = trim_answer(source.substr(folded.origin[b], folded.origin[e] - folded.origin[b]));
    if (text.empty()) return;
    if (!out.empty()) out += source.find("\xEF\xBC\x8C") != std::string_view::npos ? "，" : ",";
    out += text;
  };
  for (std::size_t i = 0; i < work.size();) {
    std::size_t len = 0;
    if (clause_break_at(work, i, len)) {
      take(begin, i);
      i += len;
      begin = i;
    } else {
      ++i;
    }
  }
  take(begin, work.size());
  return out;
}

}  // namespace dialogs
