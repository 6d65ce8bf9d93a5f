#pragma once
// Rows as an older binary wrote them, for the SQLite upgrade tests: the current
// transaction code writes the current schema's columns, which an old database does not have.

#include <sqlite3.h>

#include <string>

#include "store/sqlite/database.hpp"
#include "store/store.hpp"

namespace store_tests {

// Inserts `t` into a database of schema version 1..3 (tickets before attributes_json, version
// 4) with its attachments, exactly the columns those versions had. On version 4 the row gets
// attributes_json's default ('{}'), as a version-4 binary wrote a ticket without attributes.
inline void insert_legacy_ticket(const std::string& path, const store::ticket_record& t) {
  store::sqlite::database db{path, SQLITE_OPEN_READWRITE};
  db.prepare(
        "INSERT INTO tickets (number, type, priority, state, stage, channel, language, customer_id, customer_name, "
        "phone, channel_id, customer_no, model, serial, purchase_date, in_warranty, problem, service_method, "
        "assignee, respond_by, resolve_by, onsite_by, breached, satisfaction_score, satisfaction_comment, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(t.number, t.type, t.priority, t.state, t.stage, t.channel, t.language, t.customer_id, t.customer_name,
                t.phone, t.channel_id, t.customer_no, t.model, t.serial, t.purchase_date, t.in_warranty, t.problem,
                t.service_method, t.assignee, t.respond_by, t.resolve_by, t.onsite_by, t.breached,
                t.satisfaction_score, t.satisfaction_comment, t.created_at, t.updated_at)
      .run();
  int seq = 0;
  for (const auto& a : t.attachments)
    db.prepare("INSERT INTO ticket_attachments (ticket, seq, kind, media_ref) VALUES (?, ?, ?, ?)")
        .bind_all(t.number, seq++, a.kind, a.ref)
        .run();
}

}  // namespace store_tests
