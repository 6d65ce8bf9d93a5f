#include "store/sqlite/database.hpp"

#include <string>

namespace store::sqlite {

namespace {

// Error messages name the statement, never its bound values; the SQL text is parameterised, so
// it is safe to log. Shortened because some statements (ticket columns) are long.
std::string describe(sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  std::string text = sql ? sql : "statement";
  constexpr std::size_t max_length = 80;
  if (text.size() > max_length) {
    text.resize(max_length);
    text += "...";
  }
  return text;
}

}  // namespace

errc to_errc(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return errc::duplicate;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return errc::conflict;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return errc::unavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return errc::corrupt;
    default:
      return errc::internal;
  }
}

void throw_last_error(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_CANTOPEN;
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw store_error(to_errc(code), message);
}

// ---- statement ----

statement::~statement() {
  if (!stmt_) return;
  if (in_use_) {
    // The result of reset repeats the last step's error, which was already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

void statement::bind(int index, std::string_view value) {
  // A null pointer would bind SQL NULL, so an empty view must still point at something.
  const char* data = value.empty() ? "" : value.data();
  // TRANSIENT: SQLite copies the text, so callers may bind temporaries.
  if (sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) {
    throw_last_error(sqlite3_db_handle(stmt_), "bind " + describe(stmt_));
  }
}

void statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) {
    throw_last_error(sqlite3_db_handle(stmt_), "bind " + describe(stmt_));
  }
}

void statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind(index, *value);
  } else if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) {
    throw_last_error(sqlite3_db_handle(stmt_), "bind " + describe(stmt_));
  }
}

void statement::bind(int index, const std::optional<bool>& value) {
  if (value) {
    bind(index, *value);
  } else if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) {
    throw_last_error(sqlite3_db_handle(stmt_), "bind " + describe(stmt_));
  }
}

bool statement::next() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_last_error(sqlite3_db_handle(stmt_), describe(stmt_));
}

void statement::run() {
  while (next()) {
    // Statements run this way return no rows; draining keeps a stray RETURNING harmless.
  }
}

bool statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  if (!data) return {};
  // Bytes after column_text: the length of the UTF-8 form just produced.
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::int64_t statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<std::int64_t> statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

// ---- database ----

namespace {

// Process-wide settings, applied once before the first connection (sqlite3_config refuses them
// after sqlite3_initialize). Memory statistics take a global mutex on every allocation SQLite
// makes, and nothing here reads them (issue 7: ~2 % of the CPU under load).
void configure_library() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if something initialised it first: harmless
    return true;
  }();
  (void)configured;
}

}  // namespace

database::database(const std::string& path, int flags) {
  configure_library();
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // open_v2 usually hands back a handle even on failure; it carries the message and must be closed.
    std::string message = "sqlite: open: ";
    message += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const errc code = to_errc(db_ ? sqlite3_extended_errcode(db_) : rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw store_error(code, message);
  }
  // Extended codes tell a UNIQUE violation (duplicate) from NOT NULL or FOREIGN KEY (bugs).
  sqlite3_extended_result_codes(db_, 1);
}

database::~database() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

statement database::prepare(std::string_view sql) {
  auto found = cache_.find(sql);
  if (found != cache_.end() && !found->second.in_use) {
    found->second.in_use = true;
    return statement(found->second.stmt, &found->second.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  const bool cache_it = found == cache_.end();
  const unsigned flags = cache_it ? SQLITE_PREPARE_PERSISTENT : 0;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    throw_last_error(db_, "prepare");
  }
  if (!cache_it) return statement(stmt, nullptr);
  auto& slot = cache_.try_emplace(std::string{sql}).first->second;
  slot.stmt = stmt;
  slot.in_use = true;
  return statement(stmt, &slot.in_use);
}

void database::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string what = sql;
    if (what.size() > 80) what = what.substr(0, 80) + "...";
    throw_last_error(db_, what);
  }
}

int database::try_exec(const char* sql) noexcept { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

}  // namespace store::sqlite
