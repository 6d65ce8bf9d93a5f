#pragma once
// MySQL / MariaDB backend of the store (several instances on one database). One Connector/C++
// connection per store::connection, utf8mb4 throughout, READ COMMITTED for writes with row locks
// where instances could collide (conversations, the per-day ticket sequence), SKIP LOCKED claims
// for the outbox and the timers. docs/mysql.md says what the server must be configured for.

#include <memory>
#include <string>

#include "store/store.hpp"

namespace store::mysql {

// Where the database is and how long to wait for it. Every timeout is in seconds; a read or
// write that exceeds its timeout fails the call with store_error(unavailable) and the connection
// is replaced at its next use.
struct options {
  std::string host = "127.0.0.1";  // name or address; a path starting with '/' is a Unix socket
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;  // must exist; migrate() creates the tables in it
  int connect_timeout_s = 5;
  int read_timeout_s = 30;  // also bounds a wait for a row lock (innodb_lock_wait_timeout is set below it)
  int write_timeout_s = 30;
};

// A backend on that database. Opens no connection yet (backend::open does, and throws
// store_error(unavailable) when the server cannot be reached or refuses the login).
// Call it once, before the store threads start: it initialises the client library.
std::unique_ptr<backend> make_backend(const options& o);

// Per-thread set-up and tear-down of the client library (Connector/C++'s threadInit/threadEnd).
// Every thread that opens or uses a connection calls thread_init() once before its first use and
// thread_end() after its last connection is closed. Never throw.
void thread_init();
void thread_end();

}  // namespace store::mysql
