#pragma once
// The outbox worker: every outbound message (customer or staff, any channel) was written to
// the outbox in the same transaction as the change that caused it; this worker claims due
// entries (with a lease, so one worker gets each), hands each to its channel's sender, and
// records the result: sent, retry later with exponential backoff and jitter, or dead after
// `max_attempts` or on a permanent error. A crash between send and record leaves the entry
// `sending` until its lease expires, then it is sent again: at most one duplicate, never a loss.

#include "bot/clock.hpp"
#include "bot/net.hpp"
#include "bot/store_executor.hpp"
#include "store/store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace bot {

struct send_result {
  enum class outcome { sent, retry, permanent };
  outcome result = outcome::retry;
  std::string detail;  // error text for the entry's last_error (no secrets, no message bodies)
};

// Sends one entry on one channel. Implementations never throw for gateway failures (they
// return retry/permanent); an exception counts as retry.
class channel_sender {
 public:
  virtual ~channel_sender() = default;
  virtual net::awaitable<send_result> send(store::outbox_entry entry) = 0;
};

struct outbox_options {
  int max_attempts = 8;
  std::chrono::seconds base_backoff{10};
  std::chrono::seconds max_backoff{1800};
  std::chrono::seconds lease{120};          // longer than the slowest send's deadline
  int batch = 32;
  int max_in_flight = 256;                  // concurrent sends; a hanging gateway holds only its own
  std::chrono::milliseconds poll{250};      // how often due entries are looked for when idle
};

class outbox_worker {
 public:
  // Senders by channel name ("wechat", "sms", "email"); they must outlive the worker.
  outbox_worker(net::io_context& ioc, store_executor& store, const clock& clk,
                std::map<std::string, channel_sender*> senders, outbox_options options = {});

  // Starts the polling loop on the io_context.
  void start();
  // Stops polling; entries being sent finish (called from any thread). `done` runs when the
  // loop has exited.
  void stop(std::function<void()> done);
  // Asks for an immediate pass (after a commit that enqueued entries). Any thread.
  void wake();
  // Sends entries a committed unit enqueued already leased to us (outbound.hpp
  // direct_send_scope) without claiming them, and records the results as a pass would. Past
  // max_in_flight they wait in memory for a free slot (up to 16 × max_in_flight of them); beyond
  // that, or while stopping, they stay leased and the worker takes them over when the lease runs
  // out. Any thread; returns at once.
  void send_now(std::vector<store::outbox_entry> entries);

  // One pass: claims up to `batch` due entries, sends them concurrently, records results, and
  // returns (how many were claimed) once all of them are recorded. Used by the test clock.
  net::awaitable<int> run_once();

  // Delay before attempt `attempts + 1` (attempts >= 1), without jitter: base * 2^(attempts-1),
  // capped at max_backoff.
  static std::chrono::seconds backoff(const outbox_options& options, int attempts);

 private:
  net::awaitable<void> loop();
  // Claims up to `limit` due entries and starts sending them without waiting (the loop's pass:
  // one slow gateway must not hold back the others). Returns how many were claimed.
  net::awaitable<int> claim_and_start(int limit);
  net::awaitable<void> deliver(store::outbox_entry entry);
  // Counts `entry` in flight and sends it; when it is done, the next waiting direct entry starts.
  void start_delivery(store::outbox_entry entry);
  // Records one send's result. Results that arrive while a record unit is committing wait and go
  // together into the next one: one store unit per group instead of one per message (issue 7).
  // Throws what recording threw (the entry then stays leased and is retried after the lease).
  net::awaitable<void> record(std::function<void(store::transaction&)> fn);
  net::awaitable<void> flush_records();

  net::io_context& ioc_;
  // The loop, its timer and the stop/wake requests all run on this strand (timers are not
  // safe to touch from two threads at once).
  net::strand<net::io_context::executor_type> strand_;
  store_executor& store_;
  const clock& clock_;
  std::map<std::string, channel_sender*> senders_;
  outbox_options options_;
  net::steady_timer wakeup_;
  std::atomic<bool> stopping_{false};
  // On strand_: a wake() arrived since the current pass began. Without it a wake that lands
  // while the pass awaits its claim cancels no wait and is lost, and the entries it announced
  // wait for the next poll (up to `poll` of added reply latency under load; issue 7).
  bool wake_pending_ = false;
  std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
  // Entries this worker is sending now. A send that outlives its lease (a gateway slower than
  // the lease, or the test clock jumping past it) is claimed again; if the claim lands here
  // while the first send is still under way it is dropped instead of sent twice.
  std::mutex sending_mutex_;
  std::set<std::int64_t> sending_;
  std::function<void()> on_stopped_;
  // send_now(): direct entries waiting for a free slot under max_in_flight.
  std::mutex overflow_mutex_;
  std::deque<store::outbox_entry> overflow_;
  // record(): results waiting for the next unit, and whether a flush_records loop runs.
  struct pending_record {
    std::function<void(store::transaction&)> fn;
    std::function<void(std::exception_ptr)> done;
  };
  std::mutex records_mutex_;
  std::vector<pending_record> records_;
  bool recording_ = false;
};

}  // namespace bot
