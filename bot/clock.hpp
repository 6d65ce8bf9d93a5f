#pragma once
// The bot's clock: real time plus an offset that only the test clock moves (contract:
// POST /api/v1/admin/clock), and calendar conversions in the configured time zone.
// Thread-safe.

#include "dialogs/intake.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace date {
class time_zone;
}

namespace bot {

class clock {
 public:
  // `timezone`: IANA name, or empty for the host's zone (UTC when the host has none).
  // Throws std::runtime_error naming the zone when it is unknown.
  explicit clock(const std::string& timezone);

  std::int64_t now() const;                 // Unix seconds, offset applied
  void advance_minutes(std::int64_t minutes);
  std::int64_t offset_seconds() const { return offset_.load(); }

  dialogs::local_date local_day(std::int64_t unix_seconds) const;
  std::string yyyymmdd(std::int64_t unix_seconds) const;      // "20260512"
  std::string local_date(std::int64_t unix_seconds) const;    // "2026-05-12"
  std::string iso8601(std::int64_t unix_seconds) const;       // "2026-05-12T12:30:00+08:00"
  // Parses ISO-8601 with an offset ("...+08:00" / "Z") or a local "YYYY-MM-DD[THH:MM[:SS]]"
  // (taken in the configured zone). Returns false when the text does not parse.
  bool parse_time(const std::string& text, std::int64_t& unix_seconds) const;
  std::string zone_name() const;
  // The local midnight that ends day `ymd` ("YYYY-MM-DD") in the configured zone, as Unix
  // seconds (on a day with a DST change: the first instant of the next day). nullopt when
  // `ymd` is no date.
  std::optional<std::int64_t> end_of_day(const std::string& ymd) const;

 private:
  const date::time_zone* zone_;
  std::atomic<std::int64_t> offset_{0};
};

}  // namespace bot
