#include "bot/reports.hpp"

#include "bot/ticket_attributes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>

namespace bot {
namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::int64_t repeat_window = 30 * 24 * 3600;  // product.md: repeat faults within 30 days

struct mean {
  double sum = 0;
  int count = 0;
  void add(std::int64_t seconds) {
    sum += static_cast<double>(seconds) / 60.0;
    ++count;
  }
};

void key(writer& w, const char* k) { w.Key(k); }

void str(writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void counts(writer& w, const char* k, const std::map<std::string, int>& m) {
  key(w, k);
  w.StartObject();
  for (const auto& [name, n] : m) {
    str(w, name.empty() ? std::string{"unknown"} : name);
    w.Int(n);
  }
  w.EndObject();
}

// Minutes with one decimal, rates with three.
void number_or_null(writer& w, const char* k, std::optional<double> v, double scale = 10) {
  key(w, k);
  if (v) w.Double(static_cast<double>(static_cast<std::int64_t>(*v * scale + 0.5)) / scale);
  else w.Null();
}

void mean_block(writer& w, const char* k, const mean& m) {
  key(w, k);
  w.StartObject();
  number_or_null(w, "mean_minutes", m.count ? std::optional<double>{m.sum / m.count} : std::nullopt);
  key(w, "count");
  w.Int(m.count);
  w.EndObject();
}

// The time of the first event named one of `names`, if any (events are in time order).
std::optional<std::int64_t> first_event(const std::vector<store::ticket_event>& events,
                                        std::initializer_list<std::string_view> names) {
  for (const auto& e : events)
    if (std::find(names.begin(), names.end(), e.event) != names.end()) return e.at;
  return std::nullopt;
}

struct engineer_figures {
  int assigned = 0, closed = 0, rated = 0, satisfied = 0;
  int complaints = 0;  // complaints about this engineer
  mean resolution;
};

}  // namespace

std::string report_summary_json(const report_input& in, const std::vector<staff_member>& staff, const clock& clk) {
  std::map<std::string, int> by_type, by_state, by_channel, by_product;
  mean first_response, assignment, resolution;
  int total = 0, breached = 0, satisfied = 0, neutral = 0, dissatisfied = 0, unrated = 0;
  std::map<std::string, engineer_figures> engineers;
  static const std::vector<store::ticket_event> no_events;
  // Complaints (issue 9): by target ("engineer:E001", "department:客服部", "product:ABC-2000"),
  // by reason, and how many got their follow-up visit and an answer to it.
  std::map<std::string, int> complaint_targets, complaint_reasons;
  int complaints = 0, follow_ups_sent = 0, follow_ups_answered = 0;

  for (const auto& t : in.tickets) {
    if (t.created_at < in.from || t.created_at >= in.to) continue;
    ++total;
    ++by_type[t.type];
    ++by_state[t.state];
    ++by_channel[t.channel];
    ++by_product[t.model];
    if (t.breached) ++breached;
    auto it = in.events.find(t.number);
    const auto& events = it == in.events.end() ? no_events : it->second;
    // First response: the engineer's first action (progress or resolution); assignment apart.
    if (auto at = first_event(events, {"progress", "resolved"})) first_response.add(*at - t.created_at);
    if (auto at = first_event(events, {"assigned"})) assignment.add(*at - t.created_at);
    const auto resolved_at = first_event(events, {"resolved"});
    if (resolved_at) resolution.add(*resolved_at - t.created_at);

    if (t.satisfaction_score == "satisfied") ++satisfied;
    else if (t.satisfaction_score == "neutral") ++neutral;
    else if (t.satisfaction_score == "dissatisfied") ++dissatisfied;
    else if (resolved_at) ++unrated;  // asked (resolved at least once) but no answer

    if (t.type == "complaint") {
      const auto attributes = attributes_of(t);
      ++complaints;
      ++complaint_targets[attributes.complaint_target_kind.empty()
                              ? std::string{}
                              : attributes.complaint_target_kind + ":" + attributes.complaint_target];
      ++complaint_reasons[attributes.complaint_reason];
      if (attributes.complaint_target_kind == "engineer") ++engineers[attributes.complaint_target].complaints;
      if (first_event(events, {"follow_up_sent"})) ++follow_ups_sent;
      if (first_event(events, {"follow_up_answered"})) ++follow_ups_answered;
    }

    if (!t.assignee.empty()) {
      auto& e = engineers[t.assignee];
      ++e.assigned;
      if (t.state == "closed") ++e.closed;
      if (resolved_at) e.resolution.add(*resolved_at - t.created_at);
      if (!t.satisfaction_score.empty()) {
        ++e.rated;
        if (t.satisfaction_score == "satisfied") ++e.satisfied;
      }
    }
  }

  // Repeat faults: a ticket in the range whose serial had another ticket within 30 days before.
  std::map<std::string, std::vector<const store::ticket_record*>> by_serial;
  for (const auto& t : in.tickets)
    if (!t.serial.empty()) by_serial[t.serial].push_back(&t);
  int repeats = 0;
  std::vector<std::pair<std::string, std::vector<std::string>>> repeat_serials;
  for (auto& [serial, list] : by_serial) {
    std::sort(list.begin(), list.end(), [](const auto* x, const auto* y) {
      return x->created_at != y->created_at ? x->created_at < y->created_at : x->number < y->number;
    });
    bool listed = false;
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i]->created_at < in.from || list[i]->created_at >= in.to) continue;
      if (list[i]->created_at - list[i - 1]->created_at > repeat_window) continue;
      ++repeats;
      if (!listed) {
        std::vector<std::string> numbers;
        for (const auto* t : list) numbers.push_back(t->number);
        repeat_serials.emplace_back(serial, std::move(numbers));
        listed = true;
      }
    }
  }

  rapidjson::StringBuffer buffer;
  writer w{buffer};
  w.StartObject();
  key(w, "from");
  str(w, clk.iso8601(in.from));
  key(w, "to");
  str(w, clk.iso8601(in.to));
  key(w, "tickets");
  w.Int(total);
  counts(w, "by_type", by_type);
  counts(w, "by_state", by_state);
  counts(w, "by_channel", by_channel);
  counts(w, "by_product", by_product);
  mean_block(w, "first_response", first_response);
  mean_block(w, "assignment", assignment);
  mean_block(w, "resolution", resolution);
  key(w, "sla");
  w.StartObject();
  key(w, "breached");
  w.Int(breached);
  number_or_null(w, "breach_rate", total ? std::optional<double>{static_cast<double>(breached) / total} : std::nullopt,
                 1000);
  w.EndObject();
  key(w, "satisfaction");
  w.StartObject();
  key(w, "satisfied");
  w.Int(satisfied);
  key(w, "neutral");
  w.Int(neutral);
  key(w, "dissatisfied");
  w.Int(dissatisfied);
  key(w, "unrated");
  w.Int(unrated);
  const int rated = satisfied + neutral + dissatisfied;
  number_or_null(w, "rate", rated ? std::optional<double>{static_cast<double>(satisfied) / rated} : std::nullopt, 1000);
  w.EndObject();
  key(w, "deflected");
  w.Int64(in.deflected);
  key(w, "repeat_faults");
  w.StartObject();
  key(w, "count");
  w.Int(repeats);
  key(w, "serials");
  w.StartArray();
  for (const auto& [serial, numbers] : repeat_serials) {
    w.StartObject();
    key(w, "serial");
    str(w, serial);
    key(w, "tickets");
    w.StartArray();
    for (const auto& n : numbers) str(w, n);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  key(w, "complaints");
  w.StartObject();
  key(w, "count");
  w.Int(complaints);
  counts(w, "by_target", complaint_targets);
  counts(w, "by_reason", complaint_reasons);
  key(w, "follow_ups_sent");
  w.Int(follow_ups_sent);
  key(w, "follow_ups_answered");
  w.Int(follow_ups_answered);
  w.EndObject();
  key(w, "engineers");
  w.StartArray();
  for (const auto& s : staff) {
    if (s.role != "engineer") continue;
    const auto& e = engineers[s.id];
    int open = 0;
    for (const auto& [id, n] : in.open_now)
      if (id == s.id) open = n;
    w.StartObject();
    key(w, "id");
    str(w, s.id);
    key(w, "name");
    str(w, s.name);
    key(w, "open");  // now, whatever the range
    w.Int(open);
    key(w, "assigned");
    w.Int(e.assigned);
    key(w, "closed");
    w.Int(e.closed);
    number_or_null(w, "mean_resolution_minutes",
                   e.resolution.count ? std::optional<double>{e.resolution.sum / e.resolution.count} : std::nullopt);
    key(w, "complaints");
    w.Int(e.complaints);
    key(w, "rated");
    w.Int(e.rated);
    key(w, "satisfied");
    w.Int(e.satisfied);
    number_or_null(w, "satisfaction_rate",
                   e.rated ? std::optional<double>{static_cast<double>(e.satisfied) / e.rated} : std::nullopt, 1000);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace bot
