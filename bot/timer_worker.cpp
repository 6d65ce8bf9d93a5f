#include "bot/timer_worker.hpp"

#include "bot/programs.hpp"
#include "bot/workflow.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace bot {

timer_worker::timer_worker(net::io_context& ioc, const app& a, timer_options options)
    : app_(a), strand_(net::make_strand(ioc)), options_(options), wakeup_(strand_) {}

void timer_worker::start() {
  auto run = [this]() { return loop(); };
  net::co_spawn(strand_, std::move(run), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // the worker must not die silently
  });
}

void timer_worker::stop(std::function<void()> done) {
  net::post(strand_, [this, done = std::move(done)]() mutable {
    on_stopped_ = std::move(done);
    stopping_.store(true);
    wakeup_.cancel();
  });
}

net::awaitable<void> timer_worker::loop() {
  // Agreement visit plans get their next timer once the store answers (programs.hpp), and again
  // for each set of data files a SIGHUP brings (an agreement may be new).
  std::shared_ptr<const data_files> visits_ensured_for;
  while (!stopping_.load()) {
    auto files = app_.files();
    if (files != visits_ensured_for) {
      try {
        std::function<bool(store::transaction&)> ensure = [this, files](store::transaction& tx) {
          const files_pin pin{app_, files};
          programs::ensure_visit_timers(tx, app_, app_.clock.now());
          return true;
        };
        if (!files->agreements.empty()) co_await app_.store->write<bool>(std::move(ensure));
        visits_ensured_for = files;
      } catch (const std::exception& e) {
        spdlog::warn("event=visit_plans_pending error=\"{}\"", e.what());
      }
    }
    int claimed = 0;
    try {
      claimed = co_await run_once();
    } catch (const std::exception& e) {
      // The store is down: keep polling; the timers are rows and fire once it is back.
      spdlog::warn("event=timer_pass_failed error=\"{}\"", e.what());
    }
    if (stopping_.load()) break;
    if (claimed >= options_.batch) continue;  // more may be due right now
    boost::system::error_code ec;
    wakeup_.expires_after(options_.poll);
    co_await wakeup_.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  if (on_stopped_) on_stopped_();
}

net::awaitable<void> timer_worker::acquire() {
  // Passes are short and rare, so a waiting pass simply looks again a little later.
  auto executor = co_await net::this_coro::executor;
  net::steady_timer pause{executor};
  while (busy_.exchange(true)) {
    boost::system::error_code ec;
    pause.expires_after(std::chrono::milliseconds(10));
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<int> timer_worker::run_once() {
  co_await acquire();
  struct release_on_exit {
    std::atomic<bool>& busy;
    ~release_on_exit() { busy.store(false); }
  } release{busy_};

  const auto now = app_.clock.now();
  const auto lease_until = now + options_.lease.count();
  const int limit = options_.batch;
  std::function<std::vector<store::timer_record>(store::transaction&)> claim =
      [now, lease_until, limit](store::transaction& tx) { return tx.claim_due_timers(now, lease_until, limit); };
  auto timers = co_await app_.store->write<std::vector<store::timer_record>>(std::move(claim));

  for (const auto& timer : timers) {
    const app& a = app_;
    // The firing and the completion commit together: a timer is never completed without its
    // effect, nor applied twice by one worker.
    std::function<bool(store::transaction&)> fire = [&a, timer](store::transaction& tx) {
      const files_pin pin{a};  // one snapshot of the data files for the whole firing
      const bool applied = workflow::fire_timer(tx, a, timer, a.clock.now());
      tx.complete_timer(timer.id);
      return applied;
    };
    bool failed = false;
    try {
      const bool applied = co_await app_.store->write<bool>(std::move(fire));
      spdlog::info("event=timer_fired timer_id={} kind={} ticket={} applied={}", timer.id, timer.kind, timer.ticket,
                   applied);
    } catch (const store::store_error& e) {
      // Left claimed: fires again when the lease expires.
      spdlog::warn("event=timer_failed timer_id={} kind={} error=\"{}\"", timer.id, timer.kind, e.what());
    } catch (const std::exception& e) {
      // A bug or bad data, not the store: retrying would fail the same way every lease.
      spdlog::error("event=timer_failed timer_id={} kind={} error=\"{}\" action=dropped", timer.id, timer.kind,
                    e.what());
      failed = true;
    }
    if (failed) {
      std::function<bool(store::transaction&)> drop = [id = timer.id](store::transaction& tx) {
        tx.complete_timer(id);
        return true;
      };
      co_await app_.store->write<bool>(std::move(drop));
    }
  }
  if (!timers.empty() && app_.on_outbox_enqueued) app_.on_outbox_enqueued();
  co_return static_cast<int>(timers.size());
}

}  // namespace bot
