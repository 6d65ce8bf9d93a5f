// Staff API, write side (contract: Staff API): assign, progress, resolve, notes, close / reopen /
// suspend; the reports summary; the test clock. This file is the thin HTTP adapter: it checks
// the token and the role, parses the JSON body strictly, and runs the workflow operation
// (bot/workflow.hpp) in one store write unit. Errors: 400 malformed body, 401, 403 role,
// 404 unknown ticket, 409 illegal transition (naming the current state), 422 validation.
#include "bot/app.hpp"
#include "bot/programs.hpp"
#include "bot/reports.hpp"
#include "bot/staff_auth.hpp"
#include "bot/ticket_json.hpp"
#include "bot/workflow.hpp"
#include "dialogs/text.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bot {
namespace {

// ---- strict JSON bodies ----

// Limits on free text, so one request cannot bloat a ticket's history.
constexpr std::size_t max_short_text = 500;    // reason
constexpr std::size_t max_long_text = 4000;    // note, report
constexpr std::size_t max_parts = 50;

using parsed_body = std::variant<rapidjson::Document, http_response>;

// The body as one JSON object: RFC 8259 only (no comments, no trailing commas), valid UTF-8.
// An empty body counts as {} when `empty_ok`. Malformed or not an object → 400.
parsed_body parse_object(const std::string& body, bool empty_ok) {
  rapidjson::Document d;
  const bool blank = body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    if (!empty_ok) return json_error(400, "malformed_body", "a JSON object is required");
    d.SetObject();
    return d;
  }
  d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (d.HasParseError())
    return json_error(400, "malformed_body",
                      std::string{"body is not valid JSON: "} + rapidjson::GetParseError_En(d.GetParseError()) +
                          " at offset " + std::to_string(d.GetErrorOffset()));
  if (!d.IsObject()) return json_error(400, "malformed_body", "body must be a JSON object");
  return d;
}

// 422 naming the first member that is not one of `allowed` (a misspelt field must not be ignored).
std::optional<http_response> unknown_member(const rapidjson::Document& d, std::initializer_list<const char*> allowed) {
  for (const auto& m : d.GetObject()) {
    const std::string name{m.name.GetString(), m.name.GetStringLength()};
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) return json_error(422, "unknown_field", "unknown field " + name);
  }
  return std::nullopt;
}

// Reads string member `key`: absent → nullopt (no error); not a string → 422 in `error`.
// The text is trimmed of surrounding white space.
std::optional<std::string> string_member(const rapidjson::Document& d, const char* key, std::size_t max_size,
                                         std::optional<http_response>& error) {
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;
  if (!it->value.IsString()) {
    error = json_error(422, "invalid_field", std::string{key} + " must be a string");
    return std::nullopt;
  }
  std::string text{it->value.GetString(), it->value.GetStringLength()};
  const auto first = text.find_first_not_of(" \t\r\n");
  text = first == std::string::npos ? std::string{} : text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  if (dialogs::code_points(text) > max_size) {
    error = json_error(422, "invalid_field", std::string{key} + " is longer than " + std::to_string(max_size) +
                                                 " characters");
    return std::nullopt;
  }
  return text;
}

// A required non-empty string member.
std::optional<std::string> required_text(const rapidjson::Document& d, const char* key, std::size_t max_size,
                                         std::optional<http_response>& error) {
  auto value = string_member(d, key, max_size, error);
  if (error) return std::nullopt;
  if (!value || value->empty()) {
    error = json_error(422, "missing_field", std::string{key} + " is required");
    return std::nullopt;
  }
  return value;
}

// ---- plumbing ----

bool is_supervisor_or_admin(const staff_member& who) { return who.role == "supervisor" || who.role == "admin"; }

// Runs `op` in a write unit on the session's snapshot of the data files (the one its staff
// member was found in) and turns its result into the answer (the ticket after the change).
net::awaitable<http_response> run(const app& a, staff_session session,
                                  std::function<workflow::result(store::transaction&)> op) {
  std::function<workflow::result(store::transaction&)> unit = [&a, files = session.files,
                                                               op = std::move(op)](store::transaction& tx) {
    const files_pin pin{a, files};
    return op(tx);
  };
  const staff_member& who = *session.who;
  auto r = co_await a.store->write<workflow::result>(std::move(unit));
  if (r.status != 200) co_return json_error(r.status, r.code, r.message);
  if (a.on_outbox_enqueued) a.on_outbox_enqueued();
  spdlog::info("event=ticket_changed ticket={} state={} actor={}", r.ticket->number, r.ticket->state, who.id);
  co_return json_ok(ticket_json(*r.ticket, nullptr, nullptr, a.clock, !sees_full_phone(who)));
}

// ---- handlers ----

net::awaitable<http_response> assign_ticket(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (!is_supervisor_or_admin(*who)) co_return json_error(403, "forbidden", "only supervisors assign tickets");
  auto parsed = parse_object(req.body, false);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"engineer", "reason"})) co_return std::move(*e);
  std::optional<http_response> error;
  auto engineer = required_text(d, "engineer", 64, error);
  if (error) co_return std::move(*error);
  auto reason = required_text(d, "reason", max_short_text, error);
  if (error) co_return std::move(*error);
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"],
                                                             engineer = *engineer, reason = *reason,
                                                             actor = *who](store::transaction& tx) {
    return workflow::assign(tx, a, number, engineer, reason, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

net::awaitable<http_response> report_progress(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  // Engineers, and supervisors handling a complaint assigned to them (workflow checks whose).
  if (who->role != "engineer" && who->role != "supervisor")
    co_return json_error(403, "forbidden", "only the assigned engineer reports progress");
  auto parsed = parse_object(req.body, false);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"step", "note", "eta"})) co_return std::move(*e);
  std::optional<http_response> error;
  workflow::progress_report report;
  auto step = required_text(d, "step", 32, error);
  if (error) co_return std::move(*error);
  if (*step != "remote" && *step != "onsite" && *step != "waiting_parts" && *step != "repairing")
    co_return json_error(422, "invalid_field", "step must be remote, onsite, waiting_parts or repairing");
  report.step = *step;
  report.note = string_member(d, "note", max_long_text, error).value_or("");
  if (error) co_return std::move(*error);
  auto eta = string_member(d, "eta", 64, error);
  if (error) co_return std::move(*error);
  if (eta && !eta->empty()) {
    std::int64_t when = 0;
    if (!a.clock.parse_time(*eta, when)) co_return json_error(422, "invalid_field", "eta must be an ISO-8601 time");
    report.eta = when;
  }
  if (report.step == "waiting_parts" && !report.eta)
    co_return json_error(422, "missing_field", "eta is required while waiting for parts");
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"], report,
                                                             actor = *who](store::transaction& tx) {
    return workflow::progress(tx, a, number, report, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

net::awaitable<http_response> resolve_ticket(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "engineer" && who->role != "supervisor")
    co_return json_error(403, "forbidden", "only the assigned engineer resolves");
  auto parsed = parse_object(req.body, false);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"report", "parts"})) co_return std::move(*e);
  std::optional<http_response> error;
  auto report = required_text(d, "report", max_long_text, error);
  if (error) co_return std::move(*error);
  std::vector<std::string> parts;
  if (auto it = d.FindMember("parts"); it != d.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsArray()) co_return json_error(422, "invalid_field", "parts must be an array of strings");
    if (it->value.Size() > max_parts)
      co_return json_error(422, "invalid_field", "parts lists at most " + std::to_string(max_parts) + " items");
    for (const auto& p : it->value.GetArray()) {
      if (!p.IsString() || p.GetStringLength() == 0 || p.GetStringLength() > max_short_text)
        co_return json_error(422, "invalid_field", "parts must be non-empty strings");
      parts.emplace_back(p.GetString(), p.GetStringLength());
    }
  }
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"],
                                                             report = *report, parts,
                                                             actor = *who](store::transaction& tx) {
    return workflow::resolve(tx, a, number, report, parts, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

net::awaitable<http_response> add_note(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "engineer" && who->role != "supervisor")
    co_return json_error(403, "forbidden", "engineers (own tickets) and supervisors add notes");
  auto parsed = parse_object(req.body, false);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"text"})) co_return std::move(*e);
  std::optional<http_response> error;
  auto text = required_text(d, "text", max_long_text, error);
  if (error) co_return std::move(*error);
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"], text = *text,
                                                             actor = *who](store::transaction& tx) {
    return workflow::add_note(tx, a, number, text, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

// close / reopen / suspend: an optional {"reason": "..."}.
net::awaitable<http_response> supervise(const app& a, http_request req, workflow::action what) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "supervisor") co_return json_error(403, "forbidden", "supervisors only");
  auto parsed = parse_object(req.body, true);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"reason"})) co_return std::move(*e);
  std::optional<http_response> error;
  auto reason = string_member(d, "reason", max_short_text, error).value_or("");
  if (error) co_return std::move(*error);
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"], what, reason,
                                                             actor = *who](store::transaction& tx) {
    return workflow::supervise(tx, a, number, what, reason, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

// A planned visit released by a supervisor ("下达", issue 9): no body, or an empty object.
net::awaitable<http_response> confirm_visit(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "supervisor") co_return json_error(403, "forbidden", "supervisors only");
  auto parsed = parse_object(req.body, true);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  if (auto e = unknown_member(std::get<rapidjson::Document>(parsed), {})) co_return std::move(*e);
  std::function<workflow::result(store::transaction&)> op = [&a, number = req.path_params["number"],
                                                             actor = *who](store::transaction& tx) {
    return programs::confirm_visit(tx, a, number, actor, a.clock.now());
  };
  co_return co_await run(a, session, std::move(op));
}

// ---- reports ----

bool parse_bound(const app& a, const std::string& text, bool end_of_day, std::int64_t& out) {
  if (!a.clock.parse_time(text, out)) return false;
  if (end_of_day && text.size() == 10) out += 24 * 3600;  // a date in `to` includes that day
  return true;
}

net::awaitable<http_response> report_summary(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (!is_supervisor_or_admin(*who)) co_return json_error(403, "forbidden", "supervisors and admins only");
  const auto now = a.clock.now();
  std::int64_t from = now - 30 * 24 * 3600, to = now + 1;  // default: the last 30 days
  for (const auto& [key, value] : req.query_params) {
    if (key != "from" && key != "to") co_return json_error(400, "invalid_parameter", "unknown parameter " + key);
    std::int64_t t = 0;
    if (!parse_bound(a, value, key == "to", t))
      co_return json_error(400, "invalid_parameter", key + " must be an ISO-8601 date or time");
    (key == "from" ? from : to) = t;
  }
  if (to <= from) co_return json_error(400, "invalid_parameter", "to must be after from");
  if (to - from > 400LL * 24 * 3600) co_return json_error(400, "invalid_parameter", "the range is at most 400 days");

  const clock& clk = a.clock;
  std::function<report_input(store::transaction&)> query = [from, to, &clk, now](store::transaction& tx) {
    report_input in;
    in.from = from;
    in.to = to;
    store::ticket_filter f;
    f.from = from - 30 * 24 * 3600;  // repeat faults look 30 days back
    f.to = to;
    f.limit = 200;
    for (;;) {
      auto page = tx.list_tickets(f);
      for (auto& t : page.tickets) {
        if (t.created_at >= from) in.events[t.number] = tx.ticket_events(t.number);
        in.tickets.push_back(std::move(t));
      }
      if (!page.next_cursor) break;
      f.cursor = page.next_cursor;
    }
    in.open_now = tx.count_open_by_assignee();
    // Self-service deflections are counted per local day (intake_flow.cpp).
    std::string last_day;
    for (std::int64_t t = from; t < to; t += 3600) {
      const auto day = clk.yyyymmdd(t);
      if (day == last_day) continue;
      last_day = day;
      if (auto v = tx.get_setting("deflected." + day, now)) in.deflected += std::stoll(*v);
    }
    return in;
  };
  auto in = co_await a.store->read<report_input>(std::move(query));
  co_return json_ok(report_summary_json(in, session.files->staff, a.clock));
}

// ---- test clock ----

net::awaitable<http_response> advance_clock(app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "admin") co_return json_error(403, "forbidden", "admins only");
  auto parsed = parse_object(req.body, false);
  if (auto* e = std::get_if<http_response>(&parsed)) co_return std::move(*e);
  const auto& d = std::get<rapidjson::Document>(parsed);
  if (auto e = unknown_member(d, {"advance_minutes"})) co_return std::move(*e);
  auto it = d.FindMember("advance_minutes");
  if (it == d.MemberEnd()) co_return json_error(422, "missing_field", "advance_minutes is required");
  if (!it->value.IsInt64() || it->value.GetInt64() < 0 || it->value.GetInt64() > 10LL * 366 * 24 * 60)
    co_return json_error(422, "invalid_field", "advance_minutes must be an integer from 0 to 5270400 (10 years)");
  a.clock.advance_minutes(it->value.GetInt64());
  // Kept in the store, so a restart in the middle of a test resumes at the same time.
  const auto offset_minutes = a.clock.offset_seconds() / 60;
  std::function<bool(store::transaction&)> save = [offset_minutes](store::transaction& tx) {
    tx.put_setting("test_clock.offset_minutes", std::to_string(offset_minutes), 0);
    return true;
  };
  co_await a.store->write<bool>(std::move(save));

  // Run what fell due: timers until none is left (a fired timer may schedule another that is
  // already due), then the outbox for the notifications they queued.
  int timers_fired = 0, outbox_sent = 0;
  if (a.run_timers_once) {
    std::function<net::awaitable<int>()> pass = a.run_timers_once;
    for (int i = 0; i < 50; ++i) {
      const int n = co_await pass();
      timers_fired += n;
      if (n == 0) break;
    }
  }
  if (a.run_outbox_once) {
    std::function<net::awaitable<int>()> pass = a.run_outbox_once;
    for (int i = 0; i < 10; ++i) {
      const int n = co_await pass();
      outbox_sent += n;
      if (n == 0) break;
    }
  }
  spdlog::info("event=test_clock_advanced minutes={} offset_minutes={} timers={} outbox={}",
               it->value.GetInt64(), offset_minutes, timers_fired, outbox_sent);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  w.StartObject();
  w.Key("now");
  const auto now = a.clock.iso8601(a.clock.now());
  w.String(now.c_str());
  w.Key("timers_fired");
  w.Int(timers_fired);
  w.Key("outbox_sent");
  w.Int(outbox_sent);
  w.EndObject();
  co_return json_ok(buffer.GetString());
}

}  // namespace

std::vector<route> staff_write_routes(app& a) {
  using workflow::action;
  std::vector<route> routes{
      {"POST", "/api/v1/tickets/{number}/assign", [&a](http_request r) { return assign_ticket(a, std::move(r)); }},
      {"POST", "/api/v1/tickets/{number}/progress", [&a](http_request r) { return report_progress(a, std::move(r)); }},
      {"POST", "/api/v1/tickets/{number}/resolve", [&a](http_request r) { return resolve_ticket(a, std::move(r)); }},
      {"POST", "/api/v1/tickets/{number}/notes", [&a](http_request r) { return add_note(a, std::move(r)); }},
      {"POST", "/api/v1/tickets/{number}/close",
       [&a](http_request r) { return supervise(a, std::move(r), action::close); }},
      {"POST", "/api/v1/tickets/{number}/reopen",
       [&a](http_request r) { return supervise(a, std::move(r), action::reopen); }},
      {"POST", "/api/v1/tickets/{number}/suspend",
       [&a](http_request r) { return supervise(a, std::move(r), action::suspend); }},
      {"POST", "/api/v1/tickets/{number}/confirm", [&a](http_request r) { return confirm_visit(a, std::move(r)); }},
      {"GET", "/api/v1/reports/summary", [&a](http_request r) { return report_summary(a, std::move(r)); }},
  };
  // Contract: without test_clock the endpoint does not exist (404).
  if (a.cfg.test_clock)
    routes.push_back({"POST", "/api/v1/admin/clock", [&a](http_request r) { return advance_clock(a, std::move(r)); }});
  return routes;
}

}  // namespace bot
