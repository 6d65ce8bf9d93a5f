#include "bot/ticket_json.hpp"

#include "bot/ticket_attributes.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace bot {
namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void str_or_null(writer& w, const char* key, const std::string& value) {
  w.Key(key);
  if (value.empty()) w.Null();
  else w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void time_or_null(writer& w, const char* key, const std::optional<std::int64_t>& t, const clock& clk) {
  w.Key(key);
  if (t) {
    auto s = clk.iso8601(*t);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  } else {
    w.Null();
  }
}

// Event details are stored as JSON text; embed them as JSON (an unreadable one as {}).
void raw_json(writer& w, const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    w.StartObject();
    w.EndObject();
    return;
  }
  d.Accept(w);
}

}  // namespace

std::string mask_phone(const std::string& e164) {
  if (e164.empty()) return e164;
  std::string digits = e164;
  // +86 mobile numbers: keep country code, first 3 and last 4 digits (product.md: 138****5678).
  if (e164.rfind("+86", 0) == 0 && e164.size() == 14) return e164.substr(0, 6) + "****" + e164.substr(10);
  if (e164.size() > 8) return e164.substr(0, e164.size() - 8) + "****" + e164.substr(e164.size() - 4);
  return "****" + (e164.size() > 4 ? e164.substr(e164.size() - 4) : std::string{});
}

std::string ticket_json(const store::ticket_record& t, const std::vector<store::ticket_event>* history,
                        const std::vector<store::message_record>* transcript, const clock& clk, bool mask) {
  rapidjson::StringBuffer buffer;
  writer w{buffer};
  w.StartObject();
  str(w, "number", t.number);
  str(w, "type", t.type);
  str(w, "priority", t.priority);
  str(w, "state", t.state);
  str(w, "stage", t.stage);
  str(w, "channel", t.channel);
  str(w, "language", t.language);
  w.Key("customer");
  w.StartObject();
  str_or_null(w, "name", t.customer_name);
  str_or_null(w, "phone", mask ? mask_phone(t.phone) : t.phone);
  // On SMS the channel identity is the phone number itself.
  str(w, "channel_id", mask && t.channel == "sms" ? mask_phone(t.channel_id) : t.channel_id);
  str_or_null(w, "customer_no", t.customer_no);
  w.EndObject();
  w.Key("product");
  w.StartObject();
  str_or_null(w, "model", t.model);
  str_or_null(w, "serial", t.serial);
  str_or_null(w, "purchase_date", t.purchase_date);
  w.EndObject();
  w.Key("in_warranty");
  if (t.in_warranty) w.Bool(*t.in_warranty);
  else w.Null();
  str(w, "problem", t.problem);
  w.Key("attachments");
  w.StartArray();
  for (const auto& a : t.attachments) {
    w.StartObject();
    str(w, "kind", a.kind);
    str(w, "ref", a.ref);
    w.EndObject();
  }
  w.EndArray();
  str_or_null(w, "service_method", t.service_method);
  str_or_null(w, "assignee", t.assignee);
  w.Key("sla");
  w.StartObject();
  time_or_null(w, "respond_by", t.respond_by, clk);
  time_or_null(w, "resolve_by", t.resolve_by, clk);
  time_or_null(w, "onsite_by", t.onsite_by, clk);
  w.Key("breached");
  w.Bool(t.breached);
  w.EndObject();
  w.Key("satisfaction");
  if (t.satisfaction_score.empty()) {
    w.Null();
  } else {
    w.StartObject();
    str(w, "score", t.satisfaction_score);
    str_or_null(w, "comment", t.satisfaction_comment);
    w.EndObject();
  }
  // Beyond the contract (issue 9): complaint target and reason, the covering service agreement
  // (null when none), where a proactive ticket came from, and the customer's requested date.
  const auto attributes = attributes_of(t);
  w.Key("complaint");
  if (t.type != "complaint") {
    w.Null();
  } else {
    w.StartObject();
    str_or_null(w, "target_kind", attributes.complaint_target_kind);
    str_or_null(w, "target", attributes.complaint_target);
    str_or_null(w, "reason", attributes.complaint_reason);
    w.EndObject();
  }
  str_or_null(w, "agreement", attributes.agreement);
  str_or_null(w, "origin", attributes.origin);
  // The day the customer asked for the service by (null when they named none).
  str_or_null(w, "requested_date", attributes.requested_date);
  if (attributes.origin == "visit_plan") {
    str(w, "visit_date", attributes.visit_date);
    w.Key("confirmed");
    w.Bool(attributes.confirmed);
  }
  time_or_null(w, "created_at", t.created_at, clk);
  time_or_null(w, "updated_at", t.updated_at, clk);
  if (history) {
    w.Key("history");
    w.StartArray();
    for (const auto& e : *history) {
      w.StartObject();
      time_or_null(w, "at", e.at, clk);
      str(w, "actor", e.actor);
      str(w, "event", e.event);
      w.Key("detail");
      raw_json(w, e.detail_json);
      w.EndObject();
    }
    w.EndArray();
  }
  if (transcript) {
    w.Key("transcript");
    w.StartArray();
    for (const auto& m : *transcript) {
      w.StartObject();
      time_or_null(w, "at", m.at, clk);
      str(w, "direction", m.direction);
      str(w, "channel", m.channel);
      str(w, "text", m.text);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return buffer.GetString();
}

}  // namespace bot
