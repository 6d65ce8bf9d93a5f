#include "bot/outbound.hpp"

#include "bot/json_object.hpp"
#include "channels/sms_segments.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace bot {
namespace {

// The request a store unit on this thread is running for (request_scope).
thread_local std::string current_request_id;
// The open direct_send_scope on this thread: where new entries go, and their lease.
thread_local std::vector<store::outbox_entry>* direct_sink = nullptr;
thread_local std::int64_t direct_lease_until = 0;

std::string payload_json(const outbound_text& m, const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  auto put = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  put("text", text);
  put("hint", m.hint);
  put("language", m.language);
  if (!m.subject.empty()) put("subject", m.subject);
  if (!m.message_id.empty()) put("message_id", m.message_id);
  if (!m.in_reply_to.empty()) put("in_reply_to", m.in_reply_to);
  if (!m.references.empty()) {
    w.Key("references");
    w.StartArray();
    for (const auto& r : m.references) w.String(r.data(), static_cast<rapidjson::SizeType>(r.size()));
    w.EndArray();
  }
  if (!m.phone.empty()) put("phone", m.phone);
  if (!m.menu.empty()) {
    w.Key("menu");
    w.StartObject();
    put("head", m.menu_head);
    put("tail", m.menu_tail);
    w.Key("options");
    w.StartArray();
    for (const auto& o : m.menu) {
      w.StartObject();
      put("id", o.id);
      put("content", o.content);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  const std::string& request_id = m.request_id.empty() ? current_request_id : m.request_id;
  if (!request_id.empty()) put("request_id", request_id);
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

request_scope::request_scope(std::string id) : previous_(std::move(current_request_id)) {
  current_request_id = std::move(id);
}

request_scope::~request_scope() { current_request_id = std::move(previous_); }

direct_send_scope::direct_send_scope(std::int64_t lease_until, std::vector<store::outbox_entry>* sink)
    : previous_lease_(direct_lease_until), previous_sink_(direct_sink) {
  direct_lease_until = lease_until;
  direct_sink = sink;
}

direct_send_scope::~direct_send_scope() {
  direct_lease_until = previous_lease_;
  direct_sink = previous_sink_;
}

std::vector<std::int64_t> enqueue_text(store::transaction& tx, const outbound_text& m, const std::string& key_base,
                                       std::int64_t now) {
  std::vector<std::string> bodies;
  if (m.channel == "sms") bodies = channels::split_sms(m.text);
  else bodies.push_back(m.text);
  std::vector<std::int64_t> ids;
  // An SMS that is not an answer must respect an opt-out (STOP). For one sent right after this
  // commit, the check is made here, in the same transaction, instead of by the sender on a
  // reader thread (a thread hop per notification, issue 7); an opted-out recipient is left to
  // the sender, which records it as unsubscribed.
  bool recipient_checked = false;
  if (direct_sink && m.channel == "sms" && m.hint != "reply" && m.hint != "help") {
    const auto customer = tx.find_customer_by_identity("sms", m.recipient);
    recipient_checked = !customer || !customer->opted_out;
  }
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    store::outbox_entry e;
    e.idempotency_key = key_base + ":" + std::to_string(i);
    e.channel = m.channel;
    e.recipient = m.recipient;
    e.payload_json = payload_json(m, bodies[i]);
    e.ticket = m.ticket;
    e.plan = m.plan;
    e.state = "pending";
    e.next_attempt_at = now;
    e.created_at = now;
    if (direct_sink) {
      e.state = "sending";
      e.attempts = 1;
      e.lease_until = direct_lease_until;
      if (auto id = tx.enqueue_new(e)) {
        e.id = *id;
        e.recipient_checked = recipient_checked;
        ids.push_back(*id);
        direct_sink->push_back(std::move(e));
        continue;
      }
    }
    ids.push_back(tx.enqueue(e));
  }
  return ids;
}

std::optional<outbound_text> parse_payload(const store::outbox_entry& e) {
  rapidjson::Document d;
  d.Parse(e.payload_json.c_str(), e.payload_json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  outbound_text m;
  m.channel = e.channel;
  m.recipient = e.recipient;
  m.ticket = e.ticket;
  m.text = string_member(d, "text");
  m.hint = string_member(d, "hint");
  m.language = string_member(d, "language");
  m.subject = string_member(d, "subject");
  m.message_id = string_member(d, "message_id");
  m.in_reply_to = string_member(d, "in_reply_to");
  m.phone = string_member(d, "phone");
  m.request_id = string_member(d, "request_id");
  if (auto it = d.FindMember("references"); it != d.MemberEnd() && it->value.IsArray())
    for (const auto& r : it->value.GetArray())
      if (r.IsString()) m.references.emplace_back(r.GetString(), r.GetStringLength());
  if (auto it = d.FindMember("menu"); it != d.MemberEnd() && it->value.IsObject()) {
    m.menu_head = string_member(it->value, "head");
    m.menu_tail = string_member(it->value, "tail");
    if (auto o = it->value.FindMember("options"); o != it->value.MemberEnd() && o->value.IsArray())
      for (const auto& option : o->value.GetArray())
        if (option.IsObject()) m.menu.push_back({string_member(option, "id"), string_member(option, "content")});
  }
  return m;
}

}  // namespace bot
