// Operations endpoints: liveness, readiness, and the route table assembly.
#include "bot/app.hpp"

namespace bot {

std::vector<route> operations_routes(app& a) {
  std::vector<route> routes;
  routes.push_back({"GET", "/healthz", [](http_request) -> net::awaitable<http_response> {
                      co_return json_ok(R"({"status":"ok"})");
                    }});
  routes.push_back({"GET", "/readyz", [&a](http_request) -> net::awaitable<http_response> {
                      if (co_await a.store->ping()) co_return json_ok(R"({"status":"ready"})");
                      co_return json_error(503, "unavailable", "store unreachable");
                    }});
  return routes;
}

std::vector<route> make_routes(app& a) {
  std::vector<route> all;
  for (auto group : {operations_routes(a), wechat_routes(a), sms_routes(a), email_routes(a), staff_api_routes(a)})
    for (auto& r : group) all.push_back(std::move(r));
  return all;
}

}  // namespace bot
