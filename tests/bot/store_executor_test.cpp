// bot/store_executor: a group commit that keeps deadlocking is split and every unit commits on
// its own. The database is a real SQLite file; only the deadlock is staged (a server database
// deadlocks between concurrent writers, which a test cannot make happen on cue): the wrapper
// refuses every batch of more than one unit the way MariaDB refuses a deadlock victim.
#include "bot/store_executor.hpp"
#include "store/sqlite/sqlite_backend.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

namespace {

struct deadlock_counts {
  std::atomic<int> refused{0}, committed{0};
};

// Delegates to SQLite, but a batch of several units fails with errc::conflict and leaves
// nothing behind (like a deadlock victim's rollback).
class deadlocking_connection final : public store::connection {
 public:
  deadlocking_connection(std::unique_ptr<store::connection> real, deadlock_counts& counts)
      : real_(std::move(real)), counts_(counts) {}
  void migrate() override { real_->migrate(); }
  int schema_version() override { return real_->schema_version(); }
  std::vector<std::exception_ptr> write_batch(std::span<const store::unit_of_work> units) override {
    if (units.size() > 1) {
      ++counts_.refused;
      throw store::store_error(store::errc::conflict, "staged deadlock");
    }
    ++counts_.committed;
    return real_->write_batch(units);
  }
  void read(const store::unit_of_work& fn) override { real_->read(fn); }
  bool ping() override { return real_->ping(); }

 private:
  std::unique_ptr<store::connection> real_;
  deadlock_counts& counts_;
};

class deadlocking_backend final : public store::backend {
 public:
  deadlocking_backend(const std::string& path, deadlock_counts& counts)
      : real_(store::sqlite::make_backend(path)), counts_(counts) {}
  std::string name() const override { return "sqlite"; }
  std::unique_ptr<store::connection> open(bool writer) override {
    return std::make_unique<deadlocking_connection>(real_->open(writer), counts_);
  }

 private:
  std::unique_ptr<store::backend> real_;
  deadlock_counts& counts_;
};

}  // namespace

TEST_CASE("a batch that deadlocks again after a retry is split, and every unit commits", "[store_executor]") {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("sb-executor-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  deadlock_counts counts;
  deadlocking_backend backend{(dir / "s.db").string(), counts};
  backend.open(true)->migrate();
  {
    bot::store_executor_options options;
    options.readers = 1;
    bot::store_executor executor{backend, options};
    net::io_context ioc;
    std::atomic<int> done{0}, failed{0};
    // The first unit holds the writer while the others queue, so they share the next batch.
    std::function<int(store::transaction&)> slow = [](store::transaction& tx) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      tx.put_setting("k.slow", "1", 0);
      return 0;
    };
    auto first = [&]() -> net::awaitable<void> {
      co_await executor.write<int>(slow);
      ++done;
    };
    net::co_spawn(ioc, first, net::detached);
    constexpr int queued = 10;
    for (int i = 0; i < queued; ++i) {
      auto one = [&, i]() -> net::awaitable<void> {
        std::function<int(store::transaction&)> put = [i](store::transaction& tx) {
          tx.put_setting("k." + std::to_string(i), std::to_string(i), 0);
          return i;
        };
        try {
          const int value = co_await executor.write<int>(put);
          if (value == i) ++done;
        } catch (const store::store_error&) {
          ++failed;
        }
      };
      net::co_spawn(ioc, one, net::detached);
    }
    ioc.run();
    CHECK(failed == 0);
    CHECK(done == queued + 1);
    // The multi-unit batch was refused twice (first try and one retry), then split.
    CHECK(counts.refused >= 2);
    CHECK(counts.committed >= queued + 1);
    // Everything is in the file.
    std::function<int(store::transaction&)> count = [](store::transaction& tx) {
      int n = 0;
      for (int i = 0; i < queued; ++i)
        if (tx.get_setting("k." + std::to_string(i), 0)) ++n;
      return n;
    };
    int stored = 0;
    auto check = [&]() -> net::awaitable<void> { stored = co_await executor.read<int>(count); };
    net::co_spawn(ioc, check, net::detached);
    ioc.restart();
    ioc.run();
    CHECK(stored == queued);
  }
  std::filesystem::remove_all(dir);
}
