#include "store/mysql/transaction.hpp"
#include "store/settings_query.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <variant>

namespace store::mysql {

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

// The most entries one claim takes (as in SQLite): a bounded claim keeps the locks short.
constexpr int max_claim = 1000;

// How many expired one-time tokens one use_token_once call deletes at most (as in SQLite).
constexpr int token_purge_batch = 100;

// Runs an INSERT; false (and nothing changed) when it hit a unique key. A plain INSERT whose
// duplicate error is caught, rather than INSERT IGNORE (which also turns other errors, e.g. a
// value too long, into warnings) or ON DUPLICATE KEY UPDATE (whose affected-row count cannot
// tell "inserted" from "already there" under CLIENT_FOUND_ROWS). InnoDB undoes only the failed
// statement, so the transaction goes on.
bool insert_unless_duplicate(statement& st) {
  try {
    st.run();
    return true;
  } catch (const store_error& e) {
    if (e.code() == errc::duplicate) return false;
    throw;
  }
}

// "(?, ?, ...)" for `count` ids, rounded up to a power of two so that claims of any size share a
// handful of prepared statements; bind_ids pads with the last id.
std::string id_list(std::size_t count) {
  std::size_t slots = 1;
  while (slots < count) slots *= 2;
  std::string list = "(?";
  for (std::size_t i = 1; i < slots; ++i) list += ", ?";
  list += ')';
  return list;
}

void bind_ids(statement& st, int first_index, const std::vector<std::int64_t>& ids) {
  std::size_t slots = 1;
  while (slots < ids.size()) slots *= 2;
  for (std::size_t i = 0; i < slots; ++i) st.bind(first_index + static_cast<int>(i), ids[std::min(i, ids.size() - 1)]);
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

// Cursor: "<created_at>:<number>" of the last row of the previous page, as in SQLite.
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

void mysql_transaction::require_writable(const char* operation) const {
  if (!writable_) throw store_error(errc::internal, std::string(operation) + " inside a read-only transaction");
}

// ---- inbound log ----

bool mysql_transaction::record_inbound(const inbound_record& r) {
  require_writable("record_inbound");
  // Two instances receiving the same retry at once: the second INSERT waits for the first one's
  // row lock and, once that commits, fails as a duplicate; the caller then replays the reply.
  auto st =
      db_.prepare("INSERT INTO inbound_log (channel, provider_id, sender, received_at, reply) VALUES (?, ?, ?, ?, ?)");
  st.bind_all(r.channel, r.provider_id, r.sender, r.received_at, r.reply);
  return insert_unless_duplicate(st);
}

std::optional<inbound_record> mysql_transaction::find_inbound(std::string_view channel, std::string_view provider_id) {
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

void mysql_transaction::set_inbound_reply(std::string_view channel, std::string_view provider_id,
                                          std::string_view reply) {
  require_writable("set_inbound_reply");
  auto st = db_.prepare("UPDATE inbound_log SET reply = ? WHERE channel = ? AND provider_id = ?");
  if (st.bind_all(reply, channel, provider_id).run() == 0)
    throw store_error(errc::not_found, "set_inbound_reply: no such delivery");
}

// ---- customers ----

customer_record mysql_transaction::find_or_create_customer(std::string_view channel, std::string_view channel_id,
                                                           std::int64_t now) {
  require_writable("find_or_create_customer");
  // Nearly every message comes from a known customer: one round trip, and the insert (which
  // also locks the key) only for a new one.
  if (auto known = find_customer_by_identity(channel, channel_id)) return std::move(*known);
  {
    auto insert = db_.prepare("INSERT INTO customers (channel, channel_id, created_at) VALUES (?, ?, ?)");
    insert.bind_all(channel, channel_id, now);
    insert_unless_duplicate(insert);
  }
  // READ COMMITTED: this sees the row whether we inserted it or another instance committed it.
  auto found = find_customer_by_identity(channel, channel_id);
  if (!found) throw store_error(errc::internal, "find_or_create_customer: row vanished after insert");
  return std::move(*found);
}

void mysql_transaction::update_customer(const customer_record& c) {
  require_writable("update_customer");
  auto st = db_.prepare(
      "UPDATE customers SET name = ?, phone = ?, customer_no = ?, language = ?, opted_out = ? WHERE id = ?");
  if (st.bind_all(c.name, c.phone, c.customer_no, c.language, c.opted_out, c.id).run() == 0)
    throw store_error(errc::not_found, "update_customer: no such customer");
}

std::optional<customer_record> mysql_transaction::find_customer(std::int64_t id) {
  auto st = db_.prepare("SELECT " + customer_columns + " FROM customers WHERE id = ?");
  st.bind_all(id);
  if (!st.next()) return std::nullopt;
  return read_customer(st);
}

std::optional<customer_record> mysql_transaction::find_customer_by_identity(std::string_view channel,
                                                                            std::string_view channel_id) {
  auto st = db_.prepare("SELECT " + customer_columns + " FROM customers WHERE channel = ? AND channel_id = ?");
  st.bind_all(channel, channel_id);
  if (!st.next()) return std::nullopt;
  return read_customer(st);
}

// ---- conversations ----

std::optional<conversation_record> mysql_transaction::lock_conversation(std::string_view channel,
                                                                        std::string_view channel_id) {
  // In a write batch the row stays locked until the batch commits, so the same customer's next
  // message on another instance waits here instead of working from a state about to change.
  // A read() takes no locks (its snapshot is consistent already).
  const std::string query =
      "SELECT channel, channel_id, customer_id, state_json, version, updated_at FROM conversations "
      "WHERE channel = ? AND channel_id = ?";
  auto st = db_.prepare(writable_ ? query + " FOR UPDATE" : query);
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

std::int64_t mysql_transaction::save_conversation(const conversation_record& c) {
  require_writable("save_conversation");
  if (c.version == 0) {
    auto st = db_.prepare(
        "INSERT INTO conversations (channel, channel_id, customer_id, state_json, version, updated_at) "
        "VALUES (?, ?, ?, ?, 1, ?)");
    st.bind_all(c.channel, c.channel_id, c.customer_id, c.state_json, c.updated_at);
    // The caller saw no row, yet one exists now: someone else created it first (no gap lock in
    // READ COMMITTED kept them out). A lost race to retry after re-reading, not a duplicate.
    if (!insert_unless_duplicate(st)) throw store_error(errc::conflict, "save_conversation: created concurrently");
    return 1;
  }
  auto st = db_.prepare(
      "UPDATE conversations SET customer_id = ?, state_json = ?, updated_at = ?, version = version + 1 "
      "WHERE channel = ? AND channel_id = ? AND version = ?");
  if (st.bind_all(c.customer_id, c.state_json, c.updated_at, c.channel, c.channel_id, c.version).run() == 0)
    throw store_error(errc::conflict, "save_conversation: stale version");
  return c.version + 1;
}

// ---- transcript ----

void mysql_transaction::append_message(const message_record& m) {
  require_writable("append_message");
  auto st =
      db_.prepare("INSERT INTO messages (customer_id, channel, ticket, at, direction, text) VALUES (?, ?, ?, ?, ?, ?)");
  st.bind_all(m.customer_id, m.channel, m.ticket, m.at, m.direction, m.text).run();
}

void mysql_transaction::attach_messages(std::int64_t customer_id, std::string_view channel, std::int64_t since,
                                        std::string_view ticket) {
  require_writable("attach_messages");
  auto st =
      db_.prepare("UPDATE messages SET ticket = ? WHERE customer_id = ? AND channel = ? AND at >= ? AND ticket = ''");
  st.bind_all(ticket, customer_id, channel, since).run();
}

std::int64_t mysql_transaction::count_messages(std::int64_t customer_id, std::string_view channel, std::string_view ticket,
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

std::vector<message_record> mysql_transaction::ticket_messages(std::string_view ticket) {
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

std::string mysql_transaction::next_ticket_number(std::string_view yyyymmdd) {
  require_writable("next_ticket_number");
  if (!is_day(yyyymmdd)) throw store_error(errc::internal, "next_ticket_number: day is not yyyymmdd");
  // One atomic upsert: the day's row stays locked by this transaction until it ends, so instances
  // drawing numbers queue on it, and LAST_INSERT_ID(expr) hands this session the value it wrote
  // without a second read. A rolled-back unit leaves a gap, never a duplicate.
  {
    auto bump = db_.prepare(
        "INSERT INTO ticket_sequence (day, last) VALUES (?, LAST_INSERT_ID(1)) "
        "ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1)");
    bump.bind_all(yyyymmdd).run();
  }
  const std::int64_t sequence_number = db_.last_insert_id();
  char sequence[24];
  std::snprintf(sequence, sizeof sequence, "%03lld", static_cast<long long>(sequence_number));
  std::string number = "SR";
  number += yyyymmdd;
  number += sequence;
  return number;
}

void mysql_transaction::insert_attachments(const ticket_record& t) {
  int seq = 0;
  for (const auto& a : t.attachments) {
    auto st = db_.prepare("INSERT INTO ticket_attachments (ticket, seq, kind, media_ref) VALUES (?, ?, ?, ?)");
    st.bind_all(t.number, seq++, a.kind, a.ref).run();
  }
}

void mysql_transaction::load_attachments(ticket_record& t) {
  auto st = db_.prepare("SELECT kind, media_ref FROM ticket_attachments WHERE ticket = ? ORDER BY seq");
  st.bind_all(t.number);
  t.attachments.clear();
  while (st.next()) t.attachments.push_back({st.text(0), st.text(1)});
}

void mysql_transaction::insert_ticket(const ticket_record& t) {
  require_writable("insert_ticket");
  {
    auto st = db_.prepare("INSERT INTO tickets (" + ticket_columns +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind_all(t.number, t.type, t.priority, t.state, t.stage, t.channel, t.language, t.customer_id, t.customer_name,
                t.phone, t.channel_id, t.customer_no, t.model, t.serial, t.purchase_date, t.in_warranty, t.problem,
                t.service_method, t.assignee, t.respond_by, t.resolve_by, t.onsite_by, t.breached, t.satisfaction_score,
                t.satisfaction_comment, t.created_at, t.updated_at, t.attributes_json)
        .run();
  }
  insert_attachments(t);
}

void mysql_transaction::update_ticket(const ticket_record& t) {
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
                t.satisfaction_comment, t.updated_at, t.attributes_json, t.number);
    // CLIENT_FOUND_ROWS: an update that changes nothing still counts the row it found.
    if (st.run() == 0) throw store_error(errc::not_found, "update_ticket: no such ticket");
  }
  {
    auto st = db_.prepare("DELETE FROM ticket_attachments WHERE ticket = ?");
    st.bind_all(t.number).run();
  }
  insert_attachments(t);
}

std::optional<ticket_record> mysql_transaction::find_ticket(std::string_view number) {
  std::optional<ticket_record> t;
  {
    auto st = db_.prepare("SELECT " + ticket_columns + " FROM tickets WHERE number = ?");
    st.bind_all(number);
    if (!st.next()) return std::nullopt;
    t = read_ticket(st);
  }
  load_attachments(*t);
  return t;
}

ticket_page mysql_transaction::list_tickets(const ticket_filter& f) {
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
    // The columns compare byte for byte (utf8mb4_bin), so both sides are lowered; LOWER folds
    // non-ASCII letters too, a superset of SQLite's ASCII-only case folding.
    const std::string pattern = like_pattern(f.q);
    sql +=
        " AND (LOWER(number) LIKE LOWER(?) ESCAPE '!' OR LOWER(serial) LIKE LOWER(?) ESCAPE '!'"
        " OR LOWER(phone) LIKE LOWER(?) ESCAPE '!' OR LOWER(customer_name) LIKE LOWER(?) ESCAPE '!'"
        " OR LOWER(problem) LIKE LOWER(?) ESCAPE '!')";
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

void mysql_transaction::append_event(const ticket_event& e) {
  require_writable("append_event");
  auto st = db_.prepare("INSERT INTO ticket_events (ticket, at, actor, event, detail_json) VALUES (?, ?, ?, ?, ?)");
  st.bind_all(e.ticket, e.at, e.actor, e.event, e.detail_json).run();
}

std::vector<ticket_event> mysql_transaction::ticket_events(std::string_view ticket) {
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

std::vector<std::pair<std::string, int>> mysql_transaction::count_open_by_assignee() {
  auto st = db_.prepare(
      "SELECT assignee, COUNT(*) FROM tickets WHERE assignee <> '' AND state IN "
      "('assigned', 'in_progress', 'locked', 'reopened', 'suspended') GROUP BY assignee ORDER BY assignee");
  std::vector<std::pair<std::string, int>> out;
  while (st.next()) out.emplace_back(st.text(0), static_cast<int>(st.int64(1)));
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> mysql_transaction::count_tickets_by_state() {
  auto st = db_.prepare("SELECT state, COUNT(*) FROM tickets GROUP BY state ORDER BY state");
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (st.next()) out.emplace_back(st.text(0), st.int64(1));
  return out;
}

// ---- outbox ----

std::optional<std::int64_t> mysql_transaction::enqueue_new(const outbox_entry& e) {
  require_writable("enqueue");
  auto st = db_.prepare(
      "INSERT INTO outbox (idempotency_key, channel, recipient, payload_json, ticket, plan, state, attempts, "
      "next_attempt_at, lease_until, last_error, created_at, sent_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind_all(e.idempotency_key, e.channel, e.recipient, e.payload_json, e.ticket, e.plan, e.state, e.attempts,
              e.next_attempt_at, e.lease_until, e.last_error, e.created_at, e.sent_at);
  if (insert_unless_duplicate(st)) return db_.last_insert_id();
  return std::nullopt;
}

std::int64_t mysql_transaction::enqueue(const outbox_entry& e) {
  if (auto id = enqueue_new(e)) return *id;
  // Already queued by an earlier attempt of the same cause (e.g. a redelivered webhook).
  auto st = db_.prepare("SELECT id FROM outbox WHERE idempotency_key = ?");
  st.bind_all(e.idempotency_key);
  if (!st.next()) throw store_error(errc::internal, "enqueue: conflicting row vanished");
  return st.int64(0);
}

std::vector<outbox_entry> mysql_transaction::list_outbox(std::string_view state, int limit) {
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

std::vector<outbox_entry> mysql_transaction::claim_outbox(std::int64_t now, std::int64_t lease_until, int limit) {
  require_writable("claim_outbox");
  std::vector<outbox_entry> out;
  if (limit < 1) return out;
  const int rows = std::min(limit, max_claim);
  // SKIP LOCKED: entries another worker is claiming right now (locked by its open transaction)
  // are passed over instead of waited for, so concurrent claimers split the due entries between
  // them and never get the same one. Each branch walks outbox_claim (state, id) in id order, so
  // LIMIT ends the scan and only the rows returned are locked: a scan that sorted afterwards would
  // lock every due row and leave the other claimers nothing. A sending entry whose lease ran out
  // belongs to a worker that died or hung, so it is taken over and the attempt counts again.
  for (const char* branch : {"state = 'pending' AND next_attempt_at <= ?", "state = 'sending' AND lease_until < ?"}) {
    auto st = db_.prepare("SELECT " + outbox_columns + " FROM outbox FORCE INDEX (outbox_claim) WHERE " + branch +
                          " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED");
    st.bind_all(now, rows);
    while (st.next()) out.push_back(read_outbox(st));
  }
  if (out.empty()) return out;
  // Oldest first across both branches; rows beyond the limit stay locked (unclaimed) until this
  // transaction ends, which only delays them for other claimers.
  std::sort(out.begin(), out.end(), [](const outbox_entry& a, const outbox_entry& b) { return a.id < b.id; });
  if (out.size() > static_cast<std::size_t>(rows)) out.resize(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> ids;
  for (const auto& e : out) ids.push_back(e.id);
  auto st = db_.prepare("UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id IN " +
                        id_list(ids.size()));
  st.bind(1, lease_until);
  bind_ids(st, 2, ids);
  st.run();
  // The rows are locked by this transaction, so the update did exactly this to each of them.
  for (auto& e : out) {
    e.state = "sending";
    e.lease_until = lease_until;
    ++e.attempts;
  }
  return out;
}

void mysql_transaction::mark_outbox_sent(std::int64_t id, std::int64_t now) {
  require_writable("mark_outbox_sent");
  auto st = db_.prepare("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = '' WHERE id = ?");
  if (st.bind_all(now, id).run() == 0) throw store_error(errc::not_found, "mark_outbox_sent: no such entry");
}

void mysql_transaction::mark_outbox_failed(std::int64_t id, std::string_view error, std::int64_t next_attempt_at,
                                           bool dead) {
  require_writable("mark_outbox_failed");
  std::int64_t matched = 0;
  if (dead) {
    // next_attempt_at stays as it was: a dead entry is never attempted again.
    auto st = db_.prepare("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?");
    matched = st.bind_all(error, id).run();
  } else {
    auto st = db_.prepare("UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?");
    matched = st.bind_all(error, next_attempt_at, id).run();
  }
  if (matched == 0) throw store_error(errc::not_found, "mark_outbox_failed: no such entry");
}

std::int64_t mysql_transaction::count_outbox(std::string_view state) {
  auto st = state.empty() ? db_.prepare("SELECT COUNT(*) FROM outbox")
                          : db_.prepare("SELECT COUNT(*) FROM outbox WHERE state = ?");
  if (!state.empty()) st.bind_all(state);
  if (!st.next()) throw store_error(errc::internal, "count_outbox: no result");
  return st.int64(0);
}

std::optional<outbox_entry> mysql_transaction::find_outbox(std::int64_t id) {
  auto st = db_.prepare("SELECT " + outbox_columns + " FROM outbox WHERE id = ?");
  st.bind_all(id);
  if (!st.next()) return std::nullopt;
  return read_outbox(st);
}

// ---- shared settings ----

std::optional<std::string> mysql_transaction::get_setting(std::string_view key, std::int64_t now) {
  auto st = db_.prepare("SELECT value FROM settings WHERE setting_key = ? AND (expires_at = 0 OR expires_at > ?)");
  st.bind_all(key, now);
  if (!st.next()) return std::nullopt;
  return st.text(0);
}

std::vector<std::optional<std::string>> mysql_transaction::get_settings(std::span<const std::string> keys, std::int64_t now) {
  return detail::read_settings(db_, keys, now);
}

void mysql_transaction::put_setting(std::string_view key, std::string_view value, std::int64_t expires_at) {
  require_writable("put_setting");
  // The new values are bound twice rather than read back with VALUES(), which MySQL 8.0.20+
  // deprecates and whose replacement (INSERT ... AS new) MariaDB does not know.
  auto st = db_.prepare(
      "INSERT INTO settings (setting_key, value, expires_at) VALUES (?, ?, ?) "
      "ON DUPLICATE KEY UPDATE value = ?, expires_at = ?");
  st.bind_all(key, value, expires_at, value, expires_at).run();
}

// ---- one-time tokens ----

bool mysql_transaction::use_token_once(std::string_view scope, std::string_view token, std::int64_t expires_at,
                                       std::int64_t now) {
  require_writable("use_token_once");
  // expires_at 0 means "never", as for settings: a replay guard must not silently open up.
  {
    auto purge =
        db_.prepare("DELETE FROM used_tokens WHERE expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?");
    purge.bind_all(now, token_purge_batch).run();
  }
  {
    // A stored pair that has expired (and escaped the bounded purge) is taken over in place.
    auto renew = db_.prepare(
        "UPDATE used_tokens SET expires_at = ? WHERE scope = ? AND token = ? AND expires_at > 0 AND expires_at <= ?");
    if (renew.bind_all(expires_at, scope, token, now).run() == 1) return true;
  }
  // A live pair, here or inserted by another instance's open transaction (this INSERT then waits
  // for it and fails once it commits), is a replay.
  auto st = db_.prepare("INSERT INTO used_tokens (scope, token, expires_at) VALUES (?, ?, ?)");
  st.bind_all(scope, token, expires_at);
  return insert_unless_duplicate(st);
}

// ---- timers ----

std::int64_t mysql_transaction::schedule_timer(const timer_record& t) {
  require_writable("schedule_timer");
  auto st = db_.prepare(
      "INSERT INTO timers (kind, ticket, due_at, payload_json, state, lease_until, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind_all(t.kind, t.ticket, t.due_at, t.payload_json, t.state, t.lease_until, t.created_at).run();
  return db_.last_insert_id();
}

std::vector<timer_record> mysql_transaction::claim_due_timers(std::int64_t now, std::int64_t lease_until, int limit) {
  require_writable("claim_due_timers");
  std::vector<timer_record> out;
  if (limit < 1) return out;
  const int rows = std::min(limit, max_claim);
  // As claim_outbox; the longest overdue timers fire first, which is the order of timers_due
  // (state, due_at, id) within one state.
  for (const char* branch : {"state = 'pending' AND due_at <= ?", "state = 'claimed' AND lease_until < ?"}) {
    auto st = db_.prepare("SELECT " + timer_columns + " FROM timers FORCE INDEX (timers_due) WHERE " + branch +
                          " ORDER BY due_at, id LIMIT ? FOR UPDATE SKIP LOCKED");
    st.bind_all(now, rows);
    while (st.next()) out.push_back(read_timer(st));
  }
  if (out.empty()) return out;
  std::sort(out.begin(), out.end(), [](const timer_record& a, const timer_record& b) {
    return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
  });
  if (out.size() > static_cast<std::size_t>(rows)) out.resize(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> ids;
  for (const auto& t : out) ids.push_back(t.id);
  auto st = db_.prepare("UPDATE timers SET state = 'claimed', lease_until = ? WHERE id IN " + id_list(ids.size()));
  st.bind(1, lease_until);
  bind_ids(st, 2, ids);
  st.run();
  for (auto& t : out) {
    t.state = "claimed";
    t.lease_until = lease_until;
  }
  return out;
}

void mysql_transaction::complete_timer(std::int64_t id) {
  require_writable("complete_timer");
  auto st = db_.prepare("UPDATE timers SET state = 'done' WHERE id = ?");
  if (st.bind_all(id).run() == 0) throw store_error(errc::not_found, "complete_timer: no such timer");
}

void mysql_transaction::cancel_timers(std::string_view ticket, std::string_view kind) {
  require_writable("cancel_timers");
  // Only pending ones: a claimed timer is firing right now, and its worker completes it.
  if (kind.empty()) {
    auto st = db_.prepare("UPDATE timers SET state = 'cancelled' WHERE ticket = ? AND state = 'pending'");
    st.bind_all(ticket).run();
  } else {
    auto st = db_.prepare("UPDATE timers SET state = 'cancelled' WHERE ticket = ? AND kind = ? AND state = 'pending'");
    st.bind_all(ticket, kind).run();
  }
}

std::vector<timer_record> mysql_transaction::ticket_timers(std::string_view ticket) {
  auto st = db_.prepare("SELECT " + timer_columns + " FROM timers WHERE ticket = ? ORDER BY due_at, id");
  st.bind_all(ticket);
  std::vector<timer_record> out;
  while (st.next()) out.push_back(read_timer(st));
  return out;
}

// ---- e-mail threading ----

void mysql_transaction::remember_mail(const mail_thread_record& m) {
  require_writable("remember_mail");
  // The same Message-ID comes back when a gateway redelivers; the first mapping stands.
  auto st = db_.prepare("INSERT INTO mail_threads (message_id, channel_id, ticket, at) VALUES (?, ?, ?, ?)");
  st.bind_all(m.message_id, m.channel_id, m.ticket, m.at);
  insert_unless_duplicate(st);
}

std::optional<mail_thread_record> mysql_transaction::find_mail(std::string_view message_id) {
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

}  // namespace store::mysql
