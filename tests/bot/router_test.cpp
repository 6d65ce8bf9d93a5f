#include "bot/http.hpp"

#include <catch2/catch.hpp>

namespace {

bot::handler answer(std::string body) {
  return [body](bot::http_request) -> net::awaitable<bot::http_response> {
    bot::http_response r;
    r.body = body;
    co_return r;
  };
}

}  // namespace

TEST_CASE("The router matches method and path, fills path parameters, and answers 404/405", "[bot][router]") {
  bot::router routes{{
      {"GET", "/api/v1/tickets", answer("list")},
      {"GET", "/api/v1/tickets/{number}", answer("one")},
      {"POST", "/api/v1/tickets/{number}/assign", answer("assign")},
      {"POST", "/webhooks/wechat", answer("post")},
      {"GET", "/webhooks/wechat", answer("get")},
  }};
  auto match = [&](std::string method, std::string path) {
    bot::http_request r;
    r.method = std::move(method);
    r.path = std::move(path);
    auto found = routes.match(r);
    return std::make_pair(std::move(r), std::move(found));
  };

  auto [one, found_one] = match("GET", "/api/v1/tickets/SR20260512001");
  REQUIRE(std::holds_alternative<const bot::handler*>(found_one));
  CHECK(one.path_params.at("number") == "SR20260512001");

  auto [assign, found_assign] = match("POST", "/api/v1/tickets/SR1/assign");
  CHECK(std::holds_alternative<const bot::handler*>(found_assign));
  CHECK(assign.path_params.at("number") == "SR1");

  auto [r404, f404] = match("GET", "/api/v1/tickets/SR1/unknown");
  REQUIRE(std::holds_alternative<bot::http_response>(f404));
  CHECK(std::get<bot::http_response>(f404).status == 404);

  auto [r_empty, f_empty] = match("GET", "/api/v1/tickets/");
  REQUIRE(std::holds_alternative<bot::http_response>(f_empty));
  CHECK(std::get<bot::http_response>(f_empty).status == 404);

  auto [r405, f405] = match("DELETE", "/webhooks/wechat");
  REQUIRE(std::holds_alternative<bot::http_response>(f405));
  const auto& res = std::get<bot::http_response>(f405);
  CHECK(res.status == 405);
  REQUIRE(res.headers.size() == 1);
  CHECK(res.headers[0].second == "POST, GET");
  CHECK(res.body.find("\"error\":\"method_not_allowed\"") != std::string::npos);
}

TEST_CASE("JSON errors have the contract's shape and escape their text", "[bot][http]") {
  auto r = bot::json_error(422, "invalid", "say \"hi\"\n");
  CHECK(r.status == 422);
  CHECK(r.content_type.rfind("application/json", 0) == 0);
  CHECK(r.body == R"({"error":"invalid","message":"say \"hi\"\n"})");
}
