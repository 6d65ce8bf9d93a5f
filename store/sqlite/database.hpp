#pragma once
// Thin RAII over the SQLite C API, private to store/sqlite/: one open database handle with a
// cache of prepared statements, and a statement object that binds parameters, steps and reads
// columns. Every SQLite failure leaves here as store_error (see to_errc for the mapping).
// Like store::connection, a database is used by one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

namespace store::sqlite {

// Maps an extended SQLite result code onto the store's error codes:
// UNIQUE / PRIMARYKEY constraint -> duplicate, BUSY / LOCKED -> conflict,
// CANTOPEN / IOERR / FULL / READONLY -> unavailable, CORRUPT / NOTADB -> corrupt, else internal.
errc to_errc(int extended_code);

// Throws the store_error for the most recent failure on `db`. `what` names the operation; it
// never contains bound values (those may be phone numbers or message bodies).
[[noreturn]] void throw_last_error(sqlite3* db, std::string_view what);

// One use of a prepared statement. Binds are 1-based, columns 0-based. On destruction a cached
// statement is reset and unbound for the next use; an uncached one is finalized.
class statement {
 public:
  statement(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept : stmt_(other.stmt_), in_use_(other.in_use_) {
    other.stmt_ = nullptr;
    other.in_use_ = nullptr;
  }
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

  // Steps once: true when a row is ready to read, false when the statement is done.
  bool next();
  // Steps a statement that returns no rows (INSERT / UPDATE / DELETE).
  void run();

  bool is_null(int column) const;
  std::string text(int column) const;    // NULL reads as ""
  std::int64_t int64(int column) const;  // NULL reads as 0
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache slot's flag; nullptr for an uncached (one-off) statement
};

class database {
 public:
  // Opens `path` with sqlite3_open_v2 `flags`. Throws store_error (unavailable when the file
  // cannot be opened).
  database(const std::string& path, int flags);
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  sqlite3* handle() const { return db_; }

  // A statement for `sql`, prepared once per connection and reused. If the cached copy is in use
  // further up the stack, a one-off copy is prepared instead of clobbering it.
  // Looked up by the text itself: no std::string is built for a literal on every call.
  statement prepare(std::string_view sql);

  // Runs parameterless SQL (transaction control, pragmas, schema DDL); may hold several statements.
  void exec(const char* sql);
  // As exec, but reports failure as the raw SQLite code instead of throwing (used on cleanup paths).
  int try_exec(const char* sql) noexcept;

  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  // True while an explicit transaction is open (SQLite may roll one back on its own after I/O errors).
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  struct cached_statement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite3* db_ = nullptr;
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };
  // Node-based map: the address of each in_use flag stays valid while statements point at it.
  std::unordered_map<std::string, cached_statement, text_hash, std::equal_to<>> cache_;
};

}  // namespace store::sqlite
