#pragma once
// Everything a request handler needs, built once at start (no globals), and the route table.

#include "bot/clock.hpp"
#include "bot/config.hpp"
#include "bot/http.hpp"
#include "bot/rate_limit.hpp"
#include "bot/store_executor.hpp"
#include "channels/wechat.hpp"
#include "dialogs/catalog.hpp"
#include "templates/library.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bot {

struct app {
  config cfg;
  dialogs::catalog catalog;
  std::vector<staff_member> staff;
  bot::rules rules;
  templates::library texts;
  bot::clock clock;
  store_executor* store = nullptr;
  std::optional<channels::wechat::aes_key> wechat_key;  // set when safe mode is configured
  // Where inbound attachment bytes (e-mail files) are written, content-addressed.
  std::string attachments_dir = "var/attachments";
  // Called after a commit that enqueued outbox entries (wakes the outbox worker). May be empty.
  std::function<void()> on_outbox_enqueued;
  // Sends, at once and without a claim, the entries a webhook's committed unit enqueued already
  // leased (outbound.hpp direct_send_scope). Set by main; empty: every entry waits for the worker.
  std::function<void(std::vector<store::outbox_entry>)> send_outbox_now;
  std::int64_t outbox_lease_seconds = 120;  // the lease of those entries (config outbox.lease_seconds)
  // One pass of the timer worker / the outbox worker, for the test clock (contract: admin/clock);
  // each returns how many timers / entries it claimed. Set by main; may be empty.
  std::function<net::awaitable<int>()> run_timers_once;
  std::function<net::awaitable<int>()> run_outbox_once;
  // Per-customer message rate (config limits.sender_*); null: no limit. Set by main.
  rate_limiter* sender_limiter = nullptr;
  // Service agreements (agreements_file); empty without one. Set by main.
  std::vector<agreement> agreements;
};

// The full route table: webhooks, staff API, operations endpoints.
std::vector<route> make_routes(app& a);

// Route groups, one per translation unit.
std::vector<route> wechat_routes(app& a);
std::vector<route> sms_routes(app& a);
std::vector<route> email_routes(app& a);
std::vector<route> staff_api_routes(app& a);
std::vector<route> staff_write_routes(app& a);  // workflow changes, reports, test clock
std::vector<route> operations_routes(app& a);

}  // namespace bot
