// What only the SQLite backend promises: its files, its error translation at open, and its
// single-writer rule. Everything else is in the backend-independent cases.

#include "store/sqlite/sqlite_backend.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/store/backends.hpp"

using store_tests::error_code_of;
using store_tests::temp_directory;

TEST_CASE("sqlite: a file that is not a database is reported as corrupt", "[store][sqlite]") {
  temp_directory dir;
  const auto path = dir.path() / "servicebot.db";
  {
    std::ofstream garbage(path, std::ios::binary);
    garbage << std::string(8192, 'x');
  }
  auto backend = store::sqlite::make_backend(path.string());
  CHECK(error_code_of([&] { backend->open(true); }) == store::errc::corrupt);
}

TEST_CASE("sqlite: a directory that cannot be created is unavailable", "[store][sqlite]") {
  temp_directory dir;
  const auto blocker = dir.path() / "blocker";
  std::ofstream(blocker) << "a file where a directory should be";
  CHECK(error_code_of([&] { store::sqlite::make_backend((blocker / "var" / "servicebot.db").string()); }) ==
        store::errc::unavailable);
}

TEST_CASE("sqlite: the writer keeps a write-ahead log and readers cannot write", "[store][sqlite]") {
  temp_directory dir;
  const auto path = dir.path() / "servicebot.db";
  auto backend = store::sqlite::make_backend(path.string());
  auto writer = backend->open(true);
  writer->migrate();
  store_tests::write(*writer, [](store::transaction& tx) { tx.record_inbound({"sms", "SM1", "+15005550006", 1, ""}); });
  CHECK(std::filesystem::exists(path.string() + "-wal"));

  auto reader = backend->open(false);
  CHECK(error_code_of([&] { reader->write_batch({}); }) == store::errc::internal);
}
