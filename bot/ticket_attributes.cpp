#include "bot/ticket_attributes.hpp"

#include "bot/json_object.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace bot {

bool ticket_attributes::empty() const { return to_json() == "{}"; }

std::string ticket_attributes::to_json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  auto put = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  if (!complaint_target_kind.empty() || !complaint_target.empty() || !complaint_reason.empty()) {
    w.Key("complaint");
    w.StartObject();
    put("target_kind", complaint_target_kind);
    put("target", complaint_target);
    put("reason", complaint_reason);
    w.EndObject();
  }
  put("agreement", agreement);
  put("origin", origin);
  put("visit_date", visit_date);
  if (origin == "visit_plan") {
    w.Key("confirmed");
    w.Bool(confirmed);
  }
  put("due_date", due_date);
  put("requested_date", requested_date);
  w.EndObject();
  return buffer.GetString();
}

ticket_attributes ticket_attributes::from_json(std::string_view json) {
  ticket_attributes a;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return a;
  if (auto c = d.FindMember("complaint"); c != d.MemberEnd()) {
    a.complaint_target_kind = string_member(c->value, "target_kind");
    a.complaint_target = string_member(c->value, "target");
    a.complaint_reason = string_member(c->value, "reason");
  }
  a.agreement = string_member(d, "agreement");
  a.origin = string_member(d, "origin");
  a.visit_date = string_member(d, "visit_date");
  if (auto c = d.FindMember("confirmed"); c != d.MemberEnd() && c->value.IsBool()) a.confirmed = c->value.GetBool();
  a.due_date = string_member(d, "due_date");
  a.requested_date = string_member(d, "requested_date");
  return a;
}

}  // namespace bot
