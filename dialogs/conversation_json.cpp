// conversation::to_json / from_json: the stored form of a dialog's state (RapidJSON).
#include "dialogs/intake.hpp"

#include "dialogs/extract_date.hpp"
#include "dialogs/text.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>

namespace dialogs {
namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::array<std::string_view, 8> states{"idle",      "collecting", "confirming", "completed",
                                                 "cancelled", "expired",    "deflected",  "survey"};
constexpr std::array<slot, 14> all_slots{slot::none,          slot::service_type, slot::model, slot::serial,
                                         slot::problem,       slot::purchase_date, slot::service_method,
                                         slot::phone,         slot::name,          slot::confirm,
                                         slot::survey_score,  slot::survey_comment, slot::complaint_target,
                                         slot::complaint_reason};

void put_string(writer& w, std::string_view text) {
  // Everything is sanitised on the way in; this keeps the JSON valid even for a state built
  // by hand with stray bytes.
  const std::string clean = sanitise_utf8(text);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void put_strings(writer& w, const char* key, const std::vector<std::string>& items) {
  w.Key(key);
  w.StartArray();
  for (const std::string& item : items) put_string(w, item);
  w.EndArray();
}

// Reads an optional array of strings; absent -> empty; wrong type -> failure.
bool get_strings(const rapidjson::Value& object, const char* key, std::vector<std::string>& out) {
  out.clear();
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return true;
  if (!it->value.IsArray()) return false;
  for (const rapidjson::Value& v : it->value.GetArray()) {
    if (!v.IsString()) return false;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return true;
}

bool get_bool(const rapidjson::Value& object, const char* key, bool& out) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return true;
  if (!it->value.IsBool()) return false;
  out = it->value.GetBool();
  return true;
}

void put_optional(writer& w, const char* key, const std::optional<std::string>& value) {
  w.Key(key);
  if (value) {
    put_string(w, *value);
  } else {
    w.Null();
  }
}

// Reads an optional string member: absent or null -> nullopt; wrong type -> failure.
bool get_optional(const rapidjson::Value& object, const char* key, std::optional<std::string>& out) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    out.reset();
    return true;
  }
  if (!it->value.IsString()) return false;
  out = std::string(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool get_string(const rapidjson::Value& object, const char* key, std::string& out, bool required) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return !required;
  if (!it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool get_int64(const rapidjson::Value& object, const char* key, std::int64_t& out) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return true;
  if (!it->value.IsInt64()) return false;
  out = it->value.GetInt64();
  return true;
}

}  // namespace

std::string conversation::to_json() const {
  rapidjson::StringBuffer buffer;
  writer w(buffer);
  w.StartObject();
  w.Key("version");
  w.Int(1);
  w.Key("state");
  put_string(w, state);
  w.Key("awaiting");
  if (awaiting == slot::none) {
    w.Null();
  } else {
    put_string(w, dialogs::to_string(awaiting));
  }
  w.Key("language");
  put_string(w, language);
  w.Key("slots");
  w.StartObject();
  put_optional(w, "service_type", values.service_type);
  put_optional(w, "priority", values.priority);
  put_optional(w, "model", values.model);
  put_optional(w, "serial", values.serial);
  put_optional(w, "problem", values.problem);
  put_optional(w, "purchase_date", values.purchase_date);
  w.Key("purchase_date_approximate");
  w.Bool(values.purchase_date_approximate);
  put_optional(w, "service_method", values.service_method);
  put_optional(w, "phone", values.phone);
  put_optional(w, "name", values.name);
  put_optional(w, "complaint_target_kind", values.complaint_target_kind);
  put_optional(w, "complaint_target", values.complaint_target);
  put_optional(w, "complaint_reason", values.complaint_reason);
  put_optional(w, "requested_date", values.requested_date);
  w.EndObject();
  w.Key("attachments");
  w.StartArray();
  for (const attachment& a : attachments) {
    w.StartObject();
    w.Key("kind");
    put_string(w, a.kind);
    w.Key("ref");
    put_string(w, a.ref);
    w.EndObject();
  }
  w.EndArray();
  w.Key("started_at");
  w.Int64(started_at);
  w.Key("last_activity");
  w.Int64(last_activity);
  w.Key("reasks");
  w.Int(reasks);
  w.Key("ticket");
  put_string(w, ticket);
  w.Key("language_sure");
  w.Bool(language_sure);
  put_strings(w, "model_options", model_options);
  w.Key("offer");
  put_string(w, offer);
  w.Key("offer_ref");
  put_string(w, offer_ref);
  w.Key("kb_offered");
  w.Bool(kb_offered);
  w.Key("duplicate_offered");
  w.Bool(duplicate_offered);
  put_strings(w, "skipped", skipped);
  put_strings(w, "knowledge_ids", knowledge_ids);
  w.Key("location");
  put_string(w, location);
  w.Key("human_requested");
  w.Bool(human_requested);
  w.Key("survey_score");
  put_string(w, survey_score);
  put_strings(w, "complaint_options", complaint_options);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<conversation> conversation::from_json(std::string_view json) {
  rapidjson::Document doc;
  // Validate UTF-8 so a damaged row never reaches a customer as mojibake; trailing bytes after
  // the object are an error too (no kParseStopWhenDoneFlag).
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;

  conversation c;
  const auto version = doc.FindMember("version");
  if (version != doc.MemberEnd() && (!version->value.IsInt() || version->value.GetInt() != 1)) return std::nullopt;

  if (!get_string(doc, "state", c.state, true)) return std::nullopt;
  if (std::find(states.begin(), states.end(), c.state) == states.end()) return std::nullopt;

  const auto awaiting = doc.FindMember("awaiting");
  if (awaiting == doc.MemberEnd()) return std::nullopt;
  if (awaiting->value.IsNull()) {
    c.awaiting = slot::none;
  } else if (awaiting->value.IsString()) {
    const std::string_view name(awaiting->value.GetString(), awaiting->value.GetStringLength());
    const auto it = std::find_if(all_slots.begin(), all_slots.end(),
                                 [&](slot s) { return s != slot::none && dialogs::to_string(s) == name; });
    if (it == all_slots.end()) return std::nullopt;
    c.awaiting = *it;
  } else {
    return std::nullopt;
  }

  if (!get_string(doc, "language", c.language, false)) return std::nullopt;
  if (c.language != "" && c.language != "zh-CN" && c.language != "en") return std::nullopt;
  if (!get_string(doc, "ticket", c.ticket, false)) return std::nullopt;
  // Fields added with the understanding work: all optional, so older rows still load.
  if (!get_bool(doc, "language_sure", c.language_sure) || !get_strings(doc, "model_options", c.model_options) ||
      !get_string(doc, "offer", c.offer, false) || !get_string(doc, "offer_ref", c.offer_ref, false) ||
      !get_bool(doc, "kb_offered", c.kb_offered) || !get_bool(doc, "duplicate_offered", c.duplicate_offered) ||
      !get_strings(doc, "skipped", c.skipped) || !get_strings(doc, "knowledge_ids", c.knowledge_ids) ||
      !get_string(doc, "location", c.location, false) || !get_bool(doc, "human_requested", c.human_requested) ||
      !get_string(doc, "survey_score", c.survey_score, false) ||
      !get_strings(doc, "complaint_options", c.complaint_options)) {
    return std::nullopt;
  }
  if (c.offer != "" && c.offer != "kb" && c.offer != "duplicate" && c.offer != "serial") return std::nullopt;
  if (!get_int64(doc, "started_at", c.started_at) || !get_int64(doc, "last_activity", c.last_activity)) {
    return std::nullopt;
  }
  const auto reasks = doc.FindMember("reasks");
  if (reasks != doc.MemberEnd()) {
    if (!reasks->value.IsInt() || reasks->value.GetInt() < 0) return std::nullopt;
    c.reasks = reasks->value.GetInt();
  }

  const auto slots = doc.FindMember("slots");
  if (slots != doc.MemberEnd()) {
    if (!slots->value.IsObject()) return std::nullopt;
    const rapidjson::Value& s = slots->value;
    slot_values& v = c.values;
    if (!get_optional(s, "service_type", v.service_type) || !get_optional(s, "priority", v.priority) ||
        !get_optional(s, "model", v.model) || !get_optional(s, "serial", v.serial) ||
        !get_optional(s, "problem", v.problem) || !get_optional(s, "purchase_date", v.purchase_date) ||
        !get_optional(s, "service_method", v.service_method) || !get_optional(s, "phone", v.phone) ||
        !get_optional(s, "name", v.name)) {
      return std::nullopt;
    }
    // Complaint fields came later: absent in older rows (= unset).
    if (!get_optional(s, "complaint_target_kind", v.complaint_target_kind) ||
        !get_optional(s, "complaint_target", v.complaint_target) ||
        !get_optional(s, "complaint_reason", v.complaint_reason)) {
      return std::nullopt;
    }
    // The requested date came later still: absent in older rows. Anything but a real date is
    // foreign.
    if (!get_optional(s, "requested_date", v.requested_date)) return std::nullopt;
    if (v.requested_date && !parse_iso_date(*v.requested_date)) return std::nullopt;
    if (v.complaint_target_kind && *v.complaint_target_kind != "product" &&
        *v.complaint_target_kind != "department" && *v.complaint_target_kind != "engineer") {
      return std::nullopt;
    }
    const auto approx = s.FindMember("purchase_date_approximate");
    if (approx != s.MemberEnd()) {
      if (!approx->value.IsBool()) return std::nullopt;
      v.purchase_date_approximate = approx->value.GetBool();
    }
  }

  const auto attachments = doc.FindMember("attachments");
  if (attachments != doc.MemberEnd()) {
    if (!attachments->value.IsArray()) return std::nullopt;
    for (const rapidjson::Value& a : attachments->value.GetArray()) {
      if (!a.IsObject()) return std::nullopt;
      attachment item;
      if (!get_string(a, "kind", item.kind, true) || !get_string(a, "ref", item.ref, true)) return std::nullopt;
      c.attachments.push_back(std::move(item));
    }
  }
  return c;
}

}  // namespace dialogs
