// The MySQL schema, step for step the same as store/sqlite/migrations.cpp (whose comments explain
// the tables); never edit a released step, add a new one in both files. What differs:
// - ids are BIGINT AUTO_INCREMENT; TEXT is MEDIUMTEXT (SQLite's TEXT has no 64 KiB limit, and an
//   e-mail body or a conversation's state may pass it);
// - every table is InnoDB, utf8mb4 (emoji need 4 bytes), collation utf8mb4_bin: ids, keys, states
//   and identities compare byte for byte as in SQLite, and emoji / CJK never collate equal to one
//   another (utf8mb4_unicode_ci weighs every supplementary character the same). The one
//   case-insensitive search, list_tickets' q, lowers both sides in SQL instead;
// - indexes are declared inside CREATE TABLE and every statement says IF NOT EXISTS: DDL commits
//   statement by statement, so a step that died halfway is simply run again;
// - foreign keys are table constraints (MySQL ignores REFERENCES written on a column);
// - one index more: outbox_claim (state, id), which claim_outbox walks in id order so that
//   FOR UPDATE SKIP LOCKED ... LIMIT locks only the rows it claims.

#include "store/mysql/migrations.hpp"

namespace store::mysql {

namespace {

// CREATE TABLE with the options every table has.
std::string table(const char* definition) {
  return std::string(definition) + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC";
}

// Version 1: everything the bot keeps.
std::vector<std::string> initial_schema() {
  return {
      table(R"sql(CREATE TABLE IF NOT EXISTS customers (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  channel     VARCHAR(16)  NOT NULL,
  channel_id  VARCHAR(255) NOT NULL,
  name        VARCHAR(255) NOT NULL DEFAULT '',
  phone       VARCHAR(32)  NOT NULL DEFAULT '',
  customer_no VARCHAR(64)  NOT NULL DEFAULT '',
  language    VARCHAR(16)  NOT NULL DEFAULT '',
  opted_out   SMALLINT     NOT NULL DEFAULT 0,
  created_at  BIGINT       NOT NULL,
  CONSTRAINT customers_identity UNIQUE (channel, channel_id)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS conversations (
  channel     VARCHAR(16)  NOT NULL,
  channel_id  VARCHAR(255) NOT NULL,
  customer_id BIGINT       NOT NULL,
  state_json  MEDIUMTEXT   NOT NULL,
  version     BIGINT       NOT NULL,
  updated_at  BIGINT       NOT NULL,
  PRIMARY KEY (channel, channel_id)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS tickets (
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
  problem              MEDIUMTEXT   NOT NULL,
  service_method       VARCHAR(16)  NOT NULL,
  assignee             VARCHAR(64)  NOT NULL,
  respond_by           BIGINT       NULL,
  resolve_by           BIGINT       NULL,
  onsite_by            BIGINT       NULL,
  breached             SMALLINT     NOT NULL,
  satisfaction_score   VARCHAR(16)  NOT NULL,
  satisfaction_comment MEDIUMTEXT   NOT NULL,
  created_at           BIGINT       NOT NULL,
  updated_at           BIGINT       NOT NULL,
  KEY tickets_by_created  (created_at, number),
  KEY tickets_by_state    (state, created_at, number),
  KEY tickets_by_assignee (assignee, created_at, number),
  KEY tickets_by_serial   (serial)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS ticket_attachments (
  ticket    VARCHAR(32) NOT NULL,
  seq       INT         NOT NULL,
  kind      VARCHAR(16) NOT NULL,
  media_ref MEDIUMTEXT  NOT NULL,
  PRIMARY KEY (ticket, seq),
  CONSTRAINT ticket_attachments_ticket FOREIGN KEY (ticket) REFERENCES tickets (number) ON DELETE CASCADE
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS ticket_events (
  id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket      VARCHAR(32) NOT NULL,
  at          BIGINT      NOT NULL,
  actor       VARCHAR(64) NOT NULL,
  event       VARCHAR(32) NOT NULL,
  detail_json MEDIUMTEXT  NOT NULL,
  KEY ticket_events_by_ticket (ticket, at, id),
  CONSTRAINT ticket_events_ticket FOREIGN KEY (ticket) REFERENCES tickets (number) ON DELETE CASCADE
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS messages (
  id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT      NOT NULL,
  channel     VARCHAR(16) NOT NULL,
  ticket      VARCHAR(32) NOT NULL DEFAULT '',
  at          BIGINT      NOT NULL,
  direction   VARCHAR(3)  NOT NULL,
  text        MEDIUMTEXT  NOT NULL,
  KEY messages_by_ticket   (ticket, at, id),
  KEY messages_by_customer (customer_id, channel, at)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS inbound_log (
  channel     VARCHAR(16)  NOT NULL,
  provider_id VARCHAR(255) NOT NULL,
  sender      VARCHAR(255) NOT NULL,
  received_at BIGINT       NOT NULL,
  reply       MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (channel, provider_id),
  KEY inbound_log_by_time (received_at)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS outbox (
  id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  idempotency_key VARCHAR(191) NOT NULL,
  channel         VARCHAR(16)  NOT NULL,
  recipient       VARCHAR(255) NOT NULL,
  payload_json    MEDIUMTEXT   NOT NULL,
  ticket          VARCHAR(32)  NOT NULL,
  plan            VARCHAR(32)  NOT NULL,
  state           VARCHAR(16)  NOT NULL,
  attempts        INT          NOT NULL,
  next_attempt_at BIGINT       NOT NULL,
  lease_until     BIGINT       NOT NULL,
  last_error      MEDIUMTEXT   NOT NULL,
  created_at      BIGINT       NOT NULL,
  sent_at         BIGINT       NOT NULL,
  CONSTRAINT outbox_idempotency UNIQUE (idempotency_key),
  KEY outbox_due (state, next_attempt_at),
  KEY outbox_claim (state, id)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS ticket_sequence (
  day  CHAR(8) NOT NULL PRIMARY KEY,
  last BIGINT  NOT NULL
))sql"),
  };
}

// Version 2: what the outbox worker, the timer worker and the channels share between instances.
std::vector<std::string> shared_state_schema() {
  return {
      table(R"sql(CREATE TABLE IF NOT EXISTS timers (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind         VARCHAR(32) NOT NULL,
  ticket       VARCHAR(32) NOT NULL DEFAULT '',
  due_at       BIGINT      NOT NULL,
  payload_json MEDIUMTEXT  NOT NULL,
  state        VARCHAR(16) NOT NULL,
  lease_until  BIGINT      NOT NULL,
  created_at   BIGINT      NOT NULL,
  KEY timers_due       (state, due_at),
  KEY timers_by_ticket (ticket)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS settings (
  setting_key VARCHAR(191) NOT NULL PRIMARY KEY,
  value       MEDIUMTEXT   NOT NULL,
  expires_at  BIGINT       NOT NULL
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS used_tokens (
  scope      VARCHAR(32)  NOT NULL,
  token      VARCHAR(191) NOT NULL,
  expires_at BIGINT       NOT NULL,
  PRIMARY KEY (scope, token),
  KEY used_tokens_by_expiry (expires_at)
))sql"),

      table(R"sql(CREATE TABLE IF NOT EXISTS mail_threads (
  message_id VARCHAR(255) NOT NULL PRIMARY KEY,
  channel_id VARCHAR(255) NOT NULL,
  ticket     VARCHAR(32)  NOT NULL,
  at         BIGINT       NOT NULL
))sql"),
  };
}

// CREATE INDEX that may run again after a step died halfway. CREATE INDEX IF NOT EXISTS is
// MariaDB-only, so the statement is chosen from information_schema and run as a prepared
// statement: four statements, each re-runnable. Migrations hold GET_LOCK, so no other instance
// creates the index between the check and the CREATE.
std::vector<std::string> create_index_once(const char* table_name, const char* index_name, const char* columns) {
  const std::string ddl = std::string("CREATE INDEX ") + index_name + " ON " + table_name + " " + columns;
  return {
      "SET @sb_migration_ddl = (SELECT IF(COUNT(*) = 0, '" + ddl +
          "', 'DO 0') FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '" +
          table_name + "' AND index_name = '" + index_name + "')",
      "PREPARE sb_migration_ddl FROM @sb_migration_ddl",
      "EXECUTE sb_migration_ddl",
      "DEALLOCATE PREPARE sb_migration_ddl",
  };
}

// Version 3: indexes for the statements every inbound message runs (see the SQLite file).
std::vector<std::string> intake_indexes_schema() {
  auto out = create_index_once("tickets", "tickets_open_by_assignee", "(state, assignee)");
  auto by_customer = create_index_once("tickets", "tickets_by_customer", "(customer_id, created_at, number)");
  out.insert(out.end(), by_customer.begin(), by_customer.end());
  return out;
}

// ALTER TABLE ... ADD COLUMN that may run again after a step died halfway (DDL commits on its
// own), chosen from information_schema like create_index_once.
std::vector<std::string> add_column_once(const char* table_name, const char* column_name, const char* definition) {
  const std::string ddl = std::string("ALTER TABLE ") + table_name + " ADD COLUMN " + column_name + " " + definition;
  return {
      "SET @sb_migration_ddl = (SELECT IF(COUNT(*) = 0, '" + ddl +
          "', 'DO 0') FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '" +
          table_name + "' AND column_name = '" + column_name + "')",
      "PREPARE sb_migration_ddl FROM @sb_migration_ddl",
      "EXECUTE sb_migration_ddl",
      "DEALLOCATE PREPARE sb_migration_ddl",
  };
}

// Version 4: ticket attributes (issue 9: complaint target and reason, service agreement,
// proactive origin) as one JSON object. MEDIUMTEXT takes no literal DEFAULT on MySQL before
// 8.0.13, so existing rows get '' and the workflow reads '' as {}.
std::vector<std::string> ticket_attributes_schema() {
  return add_column_once("tickets", "attributes_json", "MEDIUMTEXT NOT NULL");
}

}  // namespace

const std::vector<migration>& builtin_migrations() {
  static const std::vector<migration> steps = {
      {1, initial_schema()},
      {2, shared_state_schema()},
      {3, intake_indexes_schema()},
      {4, ticket_attributes_schema()},
  };
  return steps;
}

}  // namespace store::mysql
