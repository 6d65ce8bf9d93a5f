#pragma once
// HTTP as the handlers see it: plain request/response values and a route table. Beast stays
// inside http_server.cpp, so handler translation units compile without it.

#include "bot/net.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bot {

struct http_request {
  std::string method;       // "GET", "POST", ...
  std::string target;       // raw request target, e.g. "/webhooks/wechat?signature=..."
  std::string path;         // raw path part of target (no percent-decoding)
  std::string query;        // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> query_params;  // decoded, in order
  std::map<std::string, std::string> path_params;                // from {name} route segments
  std::string route;        // the matched route's pattern (set by router::match), for metrics
  std::vector<std::pair<std::string, std::string>> headers;       // names lower-cased
  std::string body;
  std::string remote_address;
  std::string request_id;

  // First header with that (lower-case) name, or "".
  std::string_view header(std::string_view lower_name) const;
  // First query parameter with that name.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": code, "message": message} with the given status (contract: Errors).
http_response json_error(int status, std::string_view code, std::string_view message);
http_response json_ok(std::string body, int status = 200);

using handler = std::function<net::awaitable<http_response>(http_request)>;

struct route {
  std::string method;
  std::string pattern;  // "/api/v1/tickets/{number}": a {name} segment matches one path segment
  handler handle;
};

// Finds the route for (method, path). Sets path_params on a match. Returns 404/405 responses as
// values when nothing matches (405 carries an Allow header).
class router {
 public:
  explicit router(std::vector<route> routes);
  // The matching handler, or an error response.
  std::variant<const handler*, http_response> match(http_request& request) const;

 private:
  std::vector<route> routes_;
};

}  // namespace bot
