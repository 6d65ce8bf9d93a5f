#pragma once
// The SQLite schema as an ordered list of migration steps, private to store/sqlite/ and its
// tests. This header does not include sqlite3.h, so tests/store may use it to play a binary that
// knows more steps than this one (the "newer schema is refused" case).

#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace store::sqlite {

// One schema step. Steps run in ascending `version` order, each at most once per database,
// inside migrate()'s transaction; `sql` may hold several statements.
struct migration {
  int version = 0;
  std::string sql;
};

// The steps this binary knows, oldest first; the last one's version is the newest schema.
const std::vector<migration>& builtin_migrations();

// As make_backend(path), but connection::migrate() applies `steps` instead of the built-in list.
// Throws store_error(unavailable) when the directory cannot be created.
std::unique_ptr<backend> make_backend(const std::string& path, std::vector<migration> steps);

}  // namespace store::sqlite
