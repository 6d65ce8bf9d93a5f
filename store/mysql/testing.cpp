#include "store/mysql/testing.hpp"

#include <mysql_driver.h>

#include "store/mysql/session.hpp"

namespace store::mysql::testing {

std::vector<std::vector<std::string>> run_sql(const options& server, const std::string& sql) {
  session db(sql::mysql::get_driver_instance(), server);
  return db.exec_rows(sql);
}

}  // namespace store::mysql::testing
