#include "bot/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace bot::metrics {
namespace {

namespace pm = prometheus;

// Seconds, 1 ms .. 10 s: webhook answers must stay well under WeChat's 5 s.
const pm::Histogram::BucketBoundaries& latency_buckets() {
  static const pm::Histogram::BucketBoundaries buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

// Every state a ticket can be in (contract: Ticket): each gets a gauge, so a state that empties
// shows 0 instead of vanishing from the scrape.
constexpr std::array<std::string_view, 9> ticket_states{
    "pending_assignment", "suspended", "assigned", "locked", "in_progress", "resolved", "reopened", "closed",
    "cancelled"};

struct registry_state {
  std::shared_ptr<pm::Registry> registry = std::make_shared<pm::Registry>();

  pm::Family<pm::Counter>& requests = pm::BuildCounter()
                                          .Name("servicebot_http_requests_total")
                                          .Help("HTTP requests answered, by route pattern, method and status")
                                          .Register(*registry);
  pm::Family<pm::Histogram>& request_seconds = pm::BuildHistogram()
                                                   .Name("servicebot_http_request_duration_seconds")
                                                   .Help("Time from the first byte of a request to its answer ready to send")
                                                   .Register(*registry);
  pm::Family<pm::Counter>& inbound = pm::BuildCounter()
                                         .Name("servicebot_inbound_messages_total")
                                         .Help("Customer messages processed, by channel and kind")
                                         .Register(*registry);
  pm::Family<pm::Counter>& dedupe = pm::BuildCounter()
                                        .Name("servicebot_inbound_duplicates_total")
                                        .Help("Gateway retries answered from the inbound log (dedupe hits)")
                                        .Register(*registry);
  pm::Family<pm::Counter>& signature = pm::BuildCounter()
                                           .Name("servicebot_signature_failures_total")
                                           .Help("Webhook requests refused for a missing or wrong signature")
                                           .Register(*registry);
  pm::Family<pm::Counter>& outbound = pm::BuildCounter()
                                          .Name("servicebot_outbound_sends_total")
                                          .Help("Outbox send attempts, by channel and result (sent, retry, dead)")
                                          .Register(*registry);
  pm::Family<pm::Gauge>& outbox = pm::BuildGauge()
                                      .Name("servicebot_outbox_entries")
                                      .Help("Outbox entries by state (pending = depth), read on scrape")
                                      .Register(*registry);
  pm::Family<pm::Gauge>& tickets = pm::BuildGauge()
                                       .Name("servicebot_tickets")
                                       .Help("Tickets by state, read on scrape")
                                       .Register(*registry);
  pm::Family<pm::Gauge>& store_up = pm::BuildGauge()
                                        .Name("servicebot_store_up")
                                        .Help("1 when the last scrape could read the store")
                                        .Register(*registry);
  pm::Family<pm::Counter>& sla = pm::BuildCounter()
                                     .Name("servicebot_sla_breaches_total")
                                     .Help("SLA deadlines missed, by deadline kind")
                                     .Register(*registry);
  pm::Family<pm::Histogram>& store_seconds = pm::BuildHistogram()
                                                 .Name("servicebot_store_call_duration_seconds")
                                                 .Help("Store jobs from submission to completion, queue wait included")
                                                 .Register(*registry);
  pm::Family<pm::Counter>& dialogs = pm::BuildCounter()
                                         .Name("servicebot_dialog_outcomes_total")
                                         .Help("Intake dialogs that ended: completed (ticket opened) or deflected")
                                         .Register(*registry);
  pm::Family<pm::Counter>& limited = pm::BuildCounter()
                                         .Name("servicebot_limited_total")
                                         .Help("Requests or messages refused by a limit, by scope")
                                         .Register(*registry);
  pm::Family<pm::Counter>& capped = pm::BuildCounter()
                                        .Name("servicebot_transcript_capped_total")
                                        .Help("Messages not stored because their transcript reached its cap")
                                        .Register(*registry);
  pm::Family<pm::Gauge>& connections = pm::BuildGauge()
                                           .Name("servicebot_open_connections")
                                           .Help("Inbound HTTP connections currently open")
                                           .Register(*registry);

  registry_state() {
    // Series that alerts compare against exist from the start (at 0), not from the first event.
    for (const char* state : {"pending", "sending", "dead"}) outbox.Add({{"state", state}});
    for (auto state : ticket_states) tickets.Add({{"state", std::string{state}}});
    store_up.Add({});
    capped.Add({});
    for (const char* kind : {"respond", "resolve", "onsite"}) sla.Add({{"sla", kind}});
    for (const char* channel : {"wechat", "sms", "email"})
      for (const char* outcome : {"completed", "deflected"}) dialogs.Add({{"channel", channel}, {"outcome", outcome}});
    connections.Add({});
  }
};

registry_state& state() {
  static registry_state s;
  return s;
}

std::string str(std::string_view v) { return std::string{v}; }

// The metric of `family` with these label values. Family::Add builds a label map, hashes it and
// takes the family's mutex on every call, several times per message on the hot path (issue 7);
// what it returns lives as long as the registry, so each thread remembers it by the values.
struct key_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view k) const noexcept { return std::hash<std::string_view>{}(k); }
};

template <class T, class... Extra>
T& child(pm::Family<T>& family, std::initializer_list<std::pair<const char*, std::string_view>> labels,
         const Extra&... extra) {
  thread_local std::unordered_map<std::string, T*, key_hash, std::equal_to<>> known;
  auto add = [&]() -> T& {
    pm::Labels map;
    for (const auto& [name, value] : labels) map.emplace(name, str(value));
    return family.Add(map, extra...);
  };
  // The family's address, then each value followed by a separator no label value contains.
  std::array<char, 256> buffer;
  std::size_t size = 0;
  const auto* family_address = static_cast<const void*>(&family);
  std::memcpy(buffer.data(), &family_address, sizeof family_address);
  size += sizeof family_address;
  for (const auto& [name, value] : labels) {
    if (size + value.size() + 1 > buffer.size()) return add();  // unusually long: not remembered
    std::memcpy(buffer.data() + size, value.data(), value.size());
    size += value.size();
    buffer[size++] = '\x1f';
  }
  const std::string_view key{buffer.data(), size};
  if (auto found = known.find(key); found != known.end()) return *found->second;
  T& metric = add();
  known.emplace(std::string{key}, &metric);
  return metric;
}

}  // namespace

void http_request(std::string_view route, std::string_view method, int status, double seconds) {
  auto& s = state();
  std::array<char, 8> code{};
  const auto written = std::to_chars(code.data(), code.data() + code.size(), status).ptr;
  child(s.requests, {{"route", route}, {"method", method}, {"status", {code.data(), written}}}).Increment();
  child(s.request_seconds, {{"route", route}}, latency_buckets()).Observe(seconds);
}

void inbound_message(std::string_view channel, std::string_view kind, bool duplicate, bool ticket_opened,
                     bool deflected) {
  auto& s = state();
  if (duplicate) {
    child(s.dedupe, {{"channel", channel}}).Increment();
    return;
  }
  child(s.inbound, {{"channel", channel}, {"kind", kind}}).Increment();
  if (ticket_opened) child(s.dialogs, {{"channel", channel}, {"outcome", "completed"}}).Increment();
  if (deflected) child(s.dialogs, {{"channel", channel}, {"outcome", "deflected"}}).Increment();
}

void signature_failure(std::string_view channel) { state().signature.Add({{"channel", str(channel)}}).Increment(); }

void outbound_send(std::string_view channel, std::string_view result) {
  child(state().outbound, {{"channel", channel}, {"result", result}}).Increment();
}

void sla_breach(std::string_view sla) { state().sla.Add({{"sla", str(sla)}}).Increment(); }

void store_call(bool write, double seconds) {
  child(state().store_seconds, {{"kind", write ? "write" : "read"}}, latency_buckets()).Observe(seconds);
}

void limited(std::string_view scope) { state().limited.Add({{"scope", str(scope)}}).Increment(); }

void transcript_capped() { state().capped.Add({}).Increment(); }

void set_store_snapshot(const store_snapshot& snap) {
  auto& s = state();
  s.store_up.Add({}).Set(snap.reachable ? 1 : 0);
  if (!snap.reachable) return;  // keep the last values rather than report zeros
  s.outbox.Add({{"state", "pending"}}).Set(static_cast<double>(snap.outbox_pending));
  s.outbox.Add({{"state", "sending"}}).Set(static_cast<double>(snap.outbox_sending));
  s.outbox.Add({{"state", "dead"}}).Set(static_cast<double>(snap.outbox_dead));
  for (auto known : ticket_states) {
    double n = 0;
    for (const auto& [name, count] : snap.tickets_by_state)
      if (name == known) n = static_cast<double>(count);
    s.tickets.Add({{"state", str(known)}}).Set(n);
  }
}

void set_open_connections(std::size_t n) { state().connections.Add({}).Set(static_cast<double>(n)); }

std::string render() {
  pm::TextSerializer serializer;
  return serializer.Serialize(state().registry->Collect());
}

}  // namespace bot::metrics
