#include "store/mysql/mysql_backend.hpp"

#include <mysql_driver.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

#include "store/mysql/migrations.hpp"
#include "store/mysql/session.hpp"
#include "store/mysql/testing.hpp"
#include "store/mysql/transaction.hpp"

namespace store::mysql {

namespace {

// How long migrate() waits for another process that is migrating the same database.
constexpr int migrate_lock_timeout_s = 30;

bool is_store_error(const std::exception_ptr& ep, errc code) {
  try {
    std::rethrow_exception(ep);
  } catch (const store_error& e) {
    return e.code() == code;
  } catch (...) {
    return false;
  }
}

// The database transaction of one write_batch or read: rolled back on every way out except a
// successful commit(), so an exception (ours, the unit's, or the connection's) never leaves a
// transaction open on a pooled connection.
class transaction_guard {
 public:
  transaction_guard(session& db, const char* begin) : db_(db) { db_.begin_transaction(begin); }
  transaction_guard(const transaction_guard&) = delete;
  transaction_guard& operator=(const transaction_guard&) = delete;
  ~transaction_guard() {
    // A failed rollback means the connection is gone, which ends the transaction as well.
    if (open_) db_.try_exec("ROLLBACK");
  }

  // A failed COMMIT (lost connection, Galera certification) throws, and the destructor still
  // tries the rollback.
  void commit() {
    db_.exec("COMMIT");
    open_ = false;
  }

 private:
  session& db_;
  bool open_ = true;
};

// MariaDB refuses GET_LOCK on a Galera node (ER_NOT_SUPPORTED_YET, MDEV-30473).
constexpr int not_supported_yet = 1235;

// GET_LOCK for the duration of migrate(), released on every way out. The lock is the server's,
// not the database's: the name carries the database so that instances of unrelated databases on
// one server do not queue behind each other.
class migrate_lock {
 public:
  migrate_lock(session& db, std::string name) : db_(db), name_(std::move(name)) {
    // 1: ours; 0: another process held it for the whole timeout; NULL: an error.
    bool got = false;
    try {
      auto st = db_.prepare("SELECT GET_LOCK(?, ?)");
      st.bind_all(name_, migrate_lock_timeout_s);
      got = st.next() && !st.is_null(0) && st.int64(0) == 1;
    } catch (const store_error&) {
      // Galera: no named locks. Migrate unlocked; the steps are re-runnable and a step recorded
      // twice is caught by schema_version's key (docs/mysql.md: run migrate from one place).
      if (db_.last_error_number() == not_supported_yet) return;
      throw;
    }
    if (!got) {
      throw store_error(errc::unavailable, "mysql: migrate: another process held the migration lock for " +
                                               std::to_string(migrate_lock_timeout_s) + " s");
    }
    held_ = true;
  }
  migrate_lock(const migrate_lock&) = delete;
  migrate_lock& operator=(const migrate_lock&) = delete;
  ~migrate_lock() {
    if (!held_) return;
    try {
      auto st = db_.prepare("SELECT RELEASE_LOCK(?)");
      st.bind_all(name_);
      st.next();
    } catch (...) {
      // The connection is gone, and the server released the lock with it.
    }
  }

 private:
  session& db_;
  std::string name_;
  bool held_ = false;
};

class mysql_connection final : public connection {
 public:
  mysql_connection(sql::Driver* driver, const options& o, std::shared_ptr<const std::vector<migration>> steps)
      : db_(driver, o), lock_name_("servicebot_migrate." + o.database), steps_(std::move(steps)) {
    // MySQL limits lock names to 64 characters; a longer database name shares a lock with its
    // namesakes, which only makes them queue.
    if (lock_name_.size() > 64) lock_name_.resize(64);
  }

  void migrate() override {
    db_.ensure_connected();
    // DDL commits on its own, so a transaction cannot keep two instances from both running a
    // step; the named lock does: the second one waits, then finds the steps recorded.
    migrate_lock lock(db_, lock_name_);
    db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version    INT    NOT NULL PRIMARY KEY,"
        " applied_at BIGINT NOT NULL"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    const int current = schema_version();
    const int newest = steps_->empty() ? 0 : steps_->back().version;
    if (current > newest) {
      throw store_error(errc::corrupt, "mysql: schema version " + std::to_string(current) +
                                           " is newer than this binary knows (" + std::to_string(newest) + ")");
    }
    for (const auto& step : *steps_) {
      if (step.version <= current) continue;
      for (const auto& statement : step.statements) db_.exec(statement);
      // Recorded only once every statement of the step ran: a step that died halfway runs again
      // (its statements are written to allow that).
      auto st = db_.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
      st.bind_all(step.version, static_cast<std::int64_t>(std::time(nullptr)));
      try {
        st.run();
      } catch (const store_error& e) {
        // Only without the lock (Galera): another instance ran the same step meanwhile.
        if (e.code() != errc::duplicate) throw;
      }
    }
  }

  int schema_version() override {
    db_.ensure_connected();
    {
      auto st = db_.prepare(
          "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = "
          "'schema_version'");
      if (!st.next() || st.int64(0) == 0) return 0;
    }
    auto st = db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    st.next();
    return static_cast<int>(st.int64(0));
  }

  std::vector<std::exception_ptr> write_batch(std::span<const unit_of_work> units) override {
    db_.ensure_connected();
    std::vector<std::exception_ptr> results(units.size());
    transaction_guard tx_guard(db_, "START TRANSACTION");
    mysql_transaction tx(db_, true);
    for (std::size_t i = 0; i < units.size(); ++i) {
      db_.exec("SAVEPOINT unit");
      try {
        units[i](tx);
      } catch (...) {
        results[i] = std::current_exception();
        rollback_unit(results[i]);
        continue;
      }
      // A unit that swallowed a deadlock would otherwise carry on outside any transaction.
      if (db_.transaction_lost())
        throw store_error(db_.lost_reason(), "mysql: transaction rolled back by the server during a unit");
      // No RELEASE: the next unit's SAVEPOINT with the same name replaces this one and COMMIT
      // drops it (MySQL and MariaDB both document that), one round trip less per unit.
    }
    tx_guard.commit();
    return results;
  }

  void read(const unit_of_work& fn) override {
    db_.ensure_connected();
    // REPEATABLE READ with a snapshot taken at the start (the session default is READ COMMITTED,
    // where every statement would see the latest commits): fn sees one consistent state even
    // while other connections commit. READ ONLY lets InnoDB skip the bookkeeping for writes.
    db_.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    transaction_guard tx_guard(db_, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    mysql_transaction tx(db_, false);
    fn(tx);
    tx_guard.commit();
  }

  bool ping() override {
    try {
      db_.ensure_connected();
      auto st = db_.prepare("SELECT 1");
      return st.next() && st.int64(0) == 1;
    } catch (const store_error&) {
      return false;
    }
  }

  // The server's id of this connection (for tests that kill it).
  std::int64_t connection_id() {
    db_.ensure_connected();
    auto st = db_.prepare("SELECT CONNECTION_ID()");
    if (!st.next()) throw store_error(errc::internal, "mysql: CONNECTION_ID() returned no row");
    return st.int64(0);
  }

 private:
  // Undoes one failed unit and decides whether the rest of the batch may go on. It may not when
  // the database itself is failing (unavailable) or when the server already ended the whole
  // transaction (a deadlock, a lost connection): its savepoint is gone with it.
  void rollback_unit(const std::exception_ptr& failure) {
    const bool batch_lost = is_store_error(failure, errc::unavailable) || db_.transaction_lost() ||
                            !db_.try_exec("ROLLBACK TO SAVEPOINT unit");
    if (!batch_lost) return;
    try {
      std::rethrow_exception(failure);
    } catch (const store_error&) {
      throw;
    } catch (...) {
      // The unit threw something else, but the transaction is gone: report it as the store's
      // problem, since the other units were lost through no fault of theirs.
      throw store_error(db_.transaction_lost() ? db_.lost_reason() : errc::unavailable,
                        "mysql: transaction rolled back by the server");
    }
  }

  session db_;
  std::string lock_name_;
  // Shared with the backend, so a connection may outlive the backend that opened it.
  std::shared_ptr<const std::vector<migration>> steps_;
};

class mysql_backend final : public backend {
 public:
  mysql_backend(options o, std::vector<migration> steps)
      : driver_(sql::mysql::get_driver_instance()),
        options_(std::move(o)),
        steps_(std::make_shared<const std::vector<migration>>(std::move(steps))) {}

  std::string name() const override { return "mysql"; }

  std::unique_ptr<connection> open(bool /*writer: every MySQL connection may write*/) override {
    return std::make_unique<mysql_connection>(driver_, options_, steps_);
  }

 private:
  sql::Driver* driver_;
  options options_;
  std::shared_ptr<const std::vector<migration>> steps_;
};

}  // namespace

std::unique_ptr<backend> make_backend(const options& o) { return make_backend(o, builtin_migrations()); }

std::unique_ptr<backend> make_backend(const options& o, std::vector<migration> steps) {
  return std::make_unique<mysql_backend>(o, std::move(steps));
}

std::int64_t testing::connection_id(connection& c) {
  auto* mysql = dynamic_cast<mysql_connection*>(&c);
  if (!mysql) throw std::invalid_argument("connection_id: not a MySQL connection");
  return mysql->connection_id();
}

void thread_init() {
  try {
    sql::mysql::get_driver_instance()->threadInit();
  } catch (...) {
    // Nothing to report to: the first query on this thread fails instead.
  }
}

void thread_end() {
  try {
    sql::mysql::get_driver_instance()->threadEnd();
  } catch (...) {
    // The thread is ending anyway.
  }
}

}  // namespace store::mysql
