#include "dialogs/extract_complaint.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace dialogs {
namespace {

// Pinyin of common surnames, so "engineer Li" finds 李明. Only the surname is needed: customers
// writing English name a Chinese engineer by title + surname.
constexpr std::pair<std::string_view, std::string_view> surname_pinyin[] = {
    {"李", "li"},     {"王", "wang"},  {"张", "zhang"}, {"刘", "liu"},   {"陈", "chen"},  {"杨", "yang"},
    {"赵", "zhao"},   {"黄", "huang"}, {"周", "zhou"},  {"吴", "wu"},    {"徐", "xu"},    {"孙", "sun"},
    {"胡", "hu"},     {"朱", "zhu"},   {"高", "gao"},   {"林", "lin"},   {"何", "he"},    {"郭", "guo"},
    {"马", "ma"},     {"罗", "luo"},   {"梁", "liang"}, {"宋", "song"},  {"郑", "zheng"}, {"谢", "xie"},
    {"韩", "han"},    {"唐", "tang"},  {"冯", "feng"},  {"于", "yu"},    {"董", "dong"},  {"萧", "xiao"},
    {"肖", "xiao"},   {"程", "cheng"}, {"曹", "cao"},   {"袁", "yuan"},  {"邓", "deng"},  {"许", "xu"},
    {"傅", "fu"},     {"沈", "shen"},  {"曾", "zeng"},  {"彭", "peng"},  {"吕", "lv"},    {"苏", "su"},
    {"卢", "lu"},     {"蒋", "jiang"}, {"蔡", "cai"},   {"贾", "jia"},   {"丁", "ding"},  {"魏", "wei"},
    {"薛", "xue"},    {"叶", "ye"},    {"阎", "yan"},   {"闫", "yan"},   {"余", "yu"},    {"潘", "pan"},
    {"杜", "du"},     {"戴", "dai"},   {"夏", "xia"},   {"钟", "zhong"}, {"汪", "wang"},  {"田", "tian"},
    {"任", "ren"},    {"姜", "jiang"}, {"范", "fan"},   {"方", "fang"},  {"石", "shi"},   {"姚", "yao"},
    {"谭", "tan"},    {"廖", "liao"},  {"邹", "zou"},   {"熊", "xiong"}, {"金", "jin"},   {"陆", "lu"},
    {"郝", "hao"},    {"孔", "kong"},  {"白", "bai"},   {"崔", "cui"},   {"康", "kang"},  {"毛", "mao"},
    {"邱", "qiu"},    {"秦", "qin"},   {"江", "jiang"}, {"史", "shi"},   {"顾", "gu"},    {"侯", "hou"},
    {"邵", "shao"},   {"孟", "meng"},  {"龙", "long"},  {"万", "wan"},   {"段", "duan"},  {"钱", "qian"},
    {"汤", "tang"},   {"尹", "yin"},   {"黎", "li"},    {"易", "yi"},    {"常", "chang"}, {"武", "wu"},
    {"乔", "qiao"},   {"贺", "he"},    {"赖", "lai"},   {"龚", "gong"},  {"文", "wen"},   {"欧阳", "ouyang"},
    {"司马", "sima"}, {"诸葛", "zhuge"}, {"上官", "shangguan"}, {"慕容", "murong"}, {"司徒", "situ"},
};

constexpr std::string_view compound_surnames[] = {"欧阳", "司马", "诸葛", "上官", "慕容", "司徒", "东方", "皇甫",
                                                  "令狐", "公孙", "夏侯", "长孙", "尉迟"};

// How customers address an engineer after the surname: 李工, 李工程师, 李师傅. Longest first.
constexpr std::string_view zh_titles[] = {"工程师", "师傅", "师父", "老师", "经理", "主管", "工"};
// Before the surname: 小李, 老李.
constexpr std::string_view zh_title_prefixes[] = {"小", "老"};
// English titles before a surname: engineer Li, technician Wang, Mr Smith.
constexpr std::string_view en_titles[] = {"engineer", "technician", "tech", "repairman", "repair man", "serviceman",
                                          "installer", "mr.", "mr", "mrs.", "mrs", "ms.", "ms", "master"};

// Words that say the complaint is about an engineer / a department / a product, without naming one.
constexpr std::string_view engineer_words[] = {
    "维修师傅", "安装师傅", "上门师傅", "维修人员", "维修工", "工程师", "技术员", "安装工", "上门人员", "师傅",
    "technician", "engineer", "repairman", "repair man", "installer", "serviceman", "service man",
    "the guy you sent", "your guy", "the man you sent"};
constexpr std::string_view department_words[] = {"客服人员", "客服", "部门", "customer service", "customer support",
                                                 "support team", "call center", "call centre", "hotline",
                                                 "department", "dept"};
// Not a bare 质量 / quality: "服务质量差" is about the service.
constexpr std::string_view product_words[] = {"产品质量", "质量问题", "产品", "product quality", "product"};

// Suffixes dropped to get a department's stem (客服部 → 客服), longest first.
constexpr std::string_view department_suffixes[] = {"部门", "中心", "团队", "部", "组", "科", "处", " department",
                                                     " dept", " team", " center", " centre"};
// Other ways to name a department: (what customers say, a stem the configured name contains).
constexpr std::pair<std::string_view, std::string_view> department_synonyms[] = {
    {"customer service", "客服"}, {"customer support", "客服"}, {"support team", "客服"},
    {"call center", "客服"},      {"call centre", "客服"},      {"hotline", "客服"},
    {"after-sales", "售后"},      {"after sales", "售后"},      {"aftersales", "售后"},
    {"service department", "售后"}, {"delivery", "配送"},       {"logistics", "配送"},
    {"courier", "配送"},          {"送货", "配送"},             {"物流", "配送"},
    {"快递", "配送"},             {"installation team", "安装"}, {"installers", "安装"},
    {"sales", "销售"},            {"卖家", "销售"},             {"导购", "销售"},
};

// Complaint verbs, longest first where one contains another.
constexpr std::string_view complaint_verbs[] = {
    "我要投诉", "我想投诉", "我要举报", "要投诉", "想投诉", "投诉一下", "投诉", "举报",
    "i want to complain about", "i'd like to complain about", "i would like to complain about",
    "i want to complain", "i'd like to complain", "i would like to complain", "i want to make a complaint about",
    "i want to make a complaint", "i'd like to make a complaint", "make a complaint about", "make a complaint",
    "file a complaint about", "file a complaint", "lodge a complaint", "a complaint about", "complaint about",
    "complain about", "complaining about", "complaints", "complaint", "complaining", "complain"};

std::size_t cp_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return std::min(n, s.size() - i);
}

bool is_latin(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

struct hit {
  std::size_t pos = std::string_view::npos;
  std::size_t len = 0;
  int strength = 0;  // 2 full name, 1 surname + title
  bool better_than(const hit& o) const {
    if (pos == std::string_view::npos) return false;
    if (o.pos == std::string_view::npos) return true;
    if (strength != o.strength) return strength > o.strength;
    if (pos != o.pos) return pos < o.pos;
    return len > o.len;
  }
};

void consider(std::string_view text, std::string_view needle, int strength, hit& best) {
  if (needle.empty()) return;
  const std::size_t pos = find_word(text, needle);
  if (pos == std::string_view::npos) return;
  const hit h{pos, needle.size(), strength};
  if (h.better_than(best)) best = h;
}

// The best mention of one engineer in `text`.
hit engineer_hit(std::string_view text, const staff_name& engineer) {
  hit best;
  const std::string name = fold_plain(trim_answer(engineer.name));
  if (name.empty()) return best;
  if (is_latin(name)) {
    consider(text, name, 2, best);
    const std::size_t space = name.rfind(' ');
    if (space != std::string::npos) {
      const std::string_view surname = std::string_view(name).substr(space + 1);
      for (std::string_view t : en_titles) consider(text, std::string(t) + " " + std::string(surname), 1, best);
    }
    return best;
  }
  if (code_points(name) >= 2) consider(text, name, 2, best);
  std::string_view surname = std::string_view(name).substr(0, cp_length(name, 0));
  for (std::string_view c : compound_surnames) {
    if (code_points(name) >= 3 && std::string_view(name).starts_with(c)) surname = c;
  }
  for (std::string_view t : zh_titles) consider(text, std::string(surname) + std::string(t), 1, best);
  for (std::string_view p : zh_title_prefixes) {
    const std::string needle = std::string(p) + std::string(surname);
    // "老李" but not "老李明" read twice, and not "老是" for an engineer named 是…: the surname must
    // end the word (next is not another CJK character of a longer phrase we cannot judge).
    const std::size_t pos = find_word(text, needle);
    if (pos != std::string_view::npos) {
      const hit h{pos, needle.size(), 1};
      if (h.better_than(best)) best = h;
    }
  }
  for (const auto& [zh, pinyin] : surname_pinyin) {
    if (zh != surname) continue;
    for (std::string_view t : en_titles) consider(text, std::string(t) + " " + std::string(pinyin), 1, best);
  }
  return best;
}

std::string department_stem(std::string_view name) {
  for (std::string_view s : department_suffixes) {
    if (name.size() > s.size() && name.ends_with(s)) {
      const std::string_view stem = name.substr(0, name.size() - s.size());
      if (is_latin(stem) ? stem.size() >= 3 : code_points(stem) >= 2) return std::string(stem);
    }
  }
  return {};
}

hit department_hit(std::string_view text, const std::string& department) {
  hit best;
  const std::string name = fold_plain(trim_answer(department));
  if (name.empty()) return best;
  consider(text, name, 2, best);
  const std::string stem = department_stem(name);
  if (!stem.empty()) consider(text, stem, 1, best);
  for (const auto& [said, core] : department_synonyms) {
    if (name.find(core) != std::string::npos) consider(text, said, 1, best);
  }
  return best;
}

std::optional<std::pair<std::size_t, std::size_t>> first_of(std::string_view text,
                                                             const std::string_view* words, std::size_t count) {
  std::optional<std::pair<std::size_t, std::size_t>> best;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t pos = find_word(text, words[k]);
    if (pos == std::string_view::npos) continue;
    if (!best || pos < best->first || (pos == best->first && words[k].size() > best->second)) {
      best = std::pair{pos, words[k].size()};
    }
  }
  return best;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (find_word(text, w) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<complaint_target_match> extract_complaint_target(std::string_view folded,
                                                               const std::vector<staff_name>& engineers,
                                                               const std::vector<std::string>& departments) {
  // A named engineer first: the most specific target, and "客服部的李工" is about 李工.
  hit best;
  std::vector<const staff_name*> fits;
  for (const staff_name& e : engineers) {
    const hit h = engineer_hit(folded, e);
    if (h.pos == std::string_view::npos) continue;
    if (h.better_than(best)) {
      best = h;
      fits.assign(1, &e);
    } else if (!best.better_than(h)) {
      fits.push_back(&e);  // the same words fit them both ("李工": 李明 and 李强)
    }
  }
  if (!fits.empty()) {
    complaint_target_match m;
    m.kind = "engineer";
    m.where = {best.pos, best.pos + best.len};
    if (fits.size() == 1) {
      m.target = fits.front()->id;
    } else {
      for (const staff_name* e : fits) m.options.push_back(e->id);
    }
    return m;
  }
  hit dept;
  const std::string* department = nullptr;
  for (const std::string& d : departments) {
    const hit h = department_hit(folded, d);
    if (h.better_than(dept)) {
      dept = h;
      department = &d;
    }
  }
  if (department != nullptr) {
    return complaint_target_match{"department", *department, {}, {dept.pos, dept.pos + dept.len}};
  }
  // The kind alone.
  using words_t = std::pair<const char*, std::pair<const std::string_view*, std::size_t>>;
  for (const words_t& kind : {words_t{"engineer", {engineer_words, std::size(engineer_words)}},
                              words_t{"department", {department_words, std::size(department_words)}},
                              words_t{"product", {product_words, std::size(product_words)}}}) {
    if (auto at = first_of(folded, kind.second.first, kind.second.second)) {
      return complaint_target_match{kind.first, {}, {}, {at->first, at->first + at->second}};
    }
  }
  return std::nullopt;
}

std::optional<complaint_reason_match> extract_complaint_reason(std::string_view folded,
                                                               const std::vector<complaint_reason_option>& reasons) {
  std::optional<complaint_reason_match> best;
  for (const complaint_reason_option& r : reasons) {
    std::vector<std::string> words;
    for (const std::string& k : r.keywords) words.push_back(fold_plain(trim_answer(k)));
    words.push_back(fold_plain(trim_answer(r.label_zh)));
    words.push_back(fold_plain(trim_answer(r.label_en)));
    for (const std::string& w : words) {
      if (w.empty()) continue;
      const std::size_t pos = find_word(folded, w);
      if (pos == std::string_view::npos) continue;
      const std::size_t len = best ? best->where.end - best->where.begin : 0;
      if (!best || pos < best->where.begin || (pos == best->where.begin && w.size() > len)) {
        best = complaint_reason_match{r.id, {pos, pos + w.size()}};
      }
    }
  }
  return best;
}

bool says_complaint(std::string_view folded) { return !complaint_word_spans(folded).empty(); }

std::vector<span> complaint_word_spans(std::string_view folded) {
  std::vector<span> out;
  std::string text(folded);
  for (std::string_view w : complaint_verbs) {
    for (std::size_t pos = find_word(text, w); pos != std::string::npos; pos = find_word(text, w, pos + w.size())) {
      out.push_back({pos, pos + w.size()});
      // Blank it so a shorter verb inside it ("投诉" in "我要投诉") is not reported again.
      for (std::size_t k = pos; k < pos + w.size(); ++k) text[k] = masked_byte;
    }
  }
  std::sort(out.begin(), out.end(), [](const span& a, const span& b) { return a.begin < b.begin; });
  return out;
}

bool asks_complaint_status(std::string_view folded) {
  const std::string_view a = trim_answer(folded);
  if (a.empty() || code_points(a) > 40) return false;
  // "我要投诉,怎么还没结果" makes a complaint; "我的投诉有结果了吗" asks about one.
  if (contains_any(a, {"我要投诉", "我想投诉", "要投诉", "想投诉", "再投诉", "投诉你们", "投诉一下", "want to complain",
                       "like to complain", "make a complaint", "file a complaint", "complain about"})) {
    return false;
  }
  if (contains_any(a, {"投诉进度", "投诉的进度", "投诉处理到哪", "投诉处理得怎么样", "投诉处理的怎么样", "投诉有结果",
                       "投诉结果", "投诉状态", "complaint status", "status of my complaint"})) {
    return true;
  }
  return contains_any(a, {"我的投诉", "我投诉的", "之前的投诉", "上次的投诉", "my complaint", "the complaint i"}) &&
         contains_any(a, {"进度", "怎么样", "到哪", "结果", "处理了吗", "处理没", "有人管", "status", "update",
                          "progress", "any news", "what happened", "happening"});
}

}  // namespace dialogs
