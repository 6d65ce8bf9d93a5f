// Operations endpoints: liveness, readiness, metrics, and the route table assembly.
#include "bot/app.hpp"
#include "bot/metrics.hpp"

#include <spdlog/spdlog.h>

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
  // Gauges that live in the database are read on each scrape (a few COUNTs); a store that does
  // not answer still leaves the process's own counters readable, with servicebot_store_up 0.
  routes.push_back({"GET", "/metrics", [&a](http_request req) -> net::awaitable<http_response> {
                      metrics::store_snapshot snap;
                      try {
                        std::function<metrics::store_snapshot(store::transaction&)> read =
                            [](store::transaction& tx) {
                              metrics::store_snapshot s;
                              s.reachable = true;
                              s.outbox_pending = tx.count_outbox("pending");
                              s.outbox_sending = tx.count_outbox("sending");
                              s.outbox_dead = tx.count_outbox("dead");
                              s.tickets_by_state = tx.count_tickets_by_state();
                              return s;
                            };
                        snap = co_await a.store->read<metrics::store_snapshot>(std::move(read));
                      } catch (const std::exception& e) {
                        spdlog::warn("request id={} event=metrics_store_read_failed error=\"{}\"", req.request_id,
                                     e.what());
                      }
                      metrics::set_store_snapshot(snap);
                      http_response r;
                      r.content_type = std::string{metrics::content_type};
                      r.body = metrics::render();
                      co_return r;
                    }});
  return routes;
}

std::vector<route> make_routes(app& a) {
  std::vector<route> all;
  for (auto group : {operations_routes(a), wechat_routes(a), sms_routes(a), email_routes(a), staff_api_routes(a),
                     staff_write_routes(a)})
    for (auto& r : group) all.push_back(std::move(r));
  return all;
}

}  // namespace bot
