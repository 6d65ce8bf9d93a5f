#include "tests/store/backends.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <system_error>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_backend.hpp"

namespace store_tests {

namespace {

// The file sits one directory deeper than the temporary one, so every test also checks that
// make_backend creates missing directories.
class sqlite_test_database final : public test_database {
 public:
  sqlite_test_database() : path_((dir_.path() / "var" / "servicebot.db").string()) {}

  std::string name() const override { return "sqlite"; }

  std::unique_ptr<store::backend> open_backend() override { return store::sqlite::make_backend(path_); }

  std::unique_ptr<store::backend> open_newer_binary() override {
    auto steps = store::sqlite::builtin_migrations();
    steps.push_back({steps.back().version + 1, "CREATE TABLE from_the_future (id INTEGER PRIMARY KEY);"});
    return store::sqlite::make_backend(path_, std::move(steps));
  }

  std::unique_ptr<store::backend> open_older_binary(int version) override {
    std::vector<store::sqlite::migration> steps;
    for (const auto& step : store::sqlite::builtin_migrations()) {
      if (step.version <= version) steps.push_back(step);
    }
    return store::sqlite::make_backend(path_, std::move(steps));
  }

  int latest_schema_version() const override { return store::sqlite::builtin_migrations().back().version; }

 private:
  temp_directory dir_;
  std::string path_;
};

}  // namespace

temp_directory::temp_directory() {
  static std::atomic<int> counter{0};
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() / ("servicebot-store-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(counter++) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

temp_directory::~temp_directory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names{"sqlite"};
  const char* mysql = std::getenv("SB_TEST_MYSQL");
  if (mysql && *mysql) names.push_back("mysql");
  return names;
}

std::unique_ptr<test_database> open_test_database(const std::string& name) {
  if (name == "sqlite") return std::make_unique<sqlite_test_database>();
  if (name == "mysql") {
    const char* connection = std::getenv("SB_TEST_MYSQL");
    // Asked for and absent: fail rather than let a green run pretend MySQL was tested.
    if (!connection || !*connection) {
      throw std::runtime_error("the mysql backend was asked for, but SB_TEST_MYSQL is not set");
    }
    return make_mysql_test_database(connection);
  }
  throw std::runtime_error("unknown store backend: " + name);
}

migrated_store open_migrated(const std::string& name) {
  migrated_store s;
  s.db = open_test_database(name);
  s.backend = s.db->open_backend();
  s.writer = s.backend->open(true);
  s.writer->migrate();
  return s;
}

void write(store::connection& c, const store::unit_of_work& fn) {
  const auto results = c.write_batch(std::span<const store::unit_of_work>(&fn, 1));
  if (results.at(0)) std::rethrow_exception(results[0]);
}

store::errc error_code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const store::store_error& e) {
    return e.code();
  }
  throw std::logic_error("expected a store_error, but nothing was thrown");
}

}  // namespace store_tests
