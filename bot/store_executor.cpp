#include "bot/store_executor.hpp"

#include "bot/metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <span>

namespace bot {

store_executor::store_executor(store::backend& backend, store_executor_options options)
    : backend_(backend), options_(options) {
  // Each thread opens its own connection (a connection belongs to the thread that uses it);
  // the constructor waits until all are open, so an unreachable database fails the start.
  const int total = options_.writers + options_.readers;
  std::mutex m;
  std::condition_variable opened;
  int ready = 0;
  std::exception_ptr failure;
  for (int i = 0; i < total; ++i) {
    const bool writer = i < options_.writers;
    threads_.emplace_back([this, writer, &m, &opened, &ready, &failure] {
      if (options_.thread_init) options_.thread_init();
      std::unique_ptr<store::connection> conn;
      try {
        conn = backend_.open(writer);
      } catch (...) {
        std::lock_guard lock{m};
        if (!failure) failure = std::current_exception();
      }
      {
        std::lock_guard lock{m};
        ++ready;
      }
      opened.notify_all();
      if (conn) {
        if (writer) writer_loop(std::move(conn));
        else reader_loop(std::move(conn));
      }
      if (options_.thread_end) options_.thread_end();
    });
  }
  std::unique_lock lock{m};
  opened.wait(lock, [&] { return ready == total; });
  if (failure) {
    lock.unlock();
    {
      std::scoped_lock stop{writes_.mutex, reads_.mutex};
      stopping_ = true;
    }
    writes_.ready.notify_all();
    reads_.ready.notify_all();
    for (auto& t : threads_) t.join();
    std::rethrow_exception(failure);
  }
}

store_executor::~store_executor() {
  {
    std::scoped_lock lock{writes_.mutex, reads_.mutex};
    stopping_ = true;
  }
  writes_.ready.notify_all();
  reads_.ready.notify_all();
  for (auto& t : threads_) t.join();
}

net::awaitable<void> store_executor::submit(bool write, job_fn fn) {
  // Observed on every exit, a failed job included: queue wait plus the work itself.
  struct latency_probe {
    bool write;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~latency_probe() {
      metrics::store_call(write, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
  };
  latency_probe probe{write};
  auto initiation = [this, write, fn = std::move(fn)](auto handler) mutable {
    // The coroutine's handler is move-only; std::function needs a copyable callable.
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    job j{std::move(fn), [h](std::exception_ptr e) {
            auto ex = net::get_associated_executor(*h);
            net::post(ex, [h, e]() mutable { (*h)(e); });
          }};
    enqueue(write, std::move(j));
  };
  auto operation = net::async_initiate<const net::use_awaitable_t<>&, void(std::exception_ptr)>(
      std::move(initiation), net::use_awaitable);
  co_await std::move(operation);
}

void store_executor::enqueue(bool write, job j) {
  auto& q = write ? writes_ : reads_;
  {
    std::lock_guard lock{q.mutex};
    if (stopping_) {
      j.done(std::make_exception_ptr(store::store_error(store::errc::unavailable, "store is shutting down")));
      return;
    }
    // Fail fast rather than queue without bound when the database cannot keep up.
    if (q.jobs.size() >= options_.max_backlog) {
      j.done(std::make_exception_ptr(store::store_error(store::errc::unavailable, "store backlog full")));
      return;
    }
    q.jobs.push_back(std::move(j));
  }
  q.ready.notify_one();
}

net::awaitable<bool> store_executor::ping() {
  bool ok = false;
  std::function<void(store::connection&)> probe = [&ok](store::connection& c) { ok = c.ping(); };
  job_fn job{std::move(probe)};
  try {
    co_await submit(false, std::move(job));
  } catch (const std::exception&) {
    co_return false;
  }
  co_return ok;
}

void store_executor::writer_loop(std::unique_ptr<store::connection> conn) {
  for (;;) {
    std::vector<job> batch;
    {
      std::unique_lock lock{writes_.mutex};
      writes_.ready.wait(lock, [&] { return stopping_ || !writes_.jobs.empty(); });
      if (writes_.jobs.empty()) return;
      // Everything queued while the previous batch was committing goes into this one.
      while (!writes_.jobs.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(writes_.jobs.front()));
        writes_.jobs.pop_front();
      }
    }
    std::vector<store::unit_of_work> units;
    units.reserve(batch.size());
    for (auto& j : batch) units.push_back(std::move(std::get<store::unit_of_work>(j.fn)));
    // Commits `part` as one transaction; a deadlock or certification failure rolled all of it
    // back, so running the same units again is safe. Throws the last store_error.
    auto commit = [&](std::span<const store::unit_of_work> part, int retries) {
      for (int attempt = 0;; ++attempt) {
        try {
          if (!conn) conn = backend_.open(true);
          return conn->write_batch(part);
        } catch (const store::store_error& e) {
          if (e.code() != store::errc::conflict || attempt >= retries) throw;
          std::this_thread::sleep_for(std::chrono::milliseconds(5 << attempt));
        }
      }
    };
    std::vector<std::exception_ptr> results;
    try {
      // A batch that keeps deadlocking (several writers on a server database meeting on a hot
      // row such as the day's ticket sequence) is split after one retry: each unit then commits
      // on its own, so one unlucky group does not turn into 503s for all its requests.
      results = commit(units, units.size() > 1 ? std::min(1, options_.conflict_retries) : options_.conflict_retries);
    } catch (const store::store_error& e) {
      if (e.code() == store::errc::conflict && units.size() > 1) {
        spdlog::warn("event=store_batch_split units={} reason=conflict", units.size());
        results.assign(units.size(), nullptr);
        for (std::size_t i = 0; i < units.size(); ++i) {
          try {
            results[i] = commit(std::span<const store::unit_of_work>(&units[i], 1), options_.conflict_retries).front();
          } catch (const store::store_error& one) {
            spdlog::error("event=store_unit_failed code={} error=\"{}\"", store::to_string(one.code()), one.what());
            results[i] = std::current_exception();
            if (one.code() == store::errc::unavailable) conn.reset();
          } catch (...) {
            results[i] = std::current_exception();
          }
        }
      } else {
        spdlog::error("event=store_batch_failed units={} code={} error=\"{}\"", batch.size(),
                      store::to_string(e.code()), e.what());
        results.assign(batch.size(), std::current_exception());
        // Reconnect before the next batch: the connection may be broken.
        if (e.code() == store::errc::unavailable) conn.reset();
      }
    } catch (...) {
      results.assign(batch.size(), std::current_exception());
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
  }
}

void store_executor::reader_loop(std::unique_ptr<store::connection> conn) {
  for (;;) {
    job j;
    {
      std::unique_lock lock{reads_.mutex};
      reads_.ready.wait(lock, [&] { return stopping_ || !reads_.jobs.empty(); });
      if (reads_.jobs.empty()) return;
      j = std::move(reads_.jobs.front());
      reads_.jobs.pop_front();
    }
    std::exception_ptr error;
    try {
      if (!conn) conn = backend_.open(false);
      std::get<std::function<void(store::connection&)>>(j.fn)(*conn);
    } catch (const store::store_error& e) {
      error = std::current_exception();
      if (e.code() == store::errc::unavailable) conn.reset();
    } catch (...) {
      error = std::current_exception();
    }
    j.done(error);
  }
}

}  // namespace bot
