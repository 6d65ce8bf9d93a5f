#pragma once
// The timer worker: SLA deadlines and survey reminders are rows in the store (store::timer_record),
// so they survive restarts; this worker claims the due ones with a lease (one instance fires
// each), fires each in its own write unit together with its completion (workflow::fire_timer),
// and wakes the outbox for the notifications they queued. A crash between claim and completion
// leaves the timer claimed until its lease expires; then it fires again (the handlers re-check
// the ticket, so a second firing of an applied timer does nothing).
// Time is the bot's clock, so the test clock moves every deadline (contract: admin/clock).

#include "bot/app.hpp"
#include "bot/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>

namespace bot {

struct timer_options {
  std::chrono::seconds lease{60};           // longer than one firing takes
  int batch = 32;
  std::chrono::milliseconds poll{1000};     // deadlines are minutes apart; a second is plenty
};

class timer_worker {
 public:
  // `a` (its store, clock, texts, staff, rules) must outlive the worker.
  timer_worker(net::io_context& ioc, const app& a, timer_options options = {});

  // Starts the polling loop on the io_context.
  void start();
  // Stops polling after the current pass (any thread); `done` runs when the loop has exited.
  void stop(std::function<void()> done);

  // One pass: claims up to `batch` due timers and fires them one by one. Returns how many were
  // claimed. Passes never overlap (the loop's and the test clock's wait for each other), so a
  // caller that awaited run_once sees the effects of every timer due when it started.
  // Throws store::store_error when the claim cannot be written.
  net::awaitable<int> run_once();

 private:
  net::awaitable<void> loop();
  net::awaitable<void> acquire();

  const app& app_;
  net::strand<net::io_context::executor_type> strand_;
  timer_options options_;
  net::steady_timer wakeup_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> busy_{false};  // a pass is running
  std::function<void()> on_stopped_;
};

}  // namespace bot
