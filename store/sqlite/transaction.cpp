#include "store/sqlite/transaction.hpp"
#include "store/settings_query.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <variant>

namespace store::sqlite {

namespace {

// The columns of a ticket row, in the order read_ticket() expects them.
const std::string ticket_columns =
    "number, type, priority, state, stage, channel, language, customer_id, customer_name, phone, "
    "channel_id, customer_no, model, serial, purchase_date, in_warranty, problem, service_method, "
    "assignee, respond_by, resolve_by, onsite_by, breached, satisfaction_score, satisfaction_comment, "
    "created_at, updated_at, attributes_json";

ticket_record read_ticket(const statement& st) {
  ticket_record t;
  t.number = st.text(0);
  t.type = st.text(1);
  t.priority = st.text(2);
  t.state = st.text(3);
  t.stage = st.text(4);
  t.channel = st.text(5);
  t.language = st.text(6);
  t.customer_id = st.int64(7);
  t.customer_name = st.text(8);
  t.phone = st.text(9);
  t.channel_id = st.text(10);
  t.customer_no = st.text(11);
  t.model = st.text(12);
  t.serial = st.text(13);
  t.purchase_date = st.text(14);
  if (!st.is_null(15)) t.in_warranty = st.int64(15) != 0;
  t.problem = st.text(16);
  t.service_method = st.text(17);
  t.assignee = st.text(18);
  t.respond_by = st.optional_int64(19);
  t.resolve_by = st.optional_int64(20);
  t.onsite_by = st.optional_int64(21);
  t.breached = st.int64(22) != 0;
  t.satisfaction_score = st.text(23);
  t.satisfaction_comment = st.text(24);
  t.created_at = st.int64(25);
  t.updated_at = st.int64(26);
  t.attributes_json = st.text(27);
  return t;
}

const std::string outbox_columns =
    "id, idempotency_key, channel, recipient, payload_json, ticket, plan, state, attempts, "
    "next_attempt_at, lease_until, last_error, created_at, sent_at";

outbox_entry read_outbox(const statement& st) {
  outbox_entry e;
  e.id = st.int64(0);
  e.idempotency_key = st.text(1);
  e.channel = st.text(2);
  e.recipient = st.text(3);
  e.payload_json = st.text(4);
  e.ticket = st.text(5);
  e.plan = st.text(6);
  e.state = st.text(7);
  e.attempts = static_cast<int>(st.int64(8));
  e.next_attempt_at = st.int64(9);
  e.lease_until = st.int64(10);
  e.last_error = st.text(11);
  e.created_at = st.int64(12);
  e.sent_at = st.int64(13);
  return e;
}

const std::string timer_columns = "id, kind, ticket, due_at, payload_json, state, lease_until, created_at";

timer_record read_timer(const statement& st) {
  timer_record t;
  t.id = st.int64(0);
  t.kind = st.text(1);
  t.ticket = st.text(2);
  t.due_at = st.int64(3);
  t.payload_json = st.text(4);
  t.state = st.text(5);
  t.lease_until = st.int64(6);
  t.created_at = st.int64(7);
  return t;
}

// The most entries one claim takes: a worker asking for more is a bug, and a bounded claim keeps
// the write transaction (which every other writer waits for) short. A limit below 1 claims nothing;
// SQLite would read a negative LIMIT as "no limit".
constexpr int max_claim = 1000;

// How many expired one-time tokens one use_token_once call deletes at most. More than the one row
// a call adds, so the table shrinks back to the unexpired tokens, yet never a long delete inside
// a webhook's transaction.
constexpr int token_purge_batch = 100;

const std::string customer_columns = "id, channel, channel_id, name, phone, customer_no, language, opted_out";

customer_record read_customer(const statement& st) {
  customer_record c;
  c.id = st.int64(0);
  c.channel = st.text(1);
  c.channel_id = st.text(2);
  c.name = st.text(3);
  c.phone = st.text(4);
  c.customer_no = st.text(5);
  c.language = st.text(6);
  c.opted_out = st.int64(7) != 0;
  return c;
}

// '!' rather than the usual backslash: MySQL treats a backslash in a string literal as an
// escape itself, so ESCAPE '!' reads the same on both backends.
constexpr char like_escape = '!';

// q is a plain substring: the customer's "100%" or a serial with '_' must not act as wildcards.
std::string like_pattern(std::string_view q) {
  std::string pattern = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == like_escape) pattern += like_escape;
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

// Cursor: "<created_at>:<number>" of the last row of the previous page. Opaque to callers; the
// page after it holds the rows strictly older in (created_at DESC, number DESC) order.
struct ticket_cursor {
  std::int64_t created_at = 0;
  std::string number;
};

std::string encode_cursor(const ticket_record& last) { return std::to_string(last.created_at) + ":" + last.number; }

ticket_cursor decode_cursor(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("cursor");
  const std::string_view time = text.substr(0, colon);
  const std::string_view number = text.substr(colon + 1);
  ticket_cursor cursor;
  const auto [end, ec] = std::from_chars(time.data(), time.data() + time.size(), cursor.created_at);
  if (time.empty() || ec != std::errc() || end != time.data() + time.size()) throw std::invalid_argument("cursor");
  // Ticket numbers are SR + digits; anything else did not come from us.
  const bool number_ok =
      !number.empty() && number.size() <= 32 && std::all_of(number.begin(), number.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      });
  if (!number_ok) throw std::invalid_argument("cursor");
  cursor.number = std::string(number);
  return cursor;
}

bool is_day(std::string_view yyyymmdd) {
  return yyyymmdd.size() == 8 &&
         std::all_of(yyyymmdd.begin(), yyyymmdd.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void sqlite_transaction::require_writable(const char* operation) const {
  if (!writable_) throw store_error(errc::internal, std::string(operation) + " inside a read-only transaction");
}

// ---- inbound log ----

bool sqlite_transaction::record_inbound(const inbound_record& r) {
  require_writable("record_inbound");
  auto st = db_.prepare(
      "INSERT INTO inbound_log (channel, provider_id, sender, received_at, reply) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (channel, provider_id) DO NOTHING");
  st.bind_all(r.channel, r.provider_id, r.sender, r.received_at, r.reply).run();
  return db_.changes() == 1;
}

std::optional<inbound_record> sqlite_transaction::find_inbound(std::string_view channel, std::string_view provider_id) {
  auto st = db_.prepare(
      "SELECT channel, provider_id, sender, received_at, reply FROM inbound_log WHERE channel = ? AND provider_id = ?");
  st.bind_all(channel, provider_id);
  if (!st.next()) return std::nullopt;
  inbound_record r;
  r.channel = st.text(0);
  r.provider_id = st.text(1);
  r.sender = st.text(2);
  r.received_at = st.int64(3);
  r.reply = st.text(4);
  return r;
}

void sqlite_transaction::set_inbound_reply(std::string_view channel, std::string_view provider_id,
                                           std::string_view reply) {
  require_writable("set_inbound_reply");
  auto st = db_.prepare("UPDATE inbound_log SET reply = ? WHERE channel = ? AND provider_id = ?");
  st.bind_all(reply, channel, provider_id).run();
  if (db_.changes() == 0) throw store_error(errc::not_found, "set_inbound_reply: no such delivery");
}

// ---- customers ----

customer_record sqlite_transaction::find_or_create_customer(std::string_view channel, std::string_view channel_id,
                                                            std::int64_t now) {
  require_writable("find_or_create_customer");
  // Nearly every message comes from a known customer: one read, and the insert only for a new one.
  if (auto known = find_customer_by_identity(channel, channel_id)) return std::move(*known);
  {
    auto insert = db_.prepare(
        "INSERT INTO customers (channel, channel_id, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (channel, channel_id) DO NOTHING");
    insert.bind_all(channel, channel_id, now).run();
  }
  auto found = find_customer_by_identity(channel, channel_id);
  if (!found) throw store_error(errc::internal, "find_or_create_customer: row vanished after insert");
  return std::move(*found);
}

void sqlite_transaction::update_customer(const customer_record& c) {
  require_writable("update_customer");
  auto st = db_.prepare(
      "UPDATE customers SET name = ?, phone = ?, customer_no = ?, language = ?, opted_out = ? WHERE id = ?");
  st.bind_all(c.name, c.phone, c.customer_no, c.language, c.opted_out, c.id).run();
  if (db_.changes() == 0) throw store_error(errc::not_found, "update_customer: no such customer");
}

std::optional<customer_record> sqlite_transaction::find_customer(std::int64_t id) {
  static const std::string sql = "SELECT " + customer_columns + " FROM customers WHERE id = ?";
  auto st = db_.prepare(sql);
  st.bind_all(id);
  if (!st.next()) return std::nullopt;
  return read_customer(st);
}

std::optional<customer_record> sqlite_transaction::find_customer_by_identity(std::string_view channel,
                                                                             std::string_view channel_id) {
  static const std::string sql = "SELECT " + customer_columns + " FROM customers WHERE channel = ? AND channel_id = ?";
  auto st = db_.prepare(sql);
  st.bind_all(channel, channel_id);
  if (!st.next()) return std::nullopt;
  return read_customer(st);
}

// ---- conversations ----

std::optional<conversation_record> sqlite_transaction::lock_conversation(std::string_view channel,
                                                                         std::string_view channel_id) {
  // No row lock needed: a write batch runs under BEGIN IMMEDIATE, which already excludes every
  // other writer on the file until it ends.
  auto st = db_.prepare(
      "SELECT channel, channel_id, customer_id, state_json, version, updated_at FROM conversations "
      "WHERE channel = ? AND channel_id = ?");
  st.bind_all(channel, channel_id);
  if (!st.next()) return std::nullopt;
  conversation_record c;
  c.channel = st.text(0);
  c.channel_id = st.text(1);
  c.customer_id = st.int64(2);
  c.state_json = st.text(3);
  c.version = st.int64(4);
  c.updated_at = st.int64(5);
  return c;
}

std::int64_t sqlite_transaction::save_conversation(const conversation_record& c) {
  require_writable("save_conversation");
  if (c.version == 0) {
    auto st = db_.prepare(
        "INSERT INTO conversations (channel, channel_id, customer_id, state_json, version, updated_at) "
        "VALUES (?, ?, ?, ?, 1, ?)");
    st.bind_all(c.channel, c.channel_id, c.customer_id, c.state_json, c.updated_at);
    try {
      st.run();
    } catch (const store_error& e) {
      // The caller saw no row, yet one exists now: someone else created it first. That is a lost
      // race (retry after re-reading), not a duplicate the caller could fix.
      if (e.code() == errc::duplicate) throw store_error(errc::conflict, "save_conversation: created concurrently");
      throw;
    }
    return 1;
  }
  auto st = db_.prepare(
      "UPDATE conversations SET customer_id = ?, state_json = ?, updated_at = ?, version = version + 1 "
      "WHERE channel = ? AND channel_id = ? AND version = ?");
  st.bind_all(c.customer_id, c.state_json, c.updated_at, c.channel, c.channel_id, c.version).run();
  if (db_.changes() == 0) throw store_error(errc::conflict, "save_conversation: stale version");
  return c.version + 1;
}

// ---- transcript ----

void sqlite_transaction::append_message(const message_record& m) {
  require_writable("append_message");
  auto st =
      db_.prepare("INSERT INTO messages (customer_id, channel, ticket, at, direction, text) VALUES (?, ?, ?, ?, ?, ?)");
  st.bind_all(m.customer_id, m.channel, m.ticket, m.at, m.direction, m.text).run();
}

void sqlite_transaction::attach_messages(std::int64_t customer_id, std::string_view channel, std::int64_t since,
                                         std::string_view ticket) {
  require_writable("attach_messages");
  auto st =
      db_.prepare("UPDATE messages SET ticket = ? WHERE customer_id = ? AND channel = ? AND at >= ? AND ticket = ''");
  st.bind_all(ticket, customer_id, channel, since).run();
}

std::int64_t sqlite_transaction::count_messages(std::int64_t customer_id, std::string_view channel, std::string_view ticket,
                                   std::int64_t since) {
  // Each form uses an index: messages_by_ticket, or messages_by_customer (customer, channel, at).
  auto st = ticket.empty()
                ? db_.prepare("SELECT COUNT(*) FROM messages WHERE customer_id = ? AND channel = ? AND at >= ? AND ticket = ''")
                : db_.prepare("SELECT COUNT(*) FROM messages WHERE ticket = ?");
  if (ticket.empty()) st.bind_all(customer_id, channel, since);
  else st.bind_all(ticket);
  if (!st.next()) throw store_error(errc::internal, "count_messages: no result");
  return st.int64(0);
}

std::vector<message_record> sqlite_transaction::ticket_messages(std::string_view ticket) {
  auto st = db_.prepare(
      "SELECT customer_id, channel, ticket, at, direction, text FROM messages WHERE ticket = ? ORDER BY at, id");
  st.bind_all(ticket);
  std::vector<message_record> out;
  while (st.next()) {
    message_record m;
    m.customer_id = st.int64(0);
    m.channel = st.text(1);
    m.ticket = st.text(2);
    m.at = st.int64(3);
    m.direction = st.text(4);
    m.text = st.text(5);
    out.push_back(std::move(m));
  }
  return out;
}

// ---- tickets ----

std::string sqlite_transaction::next_ticket_number(std::string_view yyyymmdd) {
  require_writable("next_ticket_number");
  if (!is_day(yyyymmdd)) throw store_error(errc::internal, "next_ticket_number: day is not yyyymmdd");
  // The upsert runs inside the caller's write transaction, so the bump and the ticket insert that
  // uses it commit or vanish together; a rolled-back unit leaves a gap, never a duplicate.
  {
    auto bump = db_.prepare(
        "INSERT INTO ticket_sequence (day, last) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET last = last + 1");
    bump.bind_all(yyyymmdd).run();
  }
  auto st = db_.prepare("SELECT last FROM ticket_sequence WHERE day = ?");
  st.bind_all(yyyymmdd);
  if (!st.next()) throw store_error(errc::internal, "next_ticket_number: sequence row missing");
  char sequence[24];
  std::snprintf(sequence, sizeof sequence, "%03lld", static_cast<long long>(st.int64(0)));
  std::string number = "SR";
  number += yyyymmdd;
  number += sequence;
  return number;
}

void sqlite_transaction::insert_attachments(const ticket_record& t) {
  int seq = 0;
  for (const auto& a : t.attachments) {
    auto st = db_.prepare("INSERT INTO ticket_attachments (ticket, seq, kind, media_ref) VALUES (?, ?, ?, ?)");
    st.bind_all(t.number, seq++, a.kind, a.ref).run();
  }
}

void sqlite_transaction::load_attachments(ticket_record& t) {
  auto st = db_.prepare("SELECT kind, media_ref FROM ticket_attachments WHERE ticket = ? ORDER BY seq");
  st.bind_all(t.number);
  t.attachments.clear();
  while (st.next()) t.attachments.push_back({st.text(0), st.text(1)});
}

void sqlite_transaction::insert_ticket(const ticket_record& t) {
  require_writable("insert_ticket");
  {
    static const std::string sql = "INSERT INTO tickets (" + ticket_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    auto st = db_.prepare(sql);
    st.bind_all(t.number, t.type, t.priority, t.state, t.stage, t.channel, t.language, t.customer_id, t.customer_name,
                t.phone, t.channel_id, t.customer_no, t.model, t.serial, t.purchase_date, t.in_warranty, t.problem,
                t.service_method, t.assignee, t.respond_by, t.resolve_by, t.onsite_by, t.breached, t.satisfaction_score,
                t.satisfaction_comment, t.created_at, t.updated_at, t.attributes_json)
        .run();
  }
  insert_attachments(t);
}

void sqlite_transaction::update_ticket(const ticket_record& t) {
  require_writable("update_ticket");
  // number and created_at identify the ticket and its place in the list; they never change.
  {
    auto st = db_.prepare(
        "UPDATE tickets SET type = ?, priority = ?, state = ?, stage = ?, channel = ?, language = ?, "
        "customer_id = ?, customer_name = ?, phone = ?, channel_id = ?, customer_no = ?, model = ?, serial = ?, "
        "purchase_date = ?, in_warranty = ?, problem = ?, service_method = ?, assignee = ?, respond_by = ?, "
        "resolve_by = ?, onsite_by = ?, breached = ?, satisfaction_score = ?, satisfaction_comment = ?, "
        "updated_at = ?, attributes_json = ? WHERE number = ?");
    st.bind_all(t.type, t.priority, t.state, t.stage, t.channel, t.language, t.customer_id, t.customer_name, t.phone,
                t.channel_id, t.customer_no, t.model, t.serial, t.purchase_date, t.in_warranty, t.problem,
                t.service_method, t.assignee, t.respond_by, t.resolve_by, t.onsite_by, t.breached, t.satisfaction_score,
                t.satisfaction_comment, t.updated_at, t.attributes_json, t.number)
        .run();
    if (db_.changes() == 0) throw store_error(errc::not_found, "update_ticket: no such ticket");
  }
  {
    auto st = db_.prepare("DELETE FROM ticket_attachments WHERE ticket = ?");
    st.bind_all(t.number).run();
  }
  insert_attachments(t);
}

std::optional<ticket_record> sqlite_transaction::find_ticket(std::string_view number) {
  std::optional<ticket_record> t;
  {
    static const std::string sql = "SELECT " + ticket_columns + " FROM tickets WHERE number = ?";
    auto st = db_.prepare(sql);
    st.bind_all(number);
    if (!st.next()) return std::nullopt;
    t = read_ticket(st);
  }
  load_attachments(*t);
  return t;
}

ticket_page sqlite_transaction::list_tickets(const ticket_filter& f) {
  // Decode first: a bad cursor is the client's mistake and must not look like a database error.
  std::optional<ticket_cursor> cursor;
  if (f.cursor && !f.cursor->empty()) cursor = decode_cursor(*f.cursor);
  const int limit = std::clamp(f.limit, 1, 200);

  std::string sql = "SELECT " + ticket_columns + " FROM tickets WHERE 1 = 1";
  std::vector<std::variant<std::string, std::int64_t>> params;
  auto equals = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    sql += " AND ";
    sql += column;
    sql += " = ?";
    params.emplace_back(value);
  };
  equals("state", f.state);
  equals("assignee", f.assignee);
  equals("type", f.type);
  equals("priority", f.priority);
  equals("channel", f.channel);
  if (f.customer_id) {
    sql += " AND customer_id = ?";
    params.emplace_back(*f.customer_id);
  }
  if (!f.q.empty()) {
    const std::string pattern = like_pattern(f.q);
    sql +=
        " AND (number LIKE ? ESCAPE '!' OR serial LIKE ? ESCAPE '!' OR phone LIKE ? ESCAPE '!'"
        " OR customer_name LIKE ? ESCAPE '!' OR problem LIKE ? ESCAPE '!')";
    for (int i = 0; i < 5; ++i) params.emplace_back(pattern);
  }
  if (f.from) {
    sql += " AND created_at >= ?";
    params.emplace_back(*f.from);
  }
  if (f.to) {
    sql += " AND created_at < ?";
    params.emplace_back(*f.to);
  }
  if (cursor) {
    sql += " AND (created_at < ? OR (created_at = ? AND number < ?))";
    params.emplace_back(cursor->created_at);
    params.emplace_back(cursor->created_at);
    params.emplace_back(cursor->number);
  }
  // One row beyond the page tells whether another page exists without a COUNT.
  sql += " ORDER BY created_at DESC, number DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(limit) + 1);

  ticket_page page;
  bool more = false;
  {
    auto st = db_.prepare(sql);
    int index = 0;
    for (const auto& p : params) std::visit([&](const auto& value) { st.bind(++index, value); }, p);
    while (st.next()) {
      if (static_cast<int>(page.tickets.size()) == limit) {
        more = true;
        break;
      }
      page.tickets.push_back(read_ticket(st));
    }
  }
  for (auto& t : page.tickets) load_attachments(t);
  if (more) page.next_cursor = encode_cursor(page.tickets.back());
  return page;
}

void sqlite_transaction::append_event(const ticket_event& e) {
  require_writable("append_event");
  auto st = db_.prepare("INSERT INTO ticket_events (ticket, at, actor, event, detail_json) VALUES (?, ?, ?, ?, ?)");
  st.bind_all(e.ticket, e.at, e.actor, e.event, e.detail_json).run();
}

std::vector<ticket_event> sqlite_transaction::ticket_events(std::string_view ticket) {
  auto st =
      db_.prepare("SELECT ticket, at, actor, event, detail_json FROM ticket_events WHERE ticket = ? ORDER BY at, id");
  st.bind_all(ticket);
  std::vector<ticket_event> out;
  while (st.next()) {
    ticket_event e;
    e.ticket = st.text(0);
    e.at = st.int64(1);
    e.actor = st.text(2);
    e.event = st.text(3);
    e.detail_json = st.text(4);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<std::string, int>> sqlite_transaction::count_open_by_assignee() {
  // Schema v5's counter table, kept exact by triggers on tickets (store/sqlite/migrations.cpp):
  // one row per engineer instead of counting every open ticket.
  auto st = db_.prepare("SELECT assignee, open FROM open_by_assignee WHERE open > 0 ORDER BY assignee");
  std::vector<std::pair<std::string, int>> out;
  while (st.next()) out.emplace_back(st.text(0), static_cast<int>(st.int64(1)));
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> sqlite_transaction::count_tickets_by_state() {
  auto st = db_.prepare("SELECT state, COUNT(*) FROM tickets GROUP BY state ORDER BY state");
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (st.next()) out.emplace_back(st.text(0), st.int64(1));
  return out;
}

// ---- outbox ----

std::optional<std::int64_t> sqlite_transaction::enqueue_new(const outbox_entry& e) {
  require_writable("enqueue");
  auto st = db_.prepare(
      "INSERT INTO outbox (idempotency_key, channel, recipient, payload_json, ticket, plan, state, attempts, "
      "next_attempt_at, lease_until, last_error, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (idempotency_key) DO NOTHING");
  st.bind_all(e.idempotency_key, e.channel, e.recipient, e.payload_json, e.ticket, e.plan, e.state, e.attempts,
              e.next_attempt_at, e.lease_until, e.last_error, e.created_at, e.sent_at)
      .run();
  if (db_.changes() == 1) return db_.last_insert_rowid();
  return std::nullopt;
}

std::int64_t sqlite_transaction::enqueue(const outbox_entry& e) {
  if (auto id = enqueue_new(e)) return *id;
  // Already queued by an earlier attempt of the same cause (e.g. a redelivered webhook).
  auto st = db_.prepare("SELECT id FROM outbox WHERE idempotency_key = ?");
  st.bind_all(e.idempotency_key);
  if (!st.next()) throw store_error(errc::internal, "enqueue: conflicting row vanished");
  return st.int64(0);
}

std::vector<outbox_entry> sqlite_transaction::list_outbox(std::string_view state, int limit) {
  const std::int64_t rows = std::clamp(limit, 1, 1000);
  std::vector<outbox_entry> out;
  auto collect = [&](statement& st) {
    while (st.next()) out.push_back(read_outbox(st));
  };
  if (state.empty()) {
    auto st = db_.prepare("SELECT " + outbox_columns + " FROM outbox ORDER BY id LIMIT ?");
    st.bind_all(rows);
    collect(st);
  } else {
    auto st = db_.prepare("SELECT " + outbox_columns + " FROM outbox WHERE state = ? ORDER BY id LIMIT ?");
    st.bind_all(state, rows);
    collect(st);
  }
  return out;
}

// ---- outbox worker ----

std::vector<outbox_entry> sqlite_transaction::claim_outbox(std::int64_t now, std::int64_t lease_until, int limit) {
  require_writable("claim_outbox");
  std::vector<outbox_entry> out;
  if (limit < 1) return out;
  // The write transaction (BEGIN IMMEDIATE) already excludes every other claimer, so selecting
  // and updating in one statement is enough here; the MySQL port needs SELECT ... FOR UPDATE
  // SKIP LOCKED and then the UPDATE. A sending entry whose lease ran out belongs to a worker that
  // died or hung, so it is taken over and the attempt counts again.
  {
    auto st = db_.prepare(
        "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id IN ("
        "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= ?) "
        "OR (state = 'sending' AND lease_until < ?) ORDER BY id LIMIT ?) RETURNING " +
        outbox_columns);
    st.bind_all(lease_until, now, now, std::min(limit, max_claim));
    while (st.next()) out.push_back(read_outbox(st));
  }
  // RETURNING hands rows back in no promised order.
  std::sort(out.begin(), out.end(), [](const outbox_entry& a, const outbox_entry& b) { return a.id < b.id; });
  return out;
}

void sqlite_transaction::mark_outbox_sent(std::int64_t id, std::int64_t now) {
  require_writable("mark_outbox_sent");
  auto st = db_.prepare("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = '' WHERE id = ?");
  st.bind_all(now, id).run();
  if (db_.changes() == 0) throw store_error(errc::not_found, "mark_outbox_sent: no such entry");
}

void sqlite_transaction::mark_outbox_failed(std::int64_t id, std::string_view error, std::int64_t next_attempt_at,
                                            bool dead) {
  require_writable("mark_outbox_failed");
  if (dead) {
    // next_attempt_at stays as it was: a dead entry is never attempted again.
    auto st = db_.prepare("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?");
    st.bind_all(error, id).run();
  } else {
    auto st = db_.prepare("UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?");
    st.bind_all(error, next_attempt_at, id).run();
  }
  if (db_.changes() == 0) throw store_error(errc::not_found, "mark_outbox_failed: no such entry");
}

std::int64_t sqlite_transaction::count_outbox(std::string_view state) {
  auto st = state.empty() ? db_.prepare("SELECT COUNT(*) FROM outbox")
                          : db_.prepare("SELECT COUNT(*) FROM outbox WHERE state = ?");
  if (!state.empty()) st.bind_all(state);
  if (!st.next()) throw store_error(errc::internal, "count_outbox: no result");
  return st.int64(0);
}

std::optional<outbox_entry> sqlite_transaction::find_outbox(std::int64_t id) {
  static const std::string sql = "SELECT " + outbox_columns + " FROM outbox WHERE id = ?";
  auto st = db_.prepare(sql);
  st.bind_all(id);
  if (!st.next()) return std::nullopt;
  return read_outbox(st);
}

// ---- shared settings ----

std::optional<std::string> sqlite_transaction::get_setting(std::string_view key, std::int64_t now) {
  auto st = db_.prepare("SELECT value FROM settings WHERE setting_key = ? AND (expires_at = 0 OR expires_at > ?)");
  st.bind_all(key, now);
  if (!st.next()) return std::nullopt;
  return st.text(0);
}

std::vector<std::optional<std::string>> sqlite_transaction::get_settings(std::span<const std::string> keys, std::int64_t now) {
  return detail::read_settings(db_, keys, now);
}

void sqlite_transaction::put_setting(std::string_view key, std::string_view value, std::int64_t expires_at) {
  require_writable("put_setting");
  auto st = db_.prepare(
      "INSERT INTO settings (setting_key, value, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at");
  st.bind_all(key, value, expires_at).run();
}

// ---- one-time tokens ----

bool sqlite_transaction::use_token_once(std::string_view scope, std::string_view token, std::int64_t expires_at,
                                        std::int64_t now) {
  require_writable("use_token_once");
  // expires_at 0 means "never", as for settings: a replay guard must not silently open up.
  {
    // Bounded: SQLite has no DELETE ... LIMIT by default, hence the rowid subquery.
    auto purge = db_.prepare(
        "DELETE FROM used_tokens WHERE rowid IN (SELECT rowid FROM used_tokens "
        "WHERE expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?)");
    purge.bind_all(now, token_purge_batch).run();
  }
  // A stored pair that has expired (and escaped the bounded purge) is taken over in place.
  auto st = db_.prepare(
      "INSERT INTO used_tokens (scope, token, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (scope, token) DO UPDATE SET expires_at = excluded.expires_at "
      "WHERE used_tokens.expires_at > 0 AND used_tokens.expires_at <= ?");
  st.bind_all(scope, token, expires_at, now).run();
  return db_.changes() == 1;
}

// ---- timers ----

std::int64_t sqlite_transaction::schedule_timer(const timer_record& t) {
  require_writable("schedule_timer");
  auto st = db_.prepare(
      "INSERT INTO timers (kind, ticket, due_at, payload_json, state, lease_until, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind_all(t.kind, t.ticket, t.due_at, t.payload_json, t.state, t.lease_until, t.created_at).run();
  return db_.last_insert_rowid();
}

std::vector<timer_record> sqlite_transaction::claim_due_timers(std::int64_t now, std::int64_t lease_until,
                                                               int limit) {
  require_writable("claim_due_timers");
  std::vector<timer_record> out;
  if (limit < 1) return out;
  // As claim_outbox; the longest overdue timers fire first.
  {
    auto st = db_.prepare(
        "UPDATE timers SET state = 'claimed', lease_until = ? WHERE id IN ("
        "SELECT id FROM timers WHERE (state = 'pending' AND due_at <= ?) "
        "OR (state = 'claimed' AND lease_until < ?) ORDER BY due_at, id LIMIT ?) RETURNING " +
        timer_columns);
    st.bind_all(lease_until, now, now, std::min(limit, max_claim));
    while (st.next()) out.push_back(read_timer(st));
  }
  std::sort(out.begin(), out.end(), [](const timer_record& a, const timer_record& b) {
    return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
  });
  return out;
}

void sqlite_transaction::complete_timer(std::int64_t id) {
  require_writable("complete_timer");
  auto st = db_.prepare("UPDATE timers SET state = 'done' WHERE id = ?");
  st.bind_all(id).run();
  if (db_.changes() == 0) throw store_error(errc::not_found, "complete_timer: no such timer");
}

void sqlite_transaction::cancel_timers(std::string_view ticket, std::string_view kind) {
  require_writable("cancel_timers");
  // Only pending ones: a claimed timer is firing right now, and its worker completes it.
  if (kind.empty()) {
    auto st = db_.prepare("UPDATE timers SET state = 'cancelled' WHERE ticket = ? AND state = 'pending'");
    st.bind_all(ticket).run();
  } else {
    auto st =
        db_.prepare("UPDATE timers SET state = 'cancelled' WHERE ticket = ? AND kind = ? AND state = 'pending'");
    st.bind_all(ticket, kind).run();
  }
}

std::vector<timer_record> sqlite_transaction::ticket_timers(std::string_view ticket) {
  static const std::string sql = "SELECT " + timer_columns + " FROM timers WHERE ticket = ? ORDER BY due_at, id";
  auto st = db_.prepare(sql);
  st.bind_all(ticket);
  std::vector<timer_record> out;
  while (st.next()) out.push_back(read_timer(st));
  return out;
}

// ---- e-mail threading ----

void sqlite_transaction::remember_mail(const mail_thread_record& m) {
  require_writable("remember_mail");
  // The same Message-ID comes back when a gateway redelivers; the first mapping stands.
  auto st = db_.prepare(
      "INSERT INTO mail_threads (message_id, channel_id, ticket, at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (message_id) DO NOTHING");
  st.bind_all(m.message_id, m.channel_id, m.ticket, m.at).run();
}

std::optional<mail_thread_record> sqlite_transaction::find_mail(std::string_view message_id) {
  auto st = db_.prepare("SELECT message_id, channel_id, ticket, at FROM mail_threads WHERE message_id = ?");
  st.bind_all(message_id);
  if (!st.next()) return std::nullopt;
  mail_thread_record m;
  m.message_id = st.text(0);
  m.channel_id = st.text(1);
  m.ticket = st.text(2);
  m.at = st.int64(3);
  return m;
}

}  // namespace store::sqlite
