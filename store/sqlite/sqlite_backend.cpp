#include "store/sqlite/sqlite_backend.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "store/sqlite/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/transaction.hpp"

namespace store::sqlite {

namespace {

// How long a statement waits for another connection's lock before failing with SQLITE_BUSY
// (-> errc::conflict). The bot has one writer, so waits come from checkpoints, a second
// process running `migrate`, or tests with several writers; 5 s covers those with room to spare.
constexpr int busy_timeout_ms = 5000;

// The unit savepoint's statements, prepared once per connection (database::prepare caches them)
// instead of parsed by sqlite3_exec twice per unit. Same SQL as before, so the same semantics:
// ROLLBACK TO undoes the unit and leaves the savepoint open, RELEASE then closes it.
const std::string savepoint_unit = "SAVEPOINT unit";
const std::string release_unit = "RELEASE unit";
const std::string rollback_to_unit = "ROLLBACK TO unit";
// Transaction control as cached statements too: sqlite3_exec parses its text on every call, and
// these run once per batch / per read job.
const std::string begin_immediate = "BEGIN IMMEDIATE";
const std::string begin_deferred = "BEGIN";
const std::string commit = "COMMIT";

bool is_store_error(const std::exception_ptr& ep, errc code) {
  try {
    std::rethrow_exception(ep);
  } catch (const store_error& e) {
    return e.code() == code;
  } catch (...) {
    return false;
  }
}

class sqlite_connection final : public connection {
 public:
  sqlite_connection(const std::string& path, bool writer, std::shared_ptr<const std::vector<migration>> steps)
      : db_(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX),
        writer_(writer),
        steps_(std::move(steps)) {
    // First, so that the pragmas below also wait for a lock instead of failing at once.
    db_.exec(("PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms)).c_str());
    // WAL lets readers keep their snapshot while the writer commits, and readers never block it.
    // The mode is stored in the file, so this is a no-op after the first connection set it.
    // Switching a fresh file needs an exclusive lock, and SQLite answers BUSY at once, without
    // calling the busy handler, while another connection is opening the same file (several
    // processes or store threads starting together): wait for it as busy_timeout would.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    while ((db_.try_exec("PRAGMA journal_mode = WAL") & 0xff) == SQLITE_BUSY &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    db_.exec("PRAGMA journal_mode = WAL");  // a no-op now, or throws what the last attempt met
    // FULL: in WAL mode, NORMAL does not fsync the log at each commit, so a power loss could drop
    // the last transactions after the webhook that caused them was answered 200 and the gateway
    // stopped retrying. FULL makes COMMIT return only once the WAL is on disk.
    db_.exec("PRAGMA synchronous = FULL");
    // Off by default in SQLite for compatibility; ticket_events / ticket_attachments rely on it.
    db_.exec("PRAGMA foreign_keys = ON");
    // Every unit of a group commit runs in a savepoint, so SQLite keeps the original of each page
    // a unit changes in a sub-journal until the transaction ends. By default that journal spills
    // to a temporary file past 64 KiB: two pwrite(2) per page, ~40 syscalls per webhook under
    // load (issue 7, measured with strace). In memory it costs the batch's changed pages (a few
    // MB at most: max_batch units) and no syscalls; it never needed to survive a crash, since
    // the WAL is what makes a commit durable.
    db_.exec("PRAGMA temp_store = MEMORY");
    // Readers cannot write even by mistake; the file itself stays writable so a reader can still
    // open a database whose WAL index (-shm) does not exist yet.
    if (!writer_) db_.exec("PRAGMA query_only = ON");
  }

  void migrate() override {
    // Any connection may migrate (whichever the caller opened first); a reader lifts query_only
    // for the duration.
    if (!writer_) db_.exec("PRAGMA query_only = OFF");
    try {
      run_migrations();
    } catch (...) {
      if (!writer_) db_.try_exec("PRAGMA query_only = ON");
      throw;
    }
    if (!writer_) db_.exec("PRAGMA query_only = ON");
  }

  int schema_version() override {
    if (!has_version_table()) return 0;
    auto st = db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    st.next();
    return static_cast<int>(st.int64(0));
  }

  std::vector<std::exception_ptr> write_batch(std::span<const unit_of_work> units) override {
    if (!writer_) throw store_error(errc::internal, "write_batch on a reader connection");
    // IMMEDIATE takes the write lock now, so a unit never fails halfway on a lock upgrade
    // (SQLITE_BUSY_SNAPSHOT) and concurrent writers queue on busy_timeout instead.
    db_.prepare(begin_immediate).run();
    std::vector<std::exception_ptr> results(units.size());
    try {
      sqlite_transaction tx(db_, true);
      for (std::size_t i = 0; i < units.size(); ++i) {
        db_.prepare(savepoint_unit).run();
        try {
          units[i](tx);
          db_.prepare(release_unit).run();
        } catch (...) {
          results[i] = std::current_exception();
          rollback_unit(results[i]);
        }
      }
      db_.prepare(commit).run();
    } catch (...) {
      // Nothing of the batch may survive; the rollback's own failure adds nothing useful.
      if (db_.in_transaction()) db_.try_exec("ROLLBACK");
      throw;
    }
    return results;
  }

  void read(const unit_of_work& fn) override {
    // Deferred: the snapshot is taken at the first read and held until the end, so fn sees one
    // consistent state even while the writer commits.
    db_.prepare(begin_deferred).run();
    try {
      sqlite_transaction tx(db_, false);
      fn(tx);
      db_.prepare(commit).run();
    } catch (...) {
      if (db_.in_transaction()) db_.try_exec("ROLLBACK");
      throw;
    }
  }

  bool ping() override {
    try {
      auto st = db_.prepare("SELECT 1");
      return st.next() && st.int64(0) == 1;
    } catch (const store_error&) {
      return false;
    }
  }

 private:
  // Undoes one failed unit and decides whether the rest of the batch may go on. It may not when
  // the database itself is failing (unavailable) or when SQLite already rolled the whole
  // transaction back on its own (it does so after I/O errors and out-of-memory).
  void rollback_unit(const std::exception_ptr& failure) {
    const bool batch_lost = is_store_error(failure, errc::unavailable) || !db_.in_transaction();
    if (!batch_lost) {
      db_.prepare(rollback_to_unit).run();
      db_.prepare(release_unit).run();
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const store_error&) {
      throw;
    } catch (...) {
      // The unit threw something else, but the transaction is gone: report it as the store's
      // problem, since the other units were lost through no fault of theirs.
      throw store_error(errc::unavailable, "sqlite: transaction rolled back by the database");
    }
  }

  bool has_version_table() {
    auto st = db_.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    return st.next();
  }

  void run_migrations() {
    // IMMEDIATE: two processes starting at once queue here; the second then finds the steps
    // already recorded and applies none of them twice.
    db_.exec("BEGIN IMMEDIATE");
    try {
      db_.exec(
          "CREATE TABLE IF NOT EXISTS schema_version ("
          " version    INTEGER NOT NULL PRIMARY KEY,"
          " applied_at BIGINT  NOT NULL)");
      const int current = schema_version();
      const int newest = steps_->empty() ? 0 : steps_->back().version;
      if (current > newest) {
        throw store_error(errc::corrupt, "sqlite: schema version " + std::to_string(current) +
                                             " is newer than this binary knows (" + std::to_string(newest) + ")");
      }
      for (const auto& step : *steps_) {
        if (step.version <= current) continue;
        db_.exec(step.sql.c_str());
        auto st = db_.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
        st.bind_all(step.version, static_cast<std::int64_t>(std::time(nullptr))).run();
      }
      db_.exec("COMMIT");
    } catch (...) {
      if (db_.in_transaction()) db_.try_exec("ROLLBACK");
      throw;
    }
  }

  database db_;
  bool writer_;
  // Shared with the backend, so a connection may outlive the backend that opened it.
  std::shared_ptr<const std::vector<migration>> steps_;
};

class sqlite_backend final : public backend {
 public:
  sqlite_backend(std::string path, std::vector<migration> steps)
      : path_(std::move(path)), steps_(std::make_shared<const std::vector<migration>>(std::move(steps))) {
    const auto dir = std::filesystem::path(path_).parent_path();
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw store_error(errc::unavailable, "sqlite: cannot create directory " + dir.string() + ": " + ec.message());
  }

  std::string name() const override { return "sqlite"; }

  std::unique_ptr<connection> open(bool writer) override {
    return std::make_unique<sqlite_connection>(path_, writer, steps_);
  }

 private:
  std::string path_;
  std::shared_ptr<const std::vector<migration>> steps_;
};

}  // namespace

std::unique_ptr<backend> make_backend(const std::string& path) { return make_backend(path, builtin_migrations()); }

std::unique_ptr<backend> make_backend(const std::string& path, std::vector<migration> steps) {
  return std::make_unique<sqlite_backend>(path, std::move(steps));
}

}  // namespace store::sqlite
