#include "tests/e2e/mysql_instances.hpp"

#include "store/mysql/testing.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace e2e::mysql {

namespace {

// The value of the export line .ci/mariadb.sh prints on stdout.
store::mysql::options parse_export_line(const std::string& out) {
  const std::string marker = "export SB_TEST_MYSQL='";
  const auto at = out.find(marker);
  if (at == std::string::npos) throw std::runtime_error("mariadb.sh printed no export line: " + out);
  const auto begin = at + marker.size();
  const auto end = out.find('\'', begin);
  return store::mysql::testing::parse_test_server(out.substr(begin, end - begin));
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::optional<store::mysql::options> test_server_or_skip() {
  const char* value = std::getenv("SB_TEST_MYSQL");
  if (value && *value) return store::mysql::testing::parse_test_server(value);
  const char* ci = std::getenv("CI");
  // Under CI a green run must mean MariaDB was tested (style.md §17); locally, say it loudly.
  if (ci && std::string_view(ci) == "true")
    FAIL("SB_TEST_MYSQL is not set under CI: start a server with eval \"$(bash .ci/mariadb.sh start)\"");
  WARN("SKIPPED: SB_TEST_MYSQL is not set, so this MariaDB test did not run "
       "(eval \"$(bash .ci/mariadb.sh start)\" first; with CI=true this is a failure)");
  return std::nullopt;
}

rows query(const store::mysql::options& where, const std::string& sql) {
  return store::mysql::testing::run_sql(where, sql);
}

long long query_int(const store::mysql::options& where, const std::string& sql) {
  const auto r = query(where, sql);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error("expected one value from: " + sql);
  return std::stoll(r[0][0]);
}

scratch_database::scratch_database(const store::mysql::options& server) : server_(server), options_(server) {
  static std::atomic<int> counter{0};
  server_.database.clear();
  options_.database = server.database + "_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  // A database left behind by a crashed run of the same pid would not be empty.
  query(server_, "DROP DATABASE IF EXISTS `" + options_.database + "`");
  query(server_, "CREATE DATABASE `" + options_.database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
}

scratch_database::~scratch_database() {
  try {
    query(server_, "DROP DATABASE IF EXISTS `" + options_.database + "`");
  } catch (...) {
    // The server is gone; the test already failed for it.
  }
}

private_server::private_server() {
  std::random_device rd;
  // tmpfs when there is one, like .ci/mariadb.sh's own default: start-up and DDL sync nothing.
  const std::filesystem::path base =
      std::filesystem::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                   : std::filesystem::temp_directory_path();
  dir_ = (base / ("servicebot-e2e-mariadb-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000)))
             .string();
  options_ = parse_export_line(run("start"));
}

private_server::~private_server() {
  try {
    run("stop");
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove(dir_ + ".log", ec);
}

void private_server::pause() { run("pause"); }

void private_server::resume() {
  const auto again = parse_export_line(run("resume"));
  if (again.port != options_.port)
    throw std::runtime_error("mariadb.sh resume moved the server to port " + std::to_string(again.port));
}

std::string private_server::run(const std::string& command) {
  // Progress goes to a log next to the directory (stop removes the directory itself).
  const std::string line = "SB_MARIADB_DIR='" + dir_ + "' bash '" SB_SOURCE_DIR "/.ci/mariadb.sh' " + command +
                           " 2>>'" + dir_ + ".log'";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed for mariadb.sh " + command);
  std::string out;
  char buffer[512];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0)
    throw std::runtime_error("mariadb.sh " + command + " failed (status " + std::to_string(status) +
                             "):\n" + read_file(dir_ + ".log"));
  return out;
}

std::string store_member(const store::mysql::options& db, int pool_size) {
  return R"("store": {"driver": "mysql", "host": )" + json_string(db.host) + R"(, "port": )" +
         std::to_string(db.port) + R"(, "user": )" + json_string(db.user) + R"(, "password": )" +
         json_string(db.password) + R"(, "database": )" + json_string(db.database) + R"(, "pool_size": )" +
         std::to_string(pool_size) + "}";
}

void use_store(e2e::server& s, const std::string& member) {
  const std::string path = s.dir() + "/servicebot.json";
  auto config = read_file(path);
  const std::string sqlite = R"("store": {"driver": "sqlite", "path": "var/servicebot.db"})";
  const auto at = config.find(sqlite);
  if (at == std::string::npos) throw std::runtime_error("the harness config has no SQLite store member to replace");
  config.replace(at, sqlite.size(), member);
  std::ofstream{path, std::ios::binary | std::ios::trunc} << config;
}

}  // namespace e2e::mysql
