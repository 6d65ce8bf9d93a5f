// Staff API, read side (contract: Staff API): bearer tokens, roles, tickets, conversations.
#include "bot/app.hpp"
#include "bot/ticket_json.hpp"
#include "dialogs/intake.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <charconv>

namespace bot {
namespace {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// The staff member whose token hash matches, compared in constant time (every entry is
// compared, so timing does not reveal which one matched).
const staff_member* authenticate(const app& a, const http_request& req) {
  auto header = req.header("authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return nullptr;
  auto digest = sha256_hex(header.substr(scheme.size()));
  const staff_member* found = nullptr;
  for (const auto& s : a.staff) {
    if (s.api_token_sha256.size() != digest.size()) continue;
    if (CRYPTO_memcmp(s.api_token_sha256.data(), digest.data(), digest.size()) == 0) found = &s;
  }
  return found;
}

bool sees_full_phone(const staff_member& who) { return who.role == "engineer" || who.role == "supervisor"; }

http_response unauthenticated() {
  auto r = json_error(401, "unauthenticated", "a valid bearer token is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// Parses a from/to bound: an ISO-8601 time or a date (a date in `to` means the end of that day).
bool parse_bound(const app& a, const std::string& text, bool end_of_day, std::int64_t& out) {
  if (!a.clock.parse_time(text, out)) return false;
  if (end_of_day && text.size() == 10) out += 24 * 3600;
  return true;
}

net::awaitable<http_response> list_tickets(const app& a, http_request req) {
  const auto* who = authenticate(a, req);
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
  const auto* who = authenticate(a, req);
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
  const auto* who = authenticate(a, req);
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

}  // namespace

std::vector<route> staff_api_routes(app& a) {
  return {
      {"GET", "/api/v1/tickets", [&a](http_request r) { return list_tickets(a, std::move(r)); }},
      {"GET", "/api/v1/tickets/{number}", [&a](http_request r) { return get_ticket(a, std::move(r)); }},
      {"GET", "/api/v1/conversations", [&a](http_request r) { return get_conversation(a, std::move(r)); }},
  };
}

}  // namespace bot
