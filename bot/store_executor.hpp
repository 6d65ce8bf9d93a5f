#pragma once
// The store's threads. Blocking database work runs here, never on network threads
// (style.md §11); coroutines await it.
//
// Writes go to one queue served by writer thread(s) that take everything queued and run it as
// ONE transaction (group commit, store::connection::write_batch): under load many
// conversations' steps share one fsync, and one unit's failure rolls back only that unit.
// Reads go to a pool of reader threads with their own connections.

#include "bot/net.hpp"
#include "store/store.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

namespace bot {

struct store_executor_options {
  int writers = 1;              // SQLite: 1 (one writer); MySQL: the pool size
  int readers = 2;
  std::size_t max_batch = 512;  // units per transaction
  std::size_t max_backlog = 20000;  // queued jobs past this fail fast with store_error(unavailable)
  int conflict_retries = 3;         // a whole batch lost to a deadlock / certification failure is re-run
  // Called on each store thread before it opens its connection and after it closes it
  // (MySQL Connector/C++ needs threadInit/threadEnd per thread). May be empty.
  std::function<void()> thread_init, thread_end;
};

class store_executor {
 public:
  // Opens every connection (throws store_error(unavailable) when the database cannot be
  // opened) and starts the threads.
  store_executor(store::backend& backend, store_executor_options options);
  // Stops taking jobs, finishes the queued ones, joins the threads.
  ~store_executor();
  store_executor(const store_executor&) = delete;
  store_executor& operator=(const store_executor&) = delete;

  // Runs fn(tx) in the next group-commit batch and resumes the caller on its own executor once
  // the batch is committed. Throws what fn threw (its writes are rolled back) or store_error
  // when the batch could not commit. T must be movable.
  template <class T>
  net::awaitable<T> write(std::function<T(store::transaction&)> fn) {
    std::optional<T> result;
    store::unit_of_work unit = [&result, fn = std::move(fn)](store::transaction& tx) { result.emplace(fn(tx)); };
    // Named locals, not temporaries, in co_await expressions: GCC 12 may destroy a temporary
    // twice across a suspension (see style.md §10).
    job_fn job{std::move(unit)};
    co_await submit(true, std::move(job));
    co_return std::move(*result);
  }

  // Runs fn(tx) in a read snapshot on a reader thread.
  template <class T>
  net::awaitable<T> read(std::function<T(store::transaction&)> fn) {
    std::optional<T> result;
    std::function<void(store::connection&)> reader = [&result, fn = std::move(fn)](store::connection& c) {
      c.read([&](store::transaction& tx) { result.emplace(fn(tx)); });
    };
    job_fn job{std::move(reader)};
    co_await submit(false, std::move(job));
    co_return std::move(*result);
  }

  // True when a reader connection answers a trivial query.
  net::awaitable<bool> ping();

 private:
  using job_fn = std::variant<store::unit_of_work, std::function<void(store::connection&)>>;
  struct job {
    job_fn fn;
    std::function<void(std::exception_ptr)> done;
  };
  struct queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<job> jobs;
  };

  net::awaitable<void> submit(bool write, job_fn fn);
  void enqueue(bool write, job j);
  void writer_loop(std::unique_ptr<store::connection> conn);
  void reader_loop(std::unique_ptr<store::connection> conn);

  store::backend& backend_;
  store_executor_options options_;
  queue writes_, reads_;
  bool stopping_ = false;  // under both queues' mutexes
  std::vector<std::thread> threads_;
};

}  // namespace bot
