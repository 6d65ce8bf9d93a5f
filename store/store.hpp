#pragma once
// The store interface: everything servicebot keeps, behind one contract that the SQLite
// backend (store/sqlite/) and the MySQL backend (store/mysql/) both implement.
//
// Threading: a `connection` is used by one store thread at a time (bot/ owns those threads);
// every call blocks. Network threads never call into a connection directly.
// Times are Unix seconds (UTC); calendar formatting is the caller's business.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace store {

enum class errc {
  duplicate,    // a unique key already exists
  not_found,    // the row to change does not exist
  conflict,     // concurrent update lost a version check / deadlock; safe to retry
  unavailable,  // the database cannot be reached or is read-only / full
  corrupt,      // stored data does not parse or the schema is newer than this binary
  internal,     // anything else
};
const char* to_string(errc e);

// The only exception type the store throws.
class store_error : public std::runtime_error {
 public:
  store_error(errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

// A webhook delivery, kept for dedupe (unique on channel + provider_id) and to replay the
// same passive reply on a gateway retry.
struct inbound_record {
  std::string channel;
  std::string provider_id;
  std::string sender;           // channel identity
  std::int64_t received_at = 0;
  std::string reply;            // passive reply body sent for it (may be empty)
};

struct customer_record {
  std::int64_t id = 0;
  std::string channel;
  std::string channel_id;       // OpenID / E.164 / e-mail address
  std::string name;
  std::string phone;            // E.164
  std::string customer_no;
  std::string language;
  bool opted_out = false;       // SMS STOP
};

// A customer's live dialog on one channel; `state_json` is dialogs::conversation::to_json().
struct conversation_record {
  std::string channel;
  std::string channel_id;
  std::int64_t customer_id = 0;
  std::string state_json;
  std::int64_t version = 0;     // bumped by every save; save_conversation checks it
  std::int64_t updated_at = 0;
};

struct attachment_record {
  std::string kind;
  std::string ref;
};

struct ticket_record {
  std::string number;           // SR + yyyymmdd + sequence
  std::string type;
  std::string priority;
  std::string state;            // pending_assignment | ... (contract)
  std::string stage;            // accepted | in_progress | awaiting_confirmation | completed
  std::string channel;
  std::string language;
  std::int64_t customer_id = 0;
  std::string customer_name;
  std::string phone;            // E.164
  std::string channel_id;
  std::string customer_no;
  std::string model, serial, purchase_date;  // purchase_date: YYYY-MM-DD or empty
  std::optional<bool> in_warranty;
  std::string problem;
  std::vector<attachment_record> attachments;
  std::string service_method;
  std::string assignee;         // staff id or empty
  std::optional<std::int64_t> respond_by, resolve_by, onsite_by;
  bool breached = false;
  std::string satisfaction_score;    // empty until rated
  std::string satisfaction_comment;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // What some ticket kinds carry besides the contract's fields, as one JSON object (schema
  // version 4): complaint target and reason, service agreement, proactive origin. The
  // workflow owns its members; the store keeps it opaque.
  std::string attributes_json = "{}";
};

struct ticket_event {
  std::string ticket;
  std::int64_t at = 0;
  std::string actor;            // bot | customer | staff id
  std::string event;            // created | assigned | ...
  std::string detail_json = "{}";
};

// One message in or out, for ticket transcripts. ticket is empty while the intake runs and
// is filled for the intake's messages when the ticket is opened (attach_messages).
struct message_record {
  std::int64_t customer_id = 0;
  std::string channel;
  std::string ticket;
  std::int64_t at = 0;
  std::string direction;        // in | out
  std::string text;
};

// An outbound message waiting to be sent (the outbox).
struct outbox_entry {
  std::int64_t id = 0;
  std::string idempotency_key;  // unique
  std::string channel;          // wechat | sms | email
  std::string recipient;        // OpenID / E.164 / e-mail address
  std::string payload_json;     // channel-specific body, built by bot/
  std::string ticket;           // may be empty
  std::string plan;             // planner's choice (cs | template | sms | ...), may be empty
  std::string state = "pending";  // pending | sending | sent | dead | cancelled
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t lease_until = 0;
  std::string last_error;
  std::int64_t created_at = 0;
  std::int64_t sent_at = 0;
  // Not stored. Set on an entry handed to its sender straight from the unit that enqueued it,
  // when that unit found its SMS recipient not opted out: the sender need not ask again.
  bool recipient_checked = false;
};

struct ticket_filter {
  std::string state, assignee, type, priority, channel;
  std::string q;                      // substring of number, serial, phone, name or problem
  std::optional<std::int64_t> customer_id;  // only this customer's tickets
  std::optional<std::int64_t> from, to;  // created_at range, [from, to)
  std::optional<std::string> cursor;  // opaque, from a previous page
  int limit = 50;
};

struct ticket_page {
  std::vector<ticket_record> tickets;  // newest first
  std::optional<std::string> next_cursor;
};

// A durable timer (SLA deadlines, survey reminders, maintenance reminders, ...): a row, so it
// survives restarts and fires on exactly one instance (claimed with a lease).
struct timer_record {
  std::int64_t id = 0;
  std::string kind;             // e.g. sla_respond, survey_remind
  std::string ticket;           // may be empty
  std::int64_t due_at = 0;
  std::string payload_json = "{}";
  std::string state = "pending";  // pending | claimed | done | cancelled
  std::int64_t lease_until = 0;
  std::int64_t created_at = 0;
};

// An e-mail Message-ID we sent or received, for threading replies onto a conversation/ticket.
struct mail_thread_record {
  std::string message_id;       // without angle brackets
  std::string channel_id;       // the customer's e-mail address
  std::string ticket;           // may be empty
  std::int64_t at = 0;
};

// One unit of work's view of the database, valid only inside connection::write_batch or
// connection::read, on the thread that called it. Every method throws store_error.
class transaction {
 public:
  virtual ~transaction() = default;

  // Inbound log. Returns false (and changes nothing) when (channel, provider_id) exists.
  virtual bool record_inbound(const inbound_record& r) = 0;
  virtual std::optional<inbound_record> find_inbound(std::string_view channel, std::string_view provider_id) = 0;
  virtual void set_inbound_reply(std::string_view channel, std::string_view provider_id, std::string_view reply) = 0;

  // Customers, by channel identity. find_or_create returns the existing row or a new one.
  virtual customer_record find_or_create_customer(std::string_view channel, std::string_view channel_id,
                                                  std::int64_t now) = 0;
  virtual void update_customer(const customer_record& c) = 0;
  virtual std::optional<customer_record> find_customer(std::int64_t id) = 0;

  // Conversations. lock_conversation reads the row and, on a server database, locks it until
  // the transaction ends. save_conversation inserts when version == 0, else updates only if the
  // stored version equals c.version (throws store_error(conflict) otherwise); returns the new version.
  virtual std::optional<conversation_record> lock_conversation(std::string_view channel, std::string_view channel_id) = 0;
  virtual std::int64_t save_conversation(const conversation_record& c) = 0;

  // Transcript.
  virtual void append_message(const message_record& m) = 0;
  // Gives every message of the customer on `channel` at or after `since` that has no ticket yet
  // the ticket number `ticket`.
  virtual void attach_messages(std::int64_t customer_id, std::string_view channel, std::int64_t since,
                               std::string_view ticket) = 0;
  virtual std::vector<message_record> ticket_messages(std::string_view ticket) = 0;
  // Size of one transcript (for the transcript cap): with `ticket` non-empty, that ticket's
  // messages; with `ticket` empty, the customer's messages on `channel` at or after `since`
  // that have no ticket yet (the running intake).
  virtual std::int64_t count_messages(std::int64_t customer_id, std::string_view channel, std::string_view ticket,
                                      std::int64_t since) = 0;

  // Tickets. next_ticket_number returns "SR" + day + a per-day sequence of at least 3 digits,
  // unique even under concurrent callers.
  virtual std::string next_ticket_number(std::string_view yyyymmdd) = 0;
  virtual void insert_ticket(const ticket_record& t) = 0;
  virtual void update_ticket(const ticket_record& t) = 0;  // by number; store_error(not_found)
  virtual std::optional<ticket_record> find_ticket(std::string_view number) = 0;
  // list_tickets: every non-empty filter must match (AND); q is a case-insensitive (ASCII)
  // substring of number, serial, phone, customer_name or problem, with '%' and '_' taken
  // literally. Newest first by (created_at DESC, number DESC); limit is clamped to 1..200.
  // next_cursor is set only when more rows follow; pass it back unchanged (it is opaque; today
  // "<created_at>:<number>"). An empty cursor means the first page. A cursor that did not come
  // from list_tickets throws std::invalid_argument("cursor") (not store_error): the staff API
  // answers 400 to it.
  virtual ticket_page list_tickets(const ticket_filter& f) = 0;
  virtual void append_event(const ticket_event& e) = 0;
  virtual std::vector<ticket_event> ticket_events(std::string_view ticket) = 0;
  // Open tickets per assignee, for assignment by load: (staff id, count) for every non-empty
  // assignee with at least one ticket in assigned | in_progress | locked | reopened | suspended,
  // ordered by staff id.
  virtual std::vector<std::pair<std::string, int>> count_open_by_assignee() = 0;
  // Tickets per state, (state, count) for every state that has at least one, ordered by state
  // (the metrics gauge; one GROUP BY, so it stays cheap however many tickets there are).
  virtual std::vector<std::pair<std::string, std::int64_t>> count_tickets_by_state() = 0;

  // Outbox. enqueue returns the new id; a duplicate idempotency_key returns the existing id.
  virtual std::int64_t enqueue(const outbox_entry& e) = 0;
  // As enqueue, but tells a new entry from a duplicate: the new id, or nullopt when the
  // idempotency_key is already queued (that entry is left as it is). The webhook path uses it to
  // send what its own unit enqueued right after the commit, and never an older entry.
  virtual std::optional<std::int64_t> enqueue_new(const outbox_entry& e) = 0;
  // list_outbox: entries in `state` (empty: any state), oldest first (by id), at most `limit`
  // (clamped to 1..1000).
  virtual std::vector<outbox_entry> list_outbox(std::string_view state, int limit) = 0;

  // Outbox worker. claim_outbox takes up to `limit` entries that are due — state pending with
  // next_attempt_at <= now, or state sending whose lease_until < now (a worker died) — sets
  // them to sending with lease_until and attempts + 1, and returns them, oldest first. On a
  // server database concurrent claimers never get the same entry (SKIP LOCKED).
  virtual std::vector<outbox_entry> claim_outbox(std::int64_t now, std::int64_t lease_until, int limit) = 0;
  // Records a successful send (state sent, sent_at = now, last_error cleared).
  virtual void mark_outbox_sent(std::int64_t id, std::int64_t now) = 0;
  // Records a failed attempt: back to pending at next_attempt_at, or dead when `dead`.
  virtual void mark_outbox_failed(std::int64_t id, std::string_view error, std::int64_t next_attempt_at,
                                  bool dead) = 0;
  // Entries in `state` (empty: all).
  virtual std::int64_t count_outbox(std::string_view state) = 0;
  virtual std::optional<outbox_entry> find_outbox(std::int64_t id) = 0;

  // Shared settings with an expiry (e.g. the WeChat access token, so several instances share
  // one token). get_setting returns nullopt when absent or expired (expires_at <= now; 0 = never).
  virtual std::optional<std::string> get_setting(std::string_view key, std::int64_t now) = 0;
  // Several at once, in one statement (one round trip on a server database): the value of each
  // of `keys`, in their order, nullopt where absent or expired.
  virtual std::vector<std::optional<std::string>> get_settings(std::span<const std::string> keys,
                                                               std::int64_t now) = 0;
  virtual void put_setting(std::string_view key, std::string_view value, std::int64_t expires_at) = 0;

  // One-time tokens (e.g. Mailgun's webhook token, a replay guard). Returns false when the
  // (scope, token) pair was already used and has not expired; expired pairs may be purged.
  virtual bool use_token_once(std::string_view scope, std::string_view token, std::int64_t expires_at,
                              std::int64_t now) = 0;

  // Timers. schedule_timer returns the new id. claim_due_timers works like claim_outbox:
  // pending timers with due_at <= now, or claimed ones whose lease expired; they become claimed.
  virtual std::int64_t schedule_timer(const timer_record& t) = 0;
  virtual std::vector<timer_record> claim_due_timers(std::int64_t now, std::int64_t lease_until, int limit) = 0;
  virtual void complete_timer(std::int64_t id) = 0;
  // Cancels the pending timers of `ticket` of that kind (every kind when kind is empty).
  virtual void cancel_timers(std::string_view ticket, std::string_view kind) = 0;
  virtual std::vector<timer_record> ticket_timers(std::string_view ticket) = 0;

  // E-mail threading.
  virtual void remember_mail(const mail_thread_record& m) = 0;  // duplicate message_id: ignored
  virtual std::optional<mail_thread_record> find_mail(std::string_view message_id) = 0;

  // The customer with that channel identity, if any (find_or_create without the create).
  virtual std::optional<customer_record> find_customer_by_identity(std::string_view channel,
                                                                   std::string_view channel_id) = 0;
};

using unit_of_work = std::function<void(transaction&)>;

// One database connection. Not thread-safe: one store thread uses it at a time.
class connection {
 public:
  virtual ~connection() = default;

  // Creates or upgrades the schema to the newest version this binary knows. Safe to call
  // from several processes at once. Throws store_error(corrupt) when the schema is newer.
  virtual void migrate() = 0;
  virtual int schema_version() = 0;

  // Group commit: runs every unit in ONE database transaction, each inside its own savepoint.
  // A unit that throws is rolled back alone; its exception is returned at its index (nullptr
  // for a unit that succeeded). If beginning or committing the transaction fails, nothing is
  // committed and store_error is thrown (every unit then counts as failed).
  virtual std::vector<std::exception_ptr> write_batch(std::span<const unit_of_work> units) = 0;

  // Runs `fn` in a read-only snapshot. Throws store_error, or whatever fn throws.
  virtual void read(const unit_of_work& fn) = 0;

  // True when the database answers a trivial query.
  virtual bool ping() = 0;
};

// A database: opens connections. Thread-safe.
class backend {
 public:
  virtual ~backend() = default;
  virtual std::string name() const = 0;  // "sqlite" | "mysql"
  // Opens a connection. `writer` is a hint (SQLite: the single writing connection).
  // Throws store_error(unavailable) when the database cannot be opened.
  virtual std::unique_ptr<connection> open(bool writer) = 0;
};

}  // namespace store
