#include "store/mysql/testing.hpp"

#include <mysql_driver.h>

#include "store/mysql/session.hpp"

#include <stdexcept>

namespace store::mysql::testing {

std::vector<std::vector<std::string>> run_sql(const options& server, const std::string& sql) {
  session db(sql::mysql::get_driver_instance(), server);
  return db.exec_rows(sql);
}

namespace {

int to_port(std::string_view value) {
  int port = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || port > 65535) throw std::runtime_error("SB_TEST_MYSQL: port is not a number");
    port = port * 10 + (c - '0');
  }
  if (value.empty() || port == 0 || port > 65535) throw std::runtime_error("SB_TEST_MYSQL: port out of range");
  return port;
}

}  // namespace

options parse_test_server(std::string_view text) {
  options o;
  while (!text.empty()) {
    const auto end = text.find(';');
    const std::string_view item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (item.empty()) continue;
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) throw std::runtime_error("SB_TEST_MYSQL: expected key=value");
    const std::string_view key = item.substr(0, equals);
    const std::string value(item.substr(equals + 1));
    if (key == "host") {
      o.host = value;
    } else if (key == "port") {
      o.port = to_port(value);
    } else if (key == "user") {
      o.user = value;
    } else if (key == "password") {
      o.password = value;
    } else if (key == "database") {
      o.database = value;
    } else {
      throw std::runtime_error("SB_TEST_MYSQL: unknown key " + std::string(key));
    }
  }
  if (o.database.empty()) throw std::runtime_error("SB_TEST_MYSQL: database is missing");
  return o;
}

}  // namespace store::mysql::testing
