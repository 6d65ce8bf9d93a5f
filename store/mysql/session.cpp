#include "store/mysql/session.hpp"

#include <cppconn/datatype.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <string>

namespace store::mysql {

namespace {

// Error messages name the statement, never its bound values; the SQL text is parameterised, so
// it is safe to log. Shortened because some statements (ticket columns) are long.
std::string describe(std::string_view sql) {
  constexpr std::size_t max_length = 80;
  std::string text(sql.substr(0, max_length));
  if (sql.size() > max_length) text += "...";
  return text;
}

// Errors after which the server has rolled back the whole transaction (or the connection that
// held it is gone), as opposed to the failed statement alone.
bool ends_transaction(int error_number) {
  switch (error_number) {
    case 1213:  // ER_LOCK_DEADLOCK (also Galera's certification failure)
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 4031:  // disconnected for inactivity (MariaDB)
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
      return true;
    default:
      return false;
  }
}

// The server's message quotes the offending value for these (a phone number in a duplicate key,
// a message body in an incorrect string); everything else names only tables, columns and keys.
bool quotes_values(int error_number) {
  switch (error_number) {
    case 1062:  // ER_DUP_ENTRY: Duplicate entry '<value>' for key '<key>'
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1265:  // WARN_DATA_TRUNCATED (as an error in strict mode)
    case 1292:  // ER_TRUNCATED_WRONG_VALUE
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: Incorrect string value: '\xF0...'
      return true;
    default:
      return false;
  }
}

// How long a statement waits for another transaction's row lock before failing with 1205
// (-> errc::conflict). Kept below the read timeout, so a lock wait ends as a retryable conflict
// rather than as a client-side timeout that throws the connection away; 10 s at most, since the
// caller is a webhook that the gateway times out anyway.
int lock_wait_timeout_s(const options& o) { return std::clamp(o.read_timeout_s / 2, 1, 10); }

}  // namespace

errc to_errc(int error_number) {
  switch (error_number) {
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
      return errc::duplicate;
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
    case 1020:  // ER_CHECKREAD: record changed since last read
      return errc::conflict;
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1045:  // ER_ACCESS_DENIED_ERROR (at connect)
    case 1047:  // ER_UNKNOWN_COM_ERROR: a Galera node that is not synced ("WSREP has not yet prepared node")
    case 1049:  // ER_BAD_DB_ERROR (at connect)
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1021:  // ER_DISK_FULL
    case 1114:  // ER_RECORD_FILE_FULL
    case 1290:  // ER_OPTION_PREVENTS_STATEMENT: --read-only
    case 1836:  // ER_READ_ONLY_MODE
    case 1317:  // ER_QUERY_INTERRUPTED (KILL QUERY, shutdown)
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 4031:  // disconnected for inactivity (MariaDB)
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 2055:  // CR_SERVER_LOST_EXTENDED
      return errc::unavailable;
    default:
      return errc::internal;
  }
}

// ---- statement ----

statement::statement(statement&& other) noexcept
    : owner_(other.owner_),
      stmt_(other.stmt_),
      in_use_(other.in_use_),
      owned_(std::move(other.owned_)),
      rows_(std::move(other.rows_)),
      sql_(other.sql_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

statement::~statement() {
  rows_.reset();
  if (in_use_) {
    try {
      stmt_->clearParameters();
    } catch (...) {
      // A dead connection; the cache is dropped when the session reconnects.
    }
    *in_use_ = false;
  }
}

void statement::bind(int index, std::string_view value) {
  try {
    stmt_->setString(static_cast<unsigned>(index), sql::SQLString(std::string(value)));
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "bind " + describe(sql_));
  }
}

void statement::bind(int index, std::int64_t value) {
  try {
    stmt_->setInt64(static_cast<unsigned>(index), value);
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "bind " + describe(sql_));
  }
}

void statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) return bind(index, *value);
  try {
    stmt_->setNull(static_cast<unsigned>(index), sql::DataType::BIGINT);
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "bind " + describe(sql_));
  }
}

void statement::bind(int index, const std::optional<bool>& value) {
  if (value) return bind(index, *value);
  try {
    stmt_->setNull(static_cast<unsigned>(index), sql::DataType::SMALLINT);
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "bind " + describe(sql_));
  }
}

bool statement::next() {
  try {
    if (!rows_) rows_.reset(stmt_->executeQuery());
    return rows_->next();
  } catch (const sql::SQLException& e) {
    owner_->fail(e, describe(sql_));
  }
}

std::int64_t statement::run() {
  try {
    return stmt_->executeUpdate();
  } catch (const sql::SQLException& e) {
    owner_->fail(e, describe(sql_));
  }
}

bool statement::is_null(int column) const {
  try {
    return rows_->isNull(static_cast<std::uint32_t>(column + 1));
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "read " + describe(sql_));
  }
}

std::string statement::text(int column) const {
  try {
    return rows_->getString(static_cast<std::uint32_t>(column + 1)).asStdString();
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "read " + describe(sql_));
  }
}

std::int64_t statement::int64(int column) const {
  try {
    return rows_->getInt64(static_cast<std::uint32_t>(column + 1));
  } catch (const sql::SQLException& e) {
    owner_->fail(e, "read " + describe(sql_));
  }
}

std::optional<std::int64_t> statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

// ---- session ----

session::session(sql::Driver* driver, options o) : driver_(driver), options_(std::move(o)) { connect(); }

session::~session() { disconnect(); }

void session::connect() {
  sql::ConnectOptionsMap properties;
  if (!options_.host.empty() && options_.host.front() == '/') {
    properties["hostName"] = sql::SQLString("unix://" + options_.host);
  } else {
    properties["hostName"] = sql::SQLString(options_.host);
    properties["port"] = options_.port;
  }
  properties["userName"] = sql::SQLString(options_.user);
  properties["password"] = sql::SQLString(options_.password);
  if (!options_.database.empty()) properties["schema"] = sql::SQLString(options_.database);
  properties["OPT_CONNECT_TIMEOUT"] = options_.connect_timeout_s;
  properties["OPT_READ_TIMEOUT"] = options_.read_timeout_s;
  properties["OPT_WRITE_TIMEOUT"] = options_.write_timeout_s;
  // utf8mb4, not utf8 (which is utf8mb3 and cannot carry emoji).
  properties["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  // Affected rows count the rows an UPDATE matched, not only those it changed: "not found" and
  // "stale version" checks read the count, and saving an unchanged row must not look like either.
  properties["CLIENT_FOUND_ROWS"] = true;
  // Never reconnect silently: that would drop the session settings and the open transaction
  // without telling us. ensure_connected() reconnects, between transactions.
  properties["OPT_RECONNECT"] = false;

  try {
    conn_.reset(driver_->connect(properties));
  } catch (const sql::SQLException& e) {
    conn_.reset();
    // Whatever the reason (refused, unknown host, bad password, unknown database), the store
    // cannot be reached; the server's text says which and quotes no data.
    throw store_error(errc::unavailable, std::string("mysql: connect to ") + options_.host + ": " + e.what());
  }
  transaction_lost_ = false;

  // Writes run in READ COMMITTED: no gap locks, so instances inserting different rows never
  // block each other; where they could collide, explicit row locks (FOR UPDATE, the ticket
  // sequence upsert) or SKIP LOCKED claims serialise them. read() asks for REPEATABLE READ itself.
  exec("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  // Strict: a value too long for its column is an error, never silently truncated.
  exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
  auto st = prepare("SET SESSION innodb_lock_wait_timeout = ?");
  st.bind_all(lock_wait_timeout_s(options_)).run();
}

void session::disconnect() noexcept {
  // Statements first: they belong to the connection.
  cache_.clear();
  conn_.reset();
}

void session::ensure_connected() {
  bool alive = false;
  if (conn_) {
    try {
      alive = conn_->isValid();
    } catch (const sql::SQLException&) {
      alive = false;
    }
  }
  if (alive) return;
  disconnect();
  connect();
}

statement session::prepare(const std::string& sql) {
  if (!conn_) throw store_error(errc::unavailable, "mysql: not connected");
  auto found = cache_.find(sql);
  if (found != cache_.end() && !found->second.in_use) {
    found->second.in_use = true;
    return statement(*this, found->first, found->second.stmt.get(), &found->second.in_use, nullptr);
  }
  std::unique_ptr<sql::PreparedStatement> prepared;
  try {
    prepared.reset(conn_->prepareStatement(sql));
  } catch (const sql::SQLException& e) {
    fail(e, "prepare " + describe(sql));
  }
  if (found != cache_.end()) {
    sql::PreparedStatement* raw = prepared.get();
    return statement(*this, found->first, raw, nullptr, std::move(prepared));
  }
  auto slot = cache_.emplace(sql, cached_statement{std::move(prepared), true}).first;
  return statement(*this, slot->first, slot->second.stmt.get(), &slot->second.in_use, nullptr);
}

void session::exec(const std::string& sql) {
  if (!conn_) throw store_error(errc::unavailable, "mysql: not connected");
  try {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->execute(sql);
  } catch (const sql::SQLException& e) {
    fail(e, describe(sql));
  }
}

bool session::try_exec(const std::string& sql) noexcept {
  if (!conn_) return false;
  try {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->execute(sql);
    return true;
  } catch (...) {
    return false;
  }
}

std::int64_t session::last_insert_id() {
  auto st = prepare("SELECT LAST_INSERT_ID()");
  if (!st.next()) throw store_error(errc::internal, "mysql: LAST_INSERT_ID() returned no row");
  return st.int64(0);
}

std::vector<std::vector<std::string>> session::exec_rows(const std::string& sql) {
  if (!conn_) throw store_error(errc::unavailable, "mysql: not connected");
  std::vector<std::vector<std::string>> out;
  try {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    if (!st->execute(sql)) return out;
    std::unique_ptr<sql::ResultSet> rows(st->getResultSet());
    const auto columns = rows->getMetaData()->getColumnCount();
    while (rows->next()) {
      auto& row = out.emplace_back();
      for (unsigned int i = 1; i <= columns; ++i) row.push_back(rows->getString(i).asStdString());
    }
  } catch (const sql::SQLException& e) {
    fail(e, describe(sql));
  }
  return out;
}

void session::begin_transaction(const char* sql) {
  transaction_lost_ = false;
  exec(sql);
}

void session::fail(const sql::SQLException& e, std::string_view what) {
  const int number = e.getErrorCode();
  last_error_number_ = number;
  if (ends_transaction(number)) {
    transaction_lost_ = true;
    lost_reason_ = to_errc(number);
  }
  std::string message = "mysql: ";
  message += what;
  message += ": error ";
  message += std::to_string(number);
  message += " (";
  message += e.getSQLStateCStr();
  message += ")";
  if (!quotes_values(number)) {
    message += ": ";
    message += e.what();
  }
  throw store_error(to_errc(number), message);
}

}  // namespace store::mysql
