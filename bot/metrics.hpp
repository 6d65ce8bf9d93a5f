#pragma once
// Prometheus metrics (contract: Operations, GET /metrics). One process-wide registry: a metric
// is a counter bumped from wherever the event happens (network threads, store threads, the
// outbox worker), and threading a registry through every call site would buy nothing, so this
// is the one deliberate global (as in every Prometheus client). Every function here is
// thread-safe, never throws for a well-formed call, and costs a hash lookup and an atomic add.
//
// Labels are bounded sets only (route patterns, channels, states, results), never a raw path,
// a sender or a ticket number: each label value is a time series kept forever.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bot::metrics {

// One answered HTTP request: `route` is the matched route's pattern ("/api/v1/tickets/{number}"),
// or "unmatched" (404) / "-" (no request could be read).
void http_request(std::string_view route, std::string_view method, int status, double seconds);

// One inbound customer message after its effects committed: counted by channel and kind
// (text, image, event, ...); a gateway retry counts as a dedupe hit instead. `ticket_opened`:
// the dialog completed with a ticket; `deflected`: a knowledge-base answer solved it.
void inbound_message(std::string_view channel, std::string_view kind, bool duplicate, bool ticket_opened,
                     bool deflected);

// A webhook request that failed authentication (missing or wrong signature, replayed token).
void signature_failure(std::string_view channel);

// One outbound send attempt's result: sent | retry | dead.
void outbound_send(std::string_view channel, std::string_view result);

// A ticket missed an SLA deadline (`sla`: respond | resolve | onsite). Called by the workflow.
void sla_breach(std::string_view sla = "any");

// One store job, from submission to completion (queue wait included); `write`: a write unit.
void store_call(bool write, double seconds);

// A request or message refused by a limit: scope sender | ip | connection.
void limited(std::string_view scope);

// A transcript reached its cap and a message was not stored in it.
void transcript_capped();

// Values read from the store on each scrape.
struct store_snapshot {
  bool reachable = false;
  std::int64_t outbox_pending = 0, outbox_sending = 0, outbox_dead = 0;
  std::vector<std::pair<std::string, std::int64_t>> tickets_by_state;
};
void set_store_snapshot(const store_snapshot& s);

// Connections currently open on the HTTP server (set on each scrape).
void set_open_connections(std::size_t n);

// Every metric in the Prometheus text exposition format (version 0.0.4).
std::string render();

// The Content-Type of render()'s output.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace bot::metrics
