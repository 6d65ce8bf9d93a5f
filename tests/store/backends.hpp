#pragma once
// The backends the store tests run on (SOCI's pattern: the cases are written once against
// store.hpp and every case runs on every backend in backend_names()).
//
//   SQLite: always, on a fresh file in a temporary directory per test case.
//   MySQL:  when the environment variable SB_TEST_MYSQL is set, on a fresh database per test
//           case, created on that server and dropped afterwards. The value is
//             host=127.0.0.1;port=3307;user=sb;password=sb;database=sbtest
//           (keys in any order; host defaults to 127.0.0.1, port to 3306; a host starting with
//           '/' is a Unix socket). Each case's database is named <database>_<pid>_<n>, so the
//           user needs every privilege on `<database>%`.* (.ci/mariadb.sh grants that). A set but
//           malformed or unreachable SB_TEST_MYSQL fails every case that asks for it, loudly.
//
// A case starts with
//   auto db = store_tests::open_test_database(GENERATE(from_range(store_tests::backend_names())));

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace store_tests {

// A fresh directory under the system temp dir, removed with its contents on destruction.
class temp_directory {
 public:
  temp_directory();
  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;
  ~temp_directory();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One empty database of one backend, dropped when this object is destroyed.
class test_database {
 public:
  virtual ~test_database() = default;

  virtual std::string name() const = 0;
  // A new backend object on this database; data written through an earlier one (now destroyed)
  // must be visible through it.
  virtual std::unique_ptr<store::backend> open_backend() = 0;
  // A backend on this database as a newer binary would build it: it knows one more migration
  // step than latest_schema_version().
  virtual std::unique_ptr<store::backend> open_newer_binary() = 0;
  // A backend on this database as an older binary would build it: it knows the migration steps
  // up to `version` only (for upgrade tests).
  virtual std::unique_ptr<store::backend> open_older_binary(int version) = 0;
  // The schema version this binary's migrate() brings a database to.
  virtual int latest_schema_version() const = 0;
};

// "sqlite", plus "mysql" when SB_TEST_MYSQL is set.
std::vector<std::string> backend_names();

// A fresh, empty (not migrated) database of the named backend. Throws std::runtime_error when
// the backend was asked for but is not built in, so the test that asked fails.
std::unique_ptr<test_database> open_test_database(const std::string& name);

// Defined next to the MySQL backend's tests (mysql_backend.cpp): a fresh database on the server
// that `connection` (the value of SB_TEST_MYSQL) names. Throws std::runtime_error when the value
// is malformed, store_error when the server cannot be reached.
std::unique_ptr<test_database> make_mysql_test_database(std::string_view connection);

// The usual starting point of a case: a backend with a migrated writer connection.
struct migrated_store {
  std::unique_ptr<test_database> db;
  std::unique_ptr<store::backend> backend;
  std::unique_ptr<store::connection> writer;
};
migrated_store open_migrated(const std::string& name);

// Runs `fn` as a batch of one unit and rethrows what it threw, so a failing unit fails the case
// with its own message.
void write(store::connection& c, const store::unit_of_work& fn);

// Runs `fn` in connection::read and returns what it returns.
template <class Fn>
auto read_value(store::connection& c, Fn fn) {
  using value_type = decltype(fn(std::declval<store::transaction&>()));
  value_type value{};
  c.read([&](store::transaction& tx) { value = fn(tx); });
  return value;
}

// The store_error code `fn` throws; fails with std::logic_error when it throws nothing or
// something else.
store::errc error_code_of(const std::function<void()>& fn);

}  // namespace store_tests

// Failure messages name the code ("conflict") instead of printing a number.
namespace Catch {
template <>
struct StringMaker<store::errc> {
  static std::string convert(store::errc e) { return store::to_string(e); }
};
}  // namespace Catch
