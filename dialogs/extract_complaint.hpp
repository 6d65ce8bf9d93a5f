#pragma once
// Complaints: whom or what the customer complains about (an engineer, a department, a product)
// and why (a configured reason). Pure functions over folded text; none of them throws.

#include "dialogs/intake.hpp"
#include "dialogs/text.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialogs {

struct complaint_target_match {
  std::string kind;    // engineer | department | product
  // Staff id or department name as configured; empty when only the kind is known ("师傅",
  // "客服", "产品质量") or when several engineers fit (see `options`).
  std::string target;
  std::vector<std::string> options;  // staff ids when a surname fits several engineers ("李工")
  span where;                        // what was read (to mask)
};

// The complaint target named in `folded`. Engineers are matched by full name (李明, John Li),
// surname + title (李工, 李工程师, 李师傅, 李老师, 小李/老李) or, for Chinese names, the pinyin
// surname after an English title (engineer Li, technician Li, Mr Li); departments by their
// configured name, its stem without 部/部门/中心 (客服部 → 客服) and common English names
// (customer service → 客服…, delivery → 配送…). A named engineer wins over a department; without
// either, words like 师傅/technician, 客服/department, 产品/quality give the kind alone.
// A model is not read here (extract_model does that). nullopt: nothing recognised.
std::optional<complaint_target_match> extract_complaint_target(std::string_view folded,
                                                               const std::vector<staff_name>& engineers,
                                                               const std::vector<std::string>& departments);

struct complaint_reason_match {
  std::string id;
  span where;
};

// The reason whose keyword or label occurs first in `folded` (longest on a tie). nullopt when
// none occurs. Numbered answers are not read here (option_choice does that).
std::optional<complaint_reason_match> extract_complaint_reason(std::string_view folded,
                                                               const std::vector<complaint_reason_option>& reasons);

// True when `folded` says the customer wants to complain ("投诉", "我要投诉", "complain about").
bool says_complaint(std::string_view folded);

// Spans of the complaint verbs in `folded` ("我要投诉", "投诉", "i want to complain about"),
// masked before the description is read so "我要投诉" alone is no description.
std::vector<span> complaint_word_spans(std::string_view folded);

// True when `folded` asks how an earlier complaint is going ("投诉进度", "我的投诉处理得怎么样了",
// "any update on my complaint") rather than making one.
bool asks_complaint_status(std::string_view folded);

}  // namespace dialogs
