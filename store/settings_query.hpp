#pragma once
// transaction::get_settings for both backends (private to store/): one statement for all keys,
// over a database handle whose prepare() gives a statement with bind/next/text, as both have.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace store::detail {

template <class Database>
std::vector<std::optional<std::string>> read_settings(Database& db, std::span<const std::string> keys,
                                                      std::int64_t now) {
  std::vector<std::optional<std::string>> values(keys.size());
  if (keys.empty()) return values;
  // One primary-key lookup per key, UNION ALL-ed: an IN list makes SQLite build a temporary
  // index of the values first.
  std::string sql;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) sql += " UNION ALL ";
    sql += "SELECT setting_key, value FROM settings WHERE setting_key = ? AND (expires_at = 0 OR expires_at > ?)";
  }
  auto st = db.prepare(sql);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    st.bind(static_cast<int>(2 * i) + 1, std::string_view{keys[i]});
    st.bind(static_cast<int>(2 * i) + 2, now);
  }
  while (st.next()) {
    const auto key = st.text(0);
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) values[i] = st.text(1);
  }
  return values;
}

}  // namespace store::detail
