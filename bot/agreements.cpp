#include "bot/agreements.hpp"

#include "dialogs/catalog.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace bot {

namespace calendar {

std::optional<int> days_from_epoch(const std::string& ymd) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (ymd.size() != 10 || std::sscanf(ymd.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                         std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return static_cast<int>(std::chrono::sys_days{date}.time_since_epoch().count());
}

std::string from_days(int days) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()));
  return buf;
}

std::string add_days(const std::string& ymd, int days) {
  auto base = days_from_epoch(ymd);
  return base ? from_days(*base + days) : std::string{};
}

}  // namespace calendar

namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool same_customer(const agreement& a, const coverage_query& q) {
  return (!a.customer_phone.empty() && a.customer_phone == q.phone) ||
         (!a.customer_no.empty() && a.customer_no == q.customer_no);
}

bool covers_product(const agreement& a, const coverage_query& q) {
  if (a.models.empty() && a.serials.empty()) return true;
  if (!q.serial.empty() && std::any_of(a.serials.begin(), a.serials.end(), [&](const std::string& s) {
        return dialogs::normalise_code(s) == q.serial;
      }))
    return true;
  return !q.model.empty() && contains(a.models, q.model);
}

}  // namespace

const agreement* covering_agreement(std::span<const agreement> list, const coverage_query& q) {
  for (const auto& a : list) {
    if (!same_customer(a, q)) continue;
    // Dates in the same format compare as text.
    if (q.day < a.valid_from || q.day > a.valid_to) continue;
    if (!a.covered_services.empty() && !contains(a.covered_services, q.type)) continue;
    if (covers_product(a, q)) return &a;
  }
  return nullptr;
}

sla_policy effective_sla(const rules& r, const agreement* a, const std::string& priority) {
  sla_policy p;
  if (auto it = r.sla_minutes.find(priority); it != r.sla_minutes.end()) p = it->second;
  if (!a) return p;
  if (auto it = a->sla_minutes.find(priority); it != a->sla_minutes.end()) {
    if (it->second.respond) p.respond = it->second.respond;
    if (it->second.resolve) p.resolve = it->second.resolve;
    if (it->second.onsite) p.onsite = it->second.onsite;
  }
  return p;
}

std::vector<part_line> price_parts(const agreement* a, const std::vector<std::string>& parts) {
  std::vector<part_line> out;
  for (const auto& part : parts) {
    part_line line{part};
    if (a) {
      line.covered = contains(a->covered_parts, "*") || contains(a->covered_parts, part);
      if (!line.covered) line.discount_percent = a->parts_discount_percent;
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::string next_visit(const agreement& a, const std::string& day) {
  if (!a.visits) return {};
  const auto first = calendar::days_from_epoch(a.visits->first_visit);
  const auto today = calendar::days_from_epoch(day);
  const auto last = calendar::days_from_epoch(a.valid_to);
  if (!first || !today || !last || a.visits->every_days <= 0) return {};
  int visit = *first;
  if (visit < *today) {
    const int periods = (*today - *first + a.visits->every_days - 1) / a.visits->every_days;
    visit = *first + periods * a.visits->every_days;
  }
  return visit <= *last ? calendar::from_days(visit) : std::string{};
}

}  // namespace bot
