#pragma once
// Test hooks of the MySQL backend, private to store/mysql/ and tests/store: what a test needs to
// set up scratch databases and to break connections on purpose, without including cppconn.
// Never used by bot/.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/mysql/mysql_backend.hpp"
#include "store/store.hpp"

namespace store::mysql::testing {

// The server's id (CONNECTION_ID()) of the database connection behind `c`, which must come from
// the MySQL backend (std::invalid_argument otherwise). Reconnects first if it is broken.
// Throws store_error.
std::int64_t connection_id(connection& c);

// Runs parameterless SQL on a new connection to `server` (server.database may be empty) and
// returns its rows as text (NULL as ""). For statements that take no bound values: CREATE /
// DROP DATABASE, KILL, counts. Throws store_error.
std::vector<std::vector<std::string>> run_sql(const options& server, const std::string& sql);

// The test server named by SB_TEST_MYSQL: "host=...;port=...;user=...;password=...;database=..."
// (what .ci/mariadb.sh prints). Throws std::runtime_error naming what is wrong: an item without
// '=', an unknown key, a port that is not 1..65535, no database.
options parse_test_server(std::string_view text);

}  // namespace store::mysql::testing
