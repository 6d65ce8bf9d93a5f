#pragma once
// Thin RAII over one Connector/C++ connection, private to store/mysql/: connecting with the
// options (timeouts, utf8mb4, CLIENT_FOUND_ROWS), the session settings every connection needs, a
// cache of prepared statements, and a statement object that binds parameters, executes and reads
// columns. Every SQLException leaves here as store_error (see to_errc for the mapping).
// Like store::connection, a session is used by one thread at a time.

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/mysql/mysql_backend.hpp"
#include "store/store.hpp"

namespace store::mysql {

// Maps a server or client error number onto the store's error codes:
// 1062 duplicate key -> duplicate; 1213 deadlock, 1205 lock wait timeout -> conflict;
// lost / refused connections, a read-only or full server -> unavailable; else internal.
errc to_errc(int error_number);

class session;

// One use of a prepared statement. Binds are 1-based, columns 0-based (as in store/sqlite/). On
// destruction a cached statement drops its result and parameters for the next use; an uncached one
// is closed.
class statement {
 public:
  // `sql` is the cache key the statement was prepared from; it outlives the statement.
  statement(session& owner, std::string_view sql, sql::PreparedStatement* stmt, bool* in_use,
            std::unique_ptr<sql::PreparedStatement> owned)
      : owner_(&owner), stmt_(stmt), in_use_(in_use), owned_(std::move(owned)), sql_(sql) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept;
  statement& operator=(statement&&) = delete;
  ~statement();

  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  // Without this overload a string literal would convert to bool, not to string_view.
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, bool value) { bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  void bind(int index, const std::optional<std::int64_t>& value);
  void bind(int index, const std::optional<bool>& value);

  // Binds the arguments to parameters 1..n in order.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Runs the query on the first call, then steps: true when a row is ready to read.
  bool next();
  // Runs a statement that returns no rows; returns the rows it matched (CLIENT_FOUND_ROWS: an
  // UPDATE that sets a row to its current values still counts it).
  std::int64_t run();

  bool is_null(int column) const;
  std::string text(int column) const;    // NULL reads as ""
  std::int64_t int64(int column) const;  // NULL reads as 0
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  session* owner_;
  sql::PreparedStatement* stmt_;
  bool* in_use_;  // the cache slot's flag; nullptr for an uncached (one-off) statement
  std::unique_ptr<sql::PreparedStatement> owned_;
  std::unique_ptr<sql::ResultSet> rows_;
  std::string_view sql_;  // for error messages
};

class session {
 public:
  // Connects at once. Throws store_error(unavailable) when the server cannot be reached or
  // refuses the login, store_error(internal) when a session setting is rejected.
  session(sql::Driver* driver, options o);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();

  // Checks the connection with a ping (isValid) and replaces it when it is broken, e.g. after the
  // server restarted or killed it. Throws store_error(unavailable) when reconnecting fails.
  void ensure_connected();

  // A statement for `sql`, prepared once per connection and reused. If the cached copy is in use
  // further up the stack, a one-off copy is prepared instead of clobbering it.
  statement prepare(const std::string& sql);

  // Runs SQL that carries no values (transaction control, constant session settings, DDL).
  void exec(const std::string& sql);
  // As exec, but reports failure as false instead of throwing (used on cleanup paths).
  bool try_exec(const std::string& sql) noexcept;

  // The value LAST_INSERT_ID() holds: the id of the last AUTO_INCREMENT insert, or the value last
  // passed to LAST_INSERT_ID(expr).
  std::int64_t last_insert_id();

  // True once an error has ended the server-side transaction on its own (deadlock, lost
  // connection): savepoints are gone and later statements would run outside the transaction.
  // lost_reason() is that error's code (conflict or unavailable). Cleared by begin_transaction().
  bool transaction_lost() const { return transaction_lost_; }
  errc lost_reason() const { return lost_reason_; }
  void begin_transaction(const char* sql);

  // Runs parameterless SQL and returns every row as text (NULL as ""); no rows for a statement
  // that returns none. For statements that cannot be prepared (KILL, CREATE DATABASE) in tests.
  std::vector<std::vector<std::string>> exec_rows(const std::string& sql);

  // The error number of the last failure fail() reported (0 before any).
  int last_error_number() const { return last_error_number_; }

  // Throws the store_error for `e`; `what` names the operation. The message never carries bound
  // values, nor the server's text where that quotes them (duplicate entry, incorrect value).
  [[noreturn]] void fail(const sql::SQLException& e, std::string_view what);

 private:
  struct cached_statement {
    std::unique_ptr<sql::PreparedStatement> stmt;
    bool in_use = false;
  };

  void connect();
  void disconnect() noexcept;

  sql::Driver* driver_;
  options options_;
  std::unique_ptr<sql::Connection> conn_;
  // Node-based map: the address of each in_use flag stays valid while statements point at it.
  std::unordered_map<std::string, cached_statement> cache_;
  bool transaction_lost_ = false;
  int last_error_number_ = 0;
  errc lost_reason_ = errc::conflict;
};

}  // namespace store::mysql
