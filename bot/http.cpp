#include "bot/http.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace bot {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool match_pattern(std::string_view pattern, std::string_view path, std::map<std::string, std::string>& params) {
  auto want = split_path(pattern);
  auto got = split_path(path);
  if (want.size() != got.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (got[i].empty()) return false;
      found.emplace(std::string{want[i].substr(1, want[i].size() - 2)}, std::string{got[i]});
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

std::string_view http_request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::optional<std::string> http_request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query_params)
    if (key == name) return value;
  return std::nullopt;
}

http_response json_error(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  writer.StartObject();
  writer.Key("error");
  writer.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  writer.Key("message");
  writer.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  writer.EndObject();
  return json_ok(buffer.GetString(), status);
}

http_response json_ok(std::string body, int status) {
  http_response r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.body = std::move(body);
  return r;
}

router::router(std::vector<route> routes) : routes_(std::move(routes)) {}

std::variant<const handler*, http_response> router::match(http_request& request) const {
  std::string allow;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_pattern(r.pattern, request.path, params)) continue;
    if (r.method == request.method) {
      request.path_params = std::move(params);
      request.route = r.pattern;
      return &r.handle;
    }
    if (allow.find(r.method) == std::string::npos) allow += allow.empty() ? r.method : ", " + r.method;
    request.route = r.pattern;  // a 405 is still counted under the route it hit
  }
  if (allow.empty()) return json_error(404, "not_found", "no such resource");
  auto response = json_error(405, "method_not_allowed", "method not allowed here");
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace bot
