#pragma once
// MariaDB for the end-to-end tests: the server named by SB_TEST_MYSQL (the one .ci/test.sh starts
// with .ci/mariadb.sh), a scratch database per test on it, a private server of a test's own (for
// stopping it under a running servicebot), and the config switch that points a harness server
// at one of them. The checks read the database directly through store/mysql/testing.hpp.

#include "store/mysql/mysql_backend.hpp"
#include "tests/e2e/harness.hpp"

#include <optional>
#include <string>
#include <vector>

namespace e2e::mysql {

using rows = std::vector<std::vector<std::string>>;

// The server SB_TEST_MYSQL names (format in tests/store/backends.hpp), or nullopt when it is
// unset. Under CI (CI=true) an unset SB_TEST_MYSQL fails the calling test; otherwise it prints a
// WARN saying the test was skipped. Throws std::runtime_error when the value is malformed.
std::optional<store::mysql::options> test_server_or_skip();

// Runs parameterless SQL on `where` and returns the rows as text (NULL as ""). Throws store_error.
rows query(const store::mysql::options& where, const std::string& sql);
// The single value of a one-row, one-column query, as an integer.
long long query_int(const store::mysql::options& where, const std::string& sql);

// A fresh, empty database `<database>_e2e_<pid>_<n>` on `server`, dropped on destruction.
class scratch_database {
 public:
  explicit scratch_database(const store::mysql::options& server);
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  const store::mysql::options& options() const { return options_; }

 private:
  store::mysql::options server_;   // without a database: for CREATE / DROP DATABASE
  store::mysql::options options_;  // this database
};

// A MariaDB server of the test's own, run by .ci/mariadb.sh in a directory of its own (so the
// shared server other tests use keeps running), stopped and removed on destruction.
class private_server {
 public:
  private_server();  // installs nothing: needs mariadbd on the PATH. Throws std::runtime_error.
  ~private_server();
  private_server(const private_server&) = delete;
  private_server& operator=(const private_server&) = delete;

  // Its database `sbtest` (user sb/sb), as .ci/mariadb.sh prints it.
  const store::mysql::options& options() const { return options_; }
  // Shuts the server down cleanly, keeping datadir and port (.ci/mariadb.sh pause).
  void pause();
  // Starts it again on the same datadir and port (.ci/mariadb.sh resume). Throws when the port
  // it gets differs.
  void resume();

 private:
  std::string run(const std::string& command);  // stdout of `.ci/mariadb.sh <command>`

  std::string dir_;
  store::mysql::options options_;
};

// The config's "store" member for a database: the MySQL driver, `pool_size` writers.
std::string store_member(const store::mysql::options& db, int pool_size);
// Points a not yet started harness server at `store_member` instead of its SQLite file (the
// harness writes its config in the constructor; the test rewrites that one member).
void use_store(e2e::server& s, const std::string& store_member);

}  // namespace e2e::mysql
