#include "bot/outbox_worker.hpp"

#include "bot/json_object.hpp"
#include "bot/metrics.hpp"
#include "bot/outbound.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <utility>

namespace bot {
namespace {

// Jitter in [0.5, 1.5) spreads retries of many entries that failed together (gateway outage).
double jitter() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>{0.5, 1.5}(rng);
}

// The request that enqueued the entry (outbound.hpp request_scope), "-" when none.
std::string request_id_of(const store::outbox_entry& e) {
  auto m = parse_payload(e);
  return m && !m->request_id.empty() ? m->request_id : "-";
}

}  // namespace

outbox_worker::outbox_worker(net::io_context& ioc, store_executor& store, const clock& clk,
                             std::map<std::string, channel_sender*> senders, outbox_options options)
    : ioc_(ioc),
      strand_(net::make_strand(ioc)),
      store_(store),
      clock_(clk),
      senders_(std::move(senders)),
      options_(options),
      wakeup_(strand_) {}

std::chrono::seconds outbox_worker::backoff(const outbox_options& options, int attempts) {
  auto delay = options.base_backoff;
  for (int i = 1; i < attempts && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

void outbox_worker::start() {
  auto run = [this]() { return loop(); };
  net::co_spawn(strand_, std::move(run), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // the worker must not die silently
  });
}

void outbox_worker::stop(std::function<void()> done) {
  net::post(strand_, [this, done = std::move(done)]() mutable {
    on_stopped_ = std::move(done);
    stopping_.store(true);
    wakeup_.cancel();
  });
}

void outbox_worker::wake() {
  net::post(strand_, [this] {
    wake_pending_ = true;
    wakeup_.cancel();
  });
}

void outbox_worker::send_now(std::vector<store::outbox_entry> entries) {
  const auto max_waiting = static_cast<std::size_t>(16 * std::max(1, options_.max_in_flight));
  for (auto& entry : entries) {
    if (!stopping_.load() && in_flight_->load() < options_.max_in_flight) {
      start_delivery(std::move(entry));
      continue;
    }
    if (!stopping_.load()) {
      std::lock_guard lock{overflow_mutex_};
      if (overflow_.size() < max_waiting) {
        overflow_.push_back(std::move(entry));
        continue;
      }
    }
    spdlog::warn("event=outbound_deferred outbox_id={} channel={} reason={}", entry.id, entry.channel,
                 stopping_.load() ? "stopping" : "too_many_waiting");
  }
}

void outbox_worker::start_delivery(store::outbox_entry entry) {
  in_flight_->fetch_add(1);
  auto one = [this, e = std::move(entry)]() mutable { return deliver(std::move(e)); };
  net::co_spawn(ioc_, std::move(one), [this, in_flight = in_flight_](std::exception_ptr) {
    in_flight->fetch_sub(1);
    std::optional<store::outbox_entry> next;
    {
      std::lock_guard lock{overflow_mutex_};
      if (!overflow_.empty() && !stopping_.load()) {
        next = std::move(overflow_.front());
        overflow_.pop_front();
      }
    }
    if (next) start_delivery(std::move(*next));
  });
}

net::awaitable<void> outbox_worker::loop() {
  while (!stopping_.load()) {
    wake_pending_ = false;  // a wake() from here on asks for one more pass
    int claimed = 0;
    try {
      const int room = options_.max_in_flight - in_flight_->load();
      if (room > 0) claimed = co_await claim_and_start(std::min(room, options_.batch));
    } catch (const std::exception& e) {
      // The store is down: keep polling; entries stay durable and are sent once it is back.
      spdlog::warn("event=outbox_pass_failed error=\"{}\"", e.what());
    }
    if (stopping_.load()) break;
    if (claimed >= options_.batch) continue;  // more may be due right now
    if (wake_pending_) continue;              // enqueued while this pass was claiming
    boost::system::error_code ec;
    wakeup_.expires_after(options_.poll);
    co_await wakeup_.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  // Flush: let the sends under way finish (bounded), so a clean stop leaves nothing leased.
  boost::system::error_code ec;
  for (int i = 0; i < 500 && in_flight_->load() > 0; ++i) {
    wakeup_.expires_after(std::chrono::milliseconds(20));
    co_await wakeup_.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  if (on_stopped_) on_stopped_();
}

net::awaitable<int> outbox_worker::claim_and_start(int limit) {
  const auto now = clock_.now();
  const auto lease_until = now + options_.lease.count();
  std::function<std::vector<store::outbox_entry>(store::transaction&)> claim =
      [now, lease_until, limit](store::transaction& tx) { return tx.claim_outbox(now, lease_until, limit); };
  auto entries = co_await store_.write<std::vector<store::outbox_entry>>(std::move(claim));
  for (auto& entry : entries) start_delivery(std::move(entry));
  co_return static_cast<int>(entries.size());
}

net::awaitable<int> outbox_worker::run_once() {
  const auto now = clock_.now();
  const auto lease_until = now + options_.lease.count();
  const int limit = options_.batch;
  std::function<std::vector<store::outbox_entry>(store::transaction&)> claim =
      [now, lease_until, limit](store::transaction& tx) { return tx.claim_outbox(now, lease_until, limit); };
  auto entries = co_await store_.write<std::vector<store::outbox_entry>>(std::move(claim));
  if (entries.empty()) co_return 0;

  // Send concurrently; each delivery records its own result. Wait for all before the next pass.
  // The timer lives on this coroutine's executor; completions post their wake-up there.
  auto home = co_await net::this_coro::executor;
  auto pending = std::make_shared<std::atomic<std::size_t>>(entries.size());
  // Shared: the last completion's posted cancel may run after this frame is gone.
  auto all_done = std::make_shared<net::steady_timer>(home, net::steady_timer::time_point::max());
  for (auto& entry : entries) {
    auto one = [this, e = std::move(entry)]() mutable { return deliver(std::move(e)); };
    net::co_spawn(ioc_, std::move(one), [pending, home, all_done](std::exception_ptr) {
      if (pending->fetch_sub(1) == 1) net::post(home, [all_done] { all_done->cancel(); });
    });
  }
  boost::system::error_code ec;
  while (pending->load() > 0) co_await all_done->async_wait(net::redirect_error(net::use_awaitable, ec));
  co_return static_cast<int>(entries.size());
}

net::awaitable<void> outbox_worker::deliver(store::outbox_entry entry) {
  {
    std::lock_guard lock{sending_mutex_};
    if (!sending_.insert(entry.id).second) {
      spdlog::info("event=outbound_still_sending outbox_id={} attempt={}", entry.id, entry.attempts);
      co_return;
    }
  }
  struct done_sending {
    outbox_worker* worker;
    std::int64_t id;
    ~done_sending() {
      std::lock_guard lock{worker->sending_mutex_};
      worker->sending_.erase(id);
    }
  } guard{this, entry.id};
  send_result result;
  auto sender = senders_.find(entry.channel);
  if (sender == senders_.end()) {
    result = {send_result::outcome::permanent, "no sender configured for channel " + entry.channel};
  } else {
    try {
      result = co_await sender->second->send(entry);
    } catch (const std::exception& e) {
      result = {send_result::outcome::retry, std::string{"sender failed: "} + e.what()};
    }
  }

  const auto now = clock_.now();
  const auto id = entry.id;
  std::function<void(store::transaction&)> record;
  if (result.result == send_result::outcome::sent) {
    // A planner fallback (template message, SMS) is shown in the ticket's history.
    std::string plan = result.detail.rfind("plan=", 0) == 0 ? result.detail.substr(5) : std::string{};
    record = [id, now, plan, ticket = entry.ticket, channel = entry.channel](store::transaction& tx) {
      tx.mark_outbox_sent(id, now);
      if (!plan.empty() && !ticket.empty())
        tx.append_event({ticket, now, "bot", "delivered",
                         json_object{}.num("outbox_id", id).str("channel", channel).str("plan", plan).json()});
    };
  } else {
    const bool dead = result.result == send_result::outcome::permanent || entry.attempts >= options_.max_attempts;
    const auto delay = static_cast<std::int64_t>(static_cast<double>(backoff(options_, entry.attempts).count()) * jitter());
    record = [id, detail = result.detail, next = now + std::max<std::int64_t>(1, delay), dead](store::transaction& tx) {
      tx.mark_outbox_failed(id, detail, next, dead);
    };
    spdlog::warn("event=outbound_failed outbox_id={} channel={} attempt={} dead={} request_id={} error=\"{}\"", id,
                 entry.channel, entry.attempts, dead, request_id_of(entry), result.detail);
    metrics::outbound_send(entry.channel, dead ? "dead" : "retry");
  }
  // If recording fails (store down), the lease expires and the entry is retried later.
  co_await this->record(std::move(record));
  if (result.result == send_result::outcome::sent) {
    metrics::outbound_send(entry.channel, "sent");
    spdlog::info("event=outbound_sent outbox_id={} channel={} plan={} attempt={} request_id={}", id, entry.channel,
                 entry.plan, entry.attempts, request_id_of(entry));
  }
}

net::awaitable<void> outbox_worker::record(std::function<void(store::transaction&)> fn) {
  auto initiation = [this, fn = std::move(fn)](auto handler) mutable {
    // The coroutine's handler is move-only; std::function needs a copyable callable.
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    pending_record r{std::move(fn), [h](std::exception_ptr e) {
                       auto ex = net::get_associated_executor(*h);
                       net::post(ex, [h, e]() mutable { (*h)(e); });
                     }};
    bool start = false;
    {
      std::lock_guard lock{records_mutex_};
      records_.push_back(std::move(r));
      start = !std::exchange(recording_, true);
    }
    if (start) {
      auto flush = [this] { return flush_records(); };
      net::co_spawn(ioc_, std::move(flush), net::detached);
    }
  };
  auto operation = net::async_initiate<const net::use_awaitable_t<>&, void(std::exception_ptr)>(
      std::move(initiation), net::use_awaitable);
  co_await std::move(operation);
}

net::awaitable<void> outbox_worker::flush_records() {
  for (;;) {
    std::vector<pending_record> batch;
    {
      std::lock_guard lock{records_mutex_};
      batch.swap(records_);
      if (batch.empty()) {
        recording_ = false;
        co_return;
      }
    }
    // One unit for the group. An entry that vanished (not_found) fails alone; any other error
    // fails the unit, and with it every result of the group (they are retried after the lease).
    auto errors = std::make_shared<std::vector<std::exception_ptr>>(batch.size());
    std::function<bool(store::transaction&)> unit = [&batch, errors](store::transaction& tx) {
      errors->assign(batch.size(), nullptr);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
          batch[i].fn(tx);
        } catch (const store::store_error& e) {
          if (e.code() != store::errc::not_found) throw;
          (*errors)[i] = std::current_exception();
        }
      }
      return true;
    };
    std::exception_ptr failure;
    try {
      co_await store_.write<bool>(std::move(unit));
    } catch (...) {
      failure = std::current_exception();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(failure ? failure : (*errors)[i]);
  }
}

}  // namespace bot
