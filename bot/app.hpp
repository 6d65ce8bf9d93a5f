#pragma once
// Everything a request handler needs, built once at start (no globals), and the route table.
// The data files are the one part that changes while running (SIGHUP): see app::files().

#include "bot/clock.hpp"
#include "bot/config.hpp"
#include "bot/http.hpp"
#include "bot/rate_limit.hpp"
#include "bot/store_executor.hpp"
#include "channels/wechat.hpp"
#include "dialogs/catalog.hpp"
#include "templates/library.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bot {

struct app {
  // `files`: the first snapshot of the data files (load_data_files). `timezone` as for clock.
  app(config c, std::shared_ptr<const data_files> files, templates::library t, const std::string& timezone);

  config cfg;
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

  // The data files (catalog, staff, rules, agreements) every request reads. SIGHUP replaces
  // them whole (main.cpp), so a handler or a unit of work takes them once at its start and
  // keeps that snapshot to the end: one consistent set, and pointers into it (a staff member,
  // a product) stay valid while it holds the snapshot. Inside a files_pin on this thread: the
  // pinned snapshot, so every function a unit calls reads the same one; else the current one.
  // Never null. Any thread.
  std::shared_ptr<const data_files> files() const;
  // Makes `next` the snapshot for every handler and unit that starts from now on; those
  // running keep theirs (the old set is freed when the last of them ends). Any thread.
  void replace_files(std::shared_ptr<const data_files> next);

 private:
  std::atomic<std::shared_ptr<const data_files>> files_;
};

// Pins a snapshot of a's data files on this thread while alive: every a.files() on it returns
// that snapshot. A write or read unit starts with one, so the workflow functions it calls, each
// taking a.files() itself, all see the set its handler authenticated against. Synchronous code
// only (a unit runs on one store thread without suspending; a coroutine may resume elsewhere:
// there keep the shared_ptr in a local instead). Pins nest; the inner one wins until it ends.
class files_pin {
 public:
  files_pin(const app& a, std::shared_ptr<const data_files> files);
  explicit files_pin(const app& a) : files_pin(a, a.files()) {}  // the current (or outer pinned) set
  ~files_pin();
  files_pin(const files_pin&) = delete;
  files_pin& operator=(const files_pin&) = delete;

 private:
  const app* previous_app_;
  const std::shared_ptr<const data_files>* previous_files_;
  std::shared_ptr<const data_files> files_;
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
