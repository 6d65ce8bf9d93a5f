#include "bot/clock.hpp"

#include "dialogs/extract_date.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <sstream>
#include <stdexcept>

namespace bot {
namespace {

using sys_seconds = date::sys_time<std::chrono::seconds>;

const date::time_zone* find_zone(const std::string& name) {
  try {
    return name.empty() ? date::current_zone() : date::locate_zone(name);
  } catch (const std::exception& e) {
    if (name.empty()) return date::locate_zone("UTC");  // containers often have no /etc/localtime
    throw std::runtime_error("unknown time zone \"" + name + "\"");
  }
}

}  // namespace

clock::clock(const std::string& timezone) : zone_(find_zone(timezone)) {}

std::int64_t clock::now() const {
  auto real = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return real.count() + offset_.load();
}

void clock::advance_minutes(std::int64_t minutes) { offset_.fetch_add(minutes * 60); }

dialogs::local_date clock::local_day(std::int64_t unix_seconds) const {
  auto local = zone_->to_local(sys_seconds{std::chrono::seconds{unix_seconds}});
  date::year_month_day ymd{date::floor<date::days>(local)};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::string clock::yyyymmdd(std::int64_t unix_seconds) const {
  auto local = zone_->to_local(sys_seconds{std::chrono::seconds{unix_seconds}});
  return date::format("%Y%m%d", local);
}

std::string clock::local_date(std::int64_t unix_seconds) const {
  auto local = zone_->to_local(sys_seconds{std::chrono::seconds{unix_seconds}});
  return date::format("%Y-%m-%d", local);
}

std::string clock::iso8601(std::int64_t unix_seconds) const {
  sys_seconds t{std::chrono::seconds{unix_seconds}};
  auto info = zone_->get_info(t);
  auto local = zone_->to_local(t);
  auto offset = info.offset.count();
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char tail[8];
  std::snprintf(tail, sizeof tail, "%c%02d:%02d", sign, static_cast<int>(offset / 3600),
                static_cast<int>(offset % 3600 / 60));
  return date::format("%FT%T", local) + tail;
}

bool clock::parse_time(const std::string& text, std::int64_t& unix_seconds) const {
  for (const char* fmt : {"%FT%T%Ez", "%FT%H:%M%Ez"}) {
    std::istringstream in{text};
    sys_seconds t;
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      unix_seconds = t.time_since_epoch().count();
      return true;
    }
  }
  if (!text.empty() && text.back() == 'Z') {
    std::istringstream in{text.substr(0, text.size() - 1)};
    sys_seconds t;
    in >> date::parse("%FT%T", t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      unix_seconds = t.time_since_epoch().count();
      return true;
    }
  }
  for (const char* fmt : {"%FT%T", "%FT%H:%M", "%F"}) {
    std::istringstream in{text};
    date::local_seconds t;
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      try {
        unix_seconds = zone_->to_sys(t, date::choose::earliest).time_since_epoch().count();
      } catch (const std::exception&) {
        return false;
      }
      return true;
    }
  }
  return false;
}

std::string clock::zone_name() const { return std::string{zone_->name()}; }

std::optional<std::int64_t> clock::end_of_day(const std::string& ymd) const {
  const auto day = dialogs::parse_iso_date(ymd);
  if (!day) return std::nullopt;
  const date::local_days next =
      date::local_days{date::year{day->year} / static_cast<unsigned>(day->month) / static_cast<unsigned>(day->day)} +
      date::days{1};
  try {
    // A midnight skipped by a DST change: the first instant that exists after it.
    return zone_->to_sys(next, date::choose::earliest).time_since_epoch().count();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace bot
