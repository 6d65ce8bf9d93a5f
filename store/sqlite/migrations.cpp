// The SQLite schema, one migration step per released change. Never edit a released step: add a
// new one. The MySQL backend keeps the same tables and columns, so the types are spelled the way
// both understand (VARCHAR / TEXT / BIGINT / SMALLINT) and nothing relies on SQLite's dynamic
// typing. Ids are `INTEGER PRIMARY KEY` (SQLite's rowid alias; BIGINT AUTO_INCREMENT in MySQL).
// Empty strings, not NULLs, stand for "not set" in text columns, as in the record structs; NULL is
// kept for the optional numbers (in_warranty, SLA deadlines), where 0 would be a real value.

#include "store/sqlite/migrations.hpp"

namespace store::sqlite {

namespace {

// Version 1: everything the bot keeps.
constexpr const char* initial_schema = R"sql(
CREATE TABLE customers (
  id          INTEGER PRIMARY KEY,
  channel     VARCHAR(16)  NOT NULL,
  channel_id  VARCHAR(255) NOT NULL,
  name        VARCHAR(255) NOT NULL DEFAULT '',
  phone       VARCHAR(32)  NOT NULL DEFAULT '',
  customer_no VARCHAR(64)  NOT NULL DEFAULT '',
  language    VARCHAR(16)  NOT NULL DEFAULT '',
  opted_out   SMALLINT     NOT NULL DEFAULT 0,
  created_at  BIGINT       NOT NULL,
  CONSTRAINT customers_identity UNIQUE (channel, channel_id)
);

CREATE TABLE conversations (
  channel     VARCHAR(16)  NOT NULL,
  channel_id  VARCHAR(255) NOT NULL,
  customer_id BIGINT       NOT NULL,
  state_json  TEXT         NOT NULL,
  version     BIGINT       NOT NULL,
  updated_at  BIGINT       NOT NULL,
  PRIMARY KEY (channel, channel_id)
);

CREATE TABLE tickets (
  number               VARCHAR(32)  NOT NULL PRIMARY KEY,
  type                 VARCHAR(32)  NOT NULL,
  priority             VARCHAR(16)  NOT NULL,
  state                VARCHAR(32)  NOT NULL,
  stage                VARCHAR(32)  NOT NULL,
  channel              VARCHAR(16)  NOT NULL,
  language             VARCHAR(16)  NOT NULL,
  customer_id          BIGINT       NOT NULL,
  customer_name        VARCHAR(255) NOT NULL,
  phone                VARCHAR(32)  NOT NULL,
  channel_id           VARCHAR(255) NOT NULL,
  customer_no          VARCHAR(64)  NOT NULL,
  model                VARCHAR(64)  NOT NULL,
  serial               VARCHAR(64)  NOT NULL,
  purchase_date        VARCHAR(10)  NOT NULL,
  in_warranty          SMALLINT     NULL,
  problem              TEXT         NOT NULL,
  service_method       VARCHAR(16)  NOT NULL,
  assignee             VARCHAR(64)  NOT NULL,
  respond_by           BIGINT       NULL,
  resolve_by           BIGINT       NULL,
  onsite_by            BIGINT       NULL,
  breached             SMALLINT     NOT NULL,
  satisfaction_score   VARCHAR(16)  NOT NULL,
  satisfaction_comment TEXT         NOT NULL,
  created_at           BIGINT       NOT NULL,
  updated_at           BIGINT       NOT NULL
);
-- The staff list pages newest first, optionally narrowed by state or assignee; the archive is
-- searched by serial (repeat faults on one unit).
CREATE INDEX tickets_by_created  ON tickets (created_at DESC, number DESC);
CREATE INDEX tickets_by_state    ON tickets (state, created_at DESC, number DESC);
CREATE INDEX tickets_by_assignee ON tickets (assignee, created_at DESC, number DESC);
CREATE INDEX tickets_by_serial   ON tickets (serial);

-- A child table rather than a JSON column: both backends read it the same way without a JSON
-- codec in the store. seq keeps the customer's order.
CREATE TABLE ticket_attachments (
  ticket    VARCHAR(32) NOT NULL REFERENCES tickets (number) ON DELETE CASCADE,
  seq       INTEGER     NOT NULL,
  kind      VARCHAR(16) NOT NULL,
  media_ref TEXT        NOT NULL,
  PRIMARY KEY (ticket, seq)
);

-- The audit trail; id breaks ties between events of the same second in insertion order.
CREATE TABLE ticket_events (
  id          INTEGER PRIMARY KEY,
  ticket      VARCHAR(32) NOT NULL REFERENCES tickets (number) ON DELETE CASCADE,
  at          BIGINT      NOT NULL,
  actor       VARCHAR(64) NOT NULL,
  event       VARCHAR(32) NOT NULL,
  detail_json TEXT        NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket, at, id);

-- The transcript. ticket stays '' during intake (no foreign key: the intake's messages exist
-- before their ticket does) and is filled by attach_messages.
CREATE TABLE messages (
  id          INTEGER PRIMARY KEY,
  customer_id BIGINT      NOT NULL,
  channel     VARCHAR(16) NOT NULL,
  ticket      VARCHAR(32) NOT NULL DEFAULT '',
  at          BIGINT      NOT NULL,
  direction   VARCHAR(3)  NOT NULL,
  text        TEXT        NOT NULL
);
CREATE INDEX messages_by_ticket   ON messages (ticket, at, id);
CREATE INDEX messages_by_customer ON messages (customer_id, channel, at);

-- Webhook deliveries: the key dedupes gateway retries, reply replays the passive answer.
CREATE TABLE inbound_log (
  channel     VARCHAR(16)  NOT NULL,
  provider_id VARCHAR(255) NOT NULL,
  sender      VARCHAR(255) NOT NULL,
  received_at BIGINT       NOT NULL,
  reply       TEXT         NOT NULL,
  PRIMARY KEY (channel, provider_id)
);
-- For pruning old deliveries by age.
CREATE INDEX inbound_log_by_time ON inbound_log (received_at);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  idempotency_key VARCHAR(191) NOT NULL,
  channel         VARCHAR(16)  NOT NULL,
  recipient       VARCHAR(255) NOT NULL,
  payload_json    TEXT         NOT NULL,
  ticket          VARCHAR(32)  NOT NULL,
  plan            VARCHAR(32)  NOT NULL,
  state           VARCHAR(16)  NOT NULL,
  attempts        INTEGER      NOT NULL,
  next_attempt_at BIGINT       NOT NULL,
  lease_until     BIGINT       NOT NULL,
  last_error      TEXT         NOT NULL,
  created_at      BIGINT       NOT NULL,
  sent_at         BIGINT       NOT NULL,
  CONSTRAINT outbox_idempotency UNIQUE (idempotency_key)
);
-- The worker's "what is due" scan.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- One row per day, bumped by an upsert inside the caller's write transaction, so every
-- instance sharing the database draws from the same counter.
CREATE TABLE ticket_sequence (
  day  CHAR(8) NOT NULL PRIMARY KEY,
  last INTEGER NOT NULL
);
)sql";

// Version 2: what the outbox worker, the timer worker and the channels share between instances.
// For the MySQL port, table by table (types as in version 1; INTEGER PRIMARY KEY becomes
// BIGINT AUTO_INCREMENT PRIMARY KEY, ON CONFLICT becomes ON DUPLICATE KEY / INSERT IGNORE):
//   timers       durable timers (SLA deadlines, survey and maintenance reminders). state goes
//                pending -> claimed -> done, or pending -> cancelled; a claimed row whose
//                lease_until has passed is claimable again (its worker died). ticket is '' for a
//                timer that belongs to no ticket. timers_due serves the claim scan (state, due_at),
//                timers_by_ticket cancel_timers / ticket_timers.
//   settings     shared values with an expiry (the WeChat access token, so every instance uses
//                one). expires_at 0 = never. The column is setting_key, not key: KEY is reserved
//                in MySQL.
//   used_tokens  one-time tokens (Mailgun's webhook token) per scope; primary key (scope, token).
//                expires_at 0 = never; used_tokens_by_expiry lets use_token_once purge expired
//                rows a bounded number at a time (MySQL: DELETE ... ORDER BY expires_at LIMIT n).
//   mail_threads e-mail Message-IDs (without angle brackets) we sent or received, mapped to the
//                customer's address and the ticket (may be ''), so a reply threads onto them.
// The outbox needs no new column: version 1 already has state, attempts, next_attempt_at,
// lease_until, last_error and sent_at, and outbox_due (state, next_attempt_at) serves the claim.
constexpr const char* shared_state_schema = R"sql(
CREATE TABLE timers (
  id           INTEGER PRIMARY KEY,
  kind         VARCHAR(32) NOT NULL,
  ticket       VARCHAR(32) NOT NULL DEFAULT '',
  due_at       BIGINT      NOT NULL,
  payload_json TEXT        NOT NULL,
  state        VARCHAR(16) NOT NULL,
  lease_until  BIGINT      NOT NULL,
  created_at   BIGINT      NOT NULL
);
CREATE INDEX timers_due       ON timers (state, due_at);
CREATE INDEX timers_by_ticket ON timers (ticket);

CREATE TABLE settings (
  setting_key VARCHAR(191) NOT NULL PRIMARY KEY,
  value       TEXT         NOT NULL,
  expires_at  BIGINT       NOT NULL
);

CREATE TABLE used_tokens (
  scope      VARCHAR(32)  NOT NULL,
  token      VARCHAR(191) NOT NULL,
  expires_at BIGINT       NOT NULL,
  PRIMARY KEY (scope, token)
);
CREATE INDEX used_tokens_by_expiry ON used_tokens (expires_at);

CREATE TABLE mail_threads (
  message_id VARCHAR(255) NOT NULL PRIMARY KEY,
  channel_id VARCHAR(255) NOT NULL,
  ticket     VARCHAR(32)  NOT NULL,
  at         BIGINT       NOT NULL
);
)sql";

// Version 3: indexes for the statements every inbound message runs, which scanned the tickets
// table (found with EXPLAIN QUERY PLAN; 1 000 000 stored tickets made intake ~20x slower):
//   tickets_open_by_assignee  count_open_by_assignee (assignment by load, on every new ticket)
//                             walked tickets_by_state and read each open row from the table; this
//                             index answers it alone (covering).
//   tickets_by_customer       list_tickets narrowed by customer_id (the customer's open tickets
//                             for the dialog, on every message; the survey-reply lookup) walked
//                             tickets_by_created over the whole table. Same order as the listing,
//                             so the first rows of the index are the page.
constexpr const char* intake_indexes_schema = R"sql(
CREATE INDEX tickets_open_by_assignee ON tickets (state, assignee);
CREATE INDEX tickets_by_customer      ON tickets (customer_id, created_at DESC, number DESC);
)sql";

// Version 4: ticket attributes (issue 9: complaint target and reason, service agreement,
// proactive origin) as one JSON object, opaque to the store.
constexpr const char* ticket_attributes_schema = R"sql(
ALTER TABLE tickets ADD COLUMN attributes_json TEXT NOT NULL DEFAULT '{}';
)sql";

// Version 5 (SQLite only): open tickets per assignee as a counter table, so assignment by load
// (count_open_by_assignee, on every new ticket) reads one row per engineer instead of counting
// every open ticket (1 000 000 stored, 10 000 of them open for one engineer: 2-3 ms a ticket).
//   open_by_assignee  (assignee, open): the number of the assignee's tickets in an open state
//                     (assigned | in_progress | locked | reopened | suspended), for every
//                     non-empty assignee that ever had one; rows that fall to 0 stay (the reader
//                     skips them). Filled here from the existing tickets.
//   triggers          keep it exact on every INSERT, DELETE and UPDATE OF state / assignee of
//                     tickets. A trigger runs inside the statement that fired it, so a rolled-back
//                     unit savepoint or transaction undoes its counts with the ticket rows, and
//                     the ticket code (store/sqlite/transaction.cpp, bot/) writes tickets as before.
//                     update_ticket sets every column, so the update triggers fire only when the
//                     state or assignee really changes and the old or new row is open.
// The open-state set appears in the fill and in four triggers; keep all five equal to
// store.hpp's contract of count_open_by_assignee.
// MySQL keeps its GROUP BY over tickets_open_by_assignee and has no version 5: creating a
// trigger there needs the TRIGGER privilege, and with binary logging on also SUPER (or
// log_bin_trust_function_creators), which the bot's database user should not need.
constexpr const char* open_by_assignee_schema = R"sql(
CREATE TABLE open_by_assignee (
  assignee VARCHAR(64) NOT NULL PRIMARY KEY,
  open     INTEGER     NOT NULL
) WITHOUT ROWID;

INSERT INTO open_by_assignee (assignee, open)
  SELECT assignee, COUNT(*) FROM tickets
  WHERE assignee <> '' AND state IN ('assigned', 'in_progress', 'locked', 'reopened', 'suspended')
  GROUP BY assignee;

CREATE TRIGGER open_by_assignee_insert AFTER INSERT ON tickets
WHEN NEW.assignee <> '' AND NEW.state IN ('assigned', 'in_progress', 'locked', 'reopened', 'suspended')
BEGIN
  INSERT INTO open_by_assignee (assignee, open) VALUES (NEW.assignee, 1)
    ON CONFLICT (assignee) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER open_by_assignee_delete AFTER DELETE ON tickets
WHEN OLD.assignee <> '' AND OLD.state IN ('assigned', 'in_progress', 'locked', 'reopened', 'suspended')
BEGIN
  UPDATE open_by_assignee SET open = open - 1 WHERE assignee = OLD.assignee;
END;

-- An update is a delete of the old row and an insert of the new one, each only when it counts.
CREATE TRIGGER open_by_assignee_update_old AFTER UPDATE OF state, assignee ON tickets
WHEN (OLD.state <> NEW.state OR OLD.assignee <> NEW.assignee)
  AND OLD.assignee <> '' AND OLD.state IN ('assigned', 'in_progress', 'locked', 'reopened', 'suspended')
BEGIN
  UPDATE open_by_assignee SET open = open - 1 WHERE assignee = OLD.assignee;
END;

CREATE TRIGGER open_by_assignee_update_new AFTER UPDATE OF state, assignee ON tickets
WHEN (OLD.state <> NEW.state OR OLD.assignee <> NEW.assignee)
  AND NEW.assignee <> '' AND NEW.state IN ('assigned', 'in_progress', 'locked', 'reopened', 'suspended')
BEGIN
  INSERT INTO open_by_assignee (assignee, open) VALUES (NEW.assignee, 1)
    ON CONFLICT (assignee) DO UPDATE SET open = open + 1;
END;
)sql";

}  // namespace

const std::vector<migration>& builtin_migrations() {
  static const std::vector<migration> steps = {
      {1, initial_schema},
      {2, shared_state_schema},
      {3, intake_indexes_schema},
      {4, ticket_attributes_schema},
      {5, open_by_assignee_schema},
  };
  return steps;
}

}  // namespace store::sqlite
