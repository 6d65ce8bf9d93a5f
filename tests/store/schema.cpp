// Schema migrations: versioned, idempotent, safe to race, and refusing a newer schema.

#include <string>
#include <thread>
#include <vector>

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::open_test_database;

TEST_CASE("migrate brings an empty database to the newest version and is idempotent", "[store][schema]") {
  auto db = open_test_database(GENERATE(from_range(backend_names())));
  CAPTURE(db->name());
  auto backend = db->open_backend();
  auto writer = backend->open(true);

  CHECK(writer->schema_version() == 0);
  writer->migrate();
  CHECK(writer->schema_version() == db->latest_schema_version());
  CHECK(db->latest_schema_version() >= 1);

  SECTION("a second migrate changes nothing and keeps the data") {
    store_tests::write(*writer, [](store::transaction& tx) {
      tx.record_inbound({"wechat", "msg-1", "oUser", 100, ""});
    });
    writer->migrate();
    CHECK(writer->schema_version() == db->latest_schema_version());
    auto found =
        store_tests::read_value(*writer, [](store::transaction& tx) { return tx.find_inbound("wechat", "msg-1"); });
    CHECK(found.has_value());
  }

  SECTION("other connections see the same version and may migrate too") {
    auto reader = backend->open(false);
    CHECK(reader->schema_version() == db->latest_schema_version());
    reader->migrate();
    CHECK(reader->schema_version() == db->latest_schema_version());
    CHECK(reader->ping());
    CHECK(writer->ping());
  }
}

TEST_CASE("concurrent migrate calls on a fresh database all succeed", "[store][schema]") {
  auto db = open_test_database(GENERATE(from_range(backend_names())));
  CAPTURE(db->name());
  auto backend = db->open_backend();

  // Like several instances starting at once: each applies the missing steps or finds them applied.
  constexpr int instances = 4;
  std::vector<std::string> errors(instances);
  std::vector<int> versions(instances, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto c = backend->open(true);
        c->migrate();
        versions[i] = c->schema_version();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < instances; ++i) {
    CAPTURE(i, errors[i]);
    CHECK(errors[i].empty());
    CHECK(versions[i] == db->latest_schema_version());
  }
}

TEST_CASE("a database migrated by a newer binary is refused with corrupt", "[store][schema]") {
  auto db = open_test_database(GENERATE(from_range(backend_names())));
  CAPTURE(db->name());
  {
    auto newer = db->open_newer_binary();
    auto writer = newer->open(true);
    writer->migrate();
    REQUIRE(writer->schema_version() == db->latest_schema_version() + 1);
  }

  auto backend = db->open_backend();
  auto writer = backend->open(true);
  CHECK(error_code_of([&] { writer->migrate(); }) == store::errc::corrupt);
  // Refusing left the newer schema as it was, and the connection is still usable.
  CHECK(writer->schema_version() == db->latest_schema_version() + 1);
  CHECK(writer->ping());
}
