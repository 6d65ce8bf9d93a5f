#pragma once
// The MySQL schema as an ordered list of migration steps, private to store/mysql/ and its tests.
// Same version numbers and the same tables and columns as store/sqlite/migrations.cpp; only the
// DDL dialect differs. This header does not include cppconn, so tests/store may use it to play a
// binary that knows more steps than this one.

#include <memory>
#include <string>
#include <vector>

#include "store/mysql/mysql_backend.hpp"
#include "store/store.hpp"

namespace store::mysql {

// One schema step. MySQL runs one statement per call and commits each DDL statement on its own,
// so a step is a list of statements, each written to be re-runnable (IF NOT EXISTS) in case an
// earlier attempt died halfway through the step.
struct migration {
  int version = 0;
  std::vector<std::string> statements;
};

// The steps this binary knows, oldest first; the last one's version is the newest schema.
const std::vector<migration>& builtin_migrations();

// As make_backend(o), but connection::migrate() applies `steps` instead of the built-in list.
std::unique_ptr<backend> make_backend(const options& o, std::vector<migration> steps);

}  // namespace store::mysql
