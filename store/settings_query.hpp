#pragma once
// transaction::get_settings for both backends (private to store/): one SELECT with an IN list,
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
  std::string sql =
      "SELECT setting_key, value FROM settings WHERE (expires_at = 0 OR expires_at > ?) AND setting_key IN (?";
  for (std::size_t i = 1; i < keys.size(); ++i) sql += ", ?";
  sql += ")";
  auto st = db.prepare(sql);
  st.bind(1, now);
  for (std::size_t i = 0; i < keys.size(); ++i) st.bind(static_cast<int>(i) + 2, std::string_view{keys[i]});
  while (st.next()) {
    const auto key = st.text(0);
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) values[i] = st.text(1);
  }
  return values;
}

}  // namespace store::detail
