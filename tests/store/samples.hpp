#pragma once
// Records the store tests write, and a field-by-field comparison that names the field that differs.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "store/store.hpp"

namespace store_tests {

// A ticket with only the required fields set, as intake would open it.
inline store::ticket_record minimal_ticket(const std::string& number, std::int64_t created_at) {
  store::ticket_record t;
  t.number = number;
  t.type = "repair";
  t.priority = "normal";
  t.state = "pending_assignment";
  t.stage = "accepted";
  t.channel = "wechat";
  t.language = "zh-CN";
  t.created_at = created_at;
  t.updated_at = created_at;
  return t;
}

// A ticket with every field set, optional ones included, in Chinese with emoji.
inline store::ticket_record full_ticket(const std::string& number) {
  store::ticket_record t;
  t.number = number;
  t.type = "repair";
  t.priority = "urgent";
  t.state = "assigned";
  t.stage = "in_progress";
  t.channel = "wechat";
  t.language = "zh-CN";
  t.customer_id = 42;
  t.customer_name = "张先生";
  t.phone = "+8613800135678";
  t.channel_id = "oABCdef123_-";
  t.customer_no = "C-0001";
  t.model = "ABC-2000";
  t.serial = "SN5612345";
  t.purchase_date = "2025-03-15";
  t.in_warranty = false;  // false, not unset: the two must stay apart
  t.problem = "脱水时噪音很大,机身晃动 🔧😭 \"quoted\" 'single' \\ 100%";
  t.attachments = {{"image", "media-id-1"}, {"voice", "https://example.com/语音.amr"}};
  t.service_method = "onsite";
  t.assignee = "E001";
  t.respond_by = 1778558400;
  t.resolve_by = 1778644800;
  t.onsite_by = 0;  // zero is a time, not "unset"
  t.breached = true;
  t.satisfaction_score = "satisfied";
  t.satisfaction_comment = "师傅很专业👍";
  t.attributes_json = R"({"complaint":{"target_kind":"engineer","target":"E001","reason":"attitude"},"note":"态度😡"})";
  t.created_at = 1778551200;
  t.updated_at = 1778554800;
  return t;
}

// An outbound message as bot/ queues it: pending, never attempted, due at `next_attempt_at`.
inline store::outbox_entry pending_message(const std::string& key, std::int64_t next_attempt_at) {
  store::outbox_entry e;
  e.idempotency_key = key;
  e.channel = "sms";
  e.recipient = "+8613800135678";
  e.payload_json = R"({"Body":"您的工单 SR20260512001 已受理 ✅"})";
  e.ticket = "SR20260512001";
  e.plan = "sms";
  e.next_attempt_at = next_attempt_at;
  e.created_at = next_attempt_at;
  return e;
}

// A pending timer of `kind` for `ticket` (may be empty), due at `due_at`.
inline store::timer_record timer(const std::string& kind, const std::string& ticket, std::int64_t due_at) {
  store::timer_record t;
  t.kind = kind;
  t.ticket = ticket;
  t.due_at = due_at;
  t.payload_json = R"({"note":"提醒 ⏰"})";
  t.created_at = due_at - 60;
  return t;
}

inline void check_same_ticket(const store::ticket_record& a, const store::ticket_record& b) {
  CHECK(a.number == b.number);
  CHECK(a.type == b.type);
  CHECK(a.priority == b.priority);
  CHECK(a.state == b.state);
  CHECK(a.stage == b.stage);
  CHECK(a.channel == b.channel);
  CHECK(a.language == b.language);
  CHECK(a.customer_id == b.customer_id);
  CHECK(a.customer_name == b.customer_name);
  CHECK(a.phone == b.phone);
  CHECK(a.channel_id == b.channel_id);
  CHECK(a.customer_no == b.customer_no);
  CHECK(a.model == b.model);
  CHECK(a.serial == b.serial);
  CHECK(a.purchase_date == b.purchase_date);
  CHECK(a.in_warranty == b.in_warranty);
  CHECK(a.problem == b.problem);
  REQUIRE(a.attachments.size() == b.attachments.size());
  for (std::size_t i = 0; i < a.attachments.size(); ++i) {
    CAPTURE(i);
    CHECK(a.attachments[i].kind == b.attachments[i].kind);
    CHECK(a.attachments[i].ref == b.attachments[i].ref);
  }
  CHECK(a.service_method == b.service_method);
  CHECK(a.assignee == b.assignee);
  CHECK(a.respond_by == b.respond_by);
  CHECK(a.resolve_by == b.resolve_by);
  CHECK(a.onsite_by == b.onsite_by);
  CHECK(a.breached == b.breached);
  CHECK(a.satisfaction_score == b.satisfaction_score);
  CHECK(a.satisfaction_comment == b.satisfaction_comment);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
  CHECK(a.attributes_json == b.attributes_json);
}

}  // namespace store_tests
