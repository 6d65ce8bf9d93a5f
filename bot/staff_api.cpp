// Staff API, read side (contract: Staff API): bearer tokens, roles, tickets, conversations.
#include "bot/app.hpp"
#include "bot/staff_auth.hpp"
#include "bot/ticket_json.hpp"
#include "dialogs/intake.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace bot {
namespace {

// Parses a from/to bound: an ISO-8601 time or a date (a date in `to` means the end of that day).
bool parse_bound(const app& a, const std::string& text, bool end_of_day, std::int64_t& out) {
  if (!a.clock.parse_time(text, out)) return false;
  if (end_of_day && text.size() == 10) out += 24 * 3600;
  return true;
}

net::awaitable<http_response> list_tickets(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  store::ticket_filter f;
  for (const auto& [key, value] : req.query_params) {
    if (key == "state") f.state = value;
    else if (key == "assignee") f.assignee = value;
    else if (key == "type") f.type = value;
    else if (key == "priority") f.priority = value;
    else if (key == "channel") f.channel = value;
    else if (key == "q") f.q = value;
    else if (key == "cursor") f.cursor = value;
    else if (key == "from" || key == "to") {
      std::int64_t t = 0;
      if (!parse_bound(a, value, key == "to", t))
        co_return json_error(400, "invalid_parameter", key + " must be an ISO-8601 date or time");
      (key == "from" ? f.from : f.to) = t;
    } else if (key == "limit") {
      int limit = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc{} || p != value.data() + value.size() || limit < 1 || limit > 200)
        co_return json_error(400, "invalid_parameter", "limit must be an integer from 1 to 200");
      f.limit = limit;
    } else {
      co_return json_error(400, "invalid_parameter", "unknown parameter " + key);
    }
  }
  if (who->role == "engineer") {
    // An engineer sees only tickets assigned to them.
    if (!f.assignee.empty() && f.assignee != who->id)
      co_return json_error(403, "forbidden", "engineers see only their own tickets");
    f.assignee = who->id;
  }
  store::ticket_page page;
  try {
    std::function<store::ticket_page(store::transaction&)> query = [f](store::transaction& tx) {
      return tx.list_tickets(f);
    };
    page = co_await a.store->read<store::ticket_page>(std::move(query));
  } catch (const std::invalid_argument&) {
    co_return json_error(400, "invalid_parameter", "cursor is not valid");
  }
  const bool mask = !sees_full_phone(*who);
  std::string body = "{\"tickets\":[";
  for (std::size_t i = 0; i < page.tickets.size(); ++i) {
    if (i) body += ',';
    body += ticket_json(page.tickets[i], nullptr, nullptr, a.clock, mask);
  }
  body += "],\"next_cursor\":";
  if (page.next_cursor) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
    w.String(page.next_cursor->c_str());
    body += buffer.GetString();
  } else {
    body += "null";
  }
  body += '}';
  co_return json_ok(std::move(body));
}

struct full_ticket {
  std::optional<store::ticket_record> ticket;
  std::vector<store::ticket_event> history;
  std::vector<store::message_record> transcript;
};

net::awaitable<http_response> get_ticket(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  auto number = req.path_params["number"];
  std::function<full_ticket(store::transaction&)> query = [number](store::transaction& tx) {
    full_ticket out;
    out.ticket = tx.find_ticket(number);
    if (out.ticket) {
      out.history = tx.ticket_events(number);
      out.transcript = tx.ticket_messages(number);
    }
    return out;
  };
  auto found = co_await a.store->read<full_ticket>(std::move(query));
  if (!found.ticket) co_return json_error(404, "not_found", "no ticket " + number);
  if (who->role == "engineer" && found.ticket->assignee != who->id)
    co_return json_error(403, "forbidden", "ticket is not assigned to you");
  co_return json_ok(ticket_json(*found.ticket, &found.history, &found.transcript, a.clock, !sees_full_phone(*who)));
}


net::awaitable<http_response> get_conversation(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "supervisor" && who->role != "admin")
    co_return json_error(403, "forbidden", "supervisors only");
  auto channel = req.query_param("channel"), id = req.query_param("id");
  if (!channel || !id || channel->empty() || id->empty())
    co_return json_error(400, "invalid_parameter", "channel and id are required");
  std::function<std::optional<store::conversation_record>(store::transaction&)> query =
      [c = *channel, i = *id](store::transaction& tx) { return tx.lock_conversation(c, i); };
  auto record = co_await a.store->read<std::optional<store::conversation_record>>(std::move(query));
  if (!record) co_return json_error(404, "not_found", "no conversation for that channel identity");
  auto state = dialogs::conversation::from_json(record->state_json);
  if (!state) co_return json_error(500, "internal", "conversation state unreadable");

  // The contract's shape: state, awaiting, slots, ticket. Slots come from the dialog's own JSON.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  w.StartObject();
  w.Key("state");
  w.String(state->state.c_str());
  w.Key("awaiting");
  if (state->awaiting == dialogs::slot::none) {
    w.Null();
  } else {
    auto name = std::string{dialogs::to_string(state->awaiting)};
    w.String(name.c_str());
  }
  w.Key("slots");
  w.StartObject();
  const auto& v = state->values;
  auto slot = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    w.Key(key);
    w.String(value->c_str());
  };
  slot("service_type", v.service_type);
  slot("priority", v.priority);
  slot("model", v.model);
  slot("serial", v.serial);
  slot("problem", v.problem);
  slot("purchase_date", v.purchase_date);
  slot("service_method", v.service_method);
  slot("phone", v.phone ? std::optional<std::string>{who->role == "supervisor" ? *v.phone : mask_phone(*v.phone)}
                        : std::nullopt);
  slot("name", v.name);
  w.EndObject();
  w.Key("ticket");
  if (state->ticket.empty()) w.Null();
  else w.String(state->ticket.c_str());
  w.Key("language");
  w.String(state->language.c_str());
  w.Key("updated_at");
  auto updated = a.clock.iso8601(record->updated_at);
  w.String(updated.c_str());
  w.EndObject();
  co_return json_ok(buffer.GetString());
}

// GET /api/v1/outbox?state=&limit= (admin): the outbound queue, without message bodies.
net::awaitable<http_response> list_outbox(const app& a, http_request req) {
  const auto session = authenticate(a, req);
  const auto* who = session.who;
  if (!who) co_return unauthenticated();
  if (who->role != "admin") co_return json_error(403, "forbidden", "admins only");
  std::string state = req.query_param("state").value_or("");
  static const std::vector<std::string> states{"", "pending", "sending", "sent", "dead", "cancelled"};
  if (std::find(states.begin(), states.end(), state) == states.end())
    co_return json_error(400, "invalid_parameter", "state must be pending, sending, sent, dead or cancelled");
  int limit = 100;
  if (auto l = req.query_param("limit")) {
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc{} || p != l->data() + l->size() || limit < 1 || limit > 1000)
      co_return json_error(400, "invalid_parameter", "limit must be an integer from 1 to 1000");
  }
  std::function<std::vector<store::outbox_entry>(store::transaction&)> query = [state, limit](store::transaction& tx) {
    return tx.list_outbox(state, limit);
  };
  auto entries = co_await a.store->read<std::vector<store::outbox_entry>>(std::move(query));
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  auto put = [&](const char* key, const std::string& v) {
    w.Key(key);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  auto put_time = [&](const char* key, std::int64_t t) {
    w.Key(key);
    if (t > 0) {
      auto s = a.clock.iso8601(t);
      w.String(s.c_str());
    } else {
      w.Null();
    }
  };
  w.StartObject();
  w.Key("entries");
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    w.Key("id");
    w.Int64(e.id);
    put("idempotency_key", e.idempotency_key);
    put("channel", e.channel);
    put("recipient", e.channel == "sms" ? mask_phone(e.recipient) : e.recipient);
    put("ticket", e.ticket);
    put("plan", e.plan);
    put("state", e.state);
    w.Key("attempts");
    w.Int(e.attempts);
    put_time("next_attempt_at", e.next_attempt_at);
    put("last_error", e.last_error);
    put_time("created_at", e.created_at);
    put_time("sent_at", e.sent_at);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  co_return json_ok(buffer.GetString());
}

}  // namespace

std::vector<route> staff_api_routes(app& a) {
  return {
      {"GET", "/api/v1/tickets", [&a](http_request r) { return list_tickets(a, std::move(r)); }},
      {"GET", "/api/v1/tickets/{number}", [&a](http_request r) { return get_ticket(a, std::move(r)); }},
      {"GET", "/api/v1/conversations", [&a](http_request r) { return get_conversation(a, std::move(r)); }},
      {"GET", "/api/v1/outbox", [&a](http_request r) { return list_outbox(a, std::move(r)); }},
  };
}

}  // namespace bot
