#pragma once
// SQLite backend of the store (the embedded default). WAL mode, busy_timeout, one writer
// connection and any number of readers.

#include <memory>
#include <string>

#include "store/store.hpp"

namespace store::sqlite {

// A backend on the database file at `path` (created with its directory when missing).
// Throws store_error(unavailable) when the directory cannot be created.
std::unique_ptr<backend> make_backend(const std::string& path);

}  // namespace store::sqlite
