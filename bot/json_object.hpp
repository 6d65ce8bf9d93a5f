#pragma once
// A small JSON object built field by field (ticket event details, timer payloads, settings
// values the bot writes itself), and the string member reader the bot's own JSON is read back
// with. Keys are literals; values are escaped by RapidJSON.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bot {

class json_object {
 public:
  json_object() { w_.StartObject(); }
  json_object& str(const char* key, std::string_view value) {
    w_.Key(key);
    w_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  json_object& num(const char* key, std::int64_t value) {
    w_.Key(key);
    w_.Int64(value);
    return *this;
  }
  json_object& flag(const char* key, bool value) {
    w_.Key(key);
    w_.Bool(value);
    return *this;
  }
  json_object& list(const char* key, const std::vector<std::string>& values) {
    w_.Key(key);
    w_.StartArray();
    for (const auto& v : values) w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w_.EndArray();
    return *this;
  }
  // `json` must be a JSON value we wrote ourselves.
  json_object& raw(const char* key, const std::string& json) {
    w_.Key(key);
    w_.RawValue(json.data(), json.size(), rapidjson::kArrayType);
    return *this;
  }
  std::string json() {
    w_.EndObject();
    return buffer_.GetString();
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{buffer_};
};

// The string member `key` of `v`; "" when `v` is not an object or the member is missing or not
// a string (never asserts).
inline std::string string_member(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString()
             ? std::string{it->value.GetString(), it->value.GetStringLength()}
             : std::string{};
}

}  // namespace bot
