// Schema version 3: the indexes the per-message statements of the intake path need. With
// 1 000 000 stored tickets, a statement that scans the tickets table costs ~20x an intake's
// whole budget (docs/performance.md), and nothing but the query plan shows it on a small
// database, so the SQLite cases read the plans themselves.

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_backend.hpp"
#include "tests/store/backends.hpp"
#include "tests/store/legacy_sqlite.hpp"
#include "tests/store/samples.hpp"

using store_tests::read_value;
using store_tests::temp_directory;
using store_tests::write;

namespace {

// The detail column of EXPLAIN QUERY PLAN for `sql`, one line per plan step.
std::vector<std::string> query_plan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  const int rc = sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr);
  INFO(sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

bool scans_tickets(const std::vector<std::string>& plan) {
  for (const auto& step : plan)
    if (step.starts_with("SCAN tickets")) return true;
  return false;
}

bool uses_index(const std::vector<std::string>& plan, const std::string& index) {
  for (const auto& step : plan)
    if (step.find("INDEX " + index) != std::string::npos) return true;
  return false;
}

store::ticket_record ticket_of(const std::string& number, std::int64_t customer, const std::string& state,
                               const std::string& assignee, std::int64_t created_at) {
  auto t = store_tests::minimal_ticket(number, created_at);
  t.customer_id = customer;
  t.state = state;
  t.assignee = assignee;
  return t;
}

}  // namespace

TEST_CASE("sqlite: the statements every intake runs on tickets use an index, none scans the table",
          "[store][schema][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  {
    auto backend = store::sqlite::make_backend(path);
    backend->open(true)->migrate();
  }
  // Copied from store/sqlite/transaction.cpp (list_tickets as the intake flow and the survey
  // lookup call it) and store/sqlite/migrations.cpp (version 5 fills open_by_assignee with what
  // was count_open_by_assignee's query until then, over every stored ticket). A change there that
  // loses its index should fail here.
  struct statement {
    const char* what;
    const char* sql;
    const char* index;
  };
  const statement statements[] = {
      {"open tickets per assignee (the version 5 fill; MySQL's count_open_by_assignee)",
       "SELECT assignee, COUNT(*) FROM tickets WHERE assignee <> '' AND state IN "
       "('assigned', 'in_progress', 'locked', 'reopened', 'suspended') GROUP BY assignee ORDER BY assignee",
       "tickets_open_by_assignee"},
      {"the customer's tickets (intake context)",
       "SELECT number FROM tickets WHERE 1 = 1 AND customer_id = ? ORDER BY created_at DESC, number DESC LIMIT ?",
       "tickets_by_customer"},
      {"the customer's resolved tickets on a channel (survey reply)",
       "SELECT number FROM tickets WHERE 1 = 1 AND state = ? AND channel = ? AND customer_id = ? "
       "ORDER BY created_at DESC, number DESC LIMIT ?",
       "tickets_by_customer"},
  };
  for (const auto& s : statements) {
    CAPTURE(s.what);
    const auto plan = query_plan(path, s.sql);
    CAPTURE(plan);
    CHECK_FALSE(scans_tickets(plan));
    CHECK(uses_index(plan, s.index));
  }
  // The open-count query is answered from the index alone, without reading a row.
  const auto plan = query_plan(path, statements[0].sql);
  CAPTURE(plan);
  CHECK(std::any_of(plan.begin(), plan.end(), [](const std::string& step) {
    return step.find("COVERING INDEX tickets_open_by_assignee") != std::string::npos;
  }));
}

TEST_CASE("sqlite: count_open_by_assignee reads the version 5 counter table, not tickets", "[store][schema][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  {
    auto backend = store::sqlite::make_backend(path);
    backend->open(true)->migrate();
  }
  // Copied from store/sqlite/transaction.cpp (count_open_by_assignee, on every new ticket).
  const auto plan =
      query_plan(path, "SELECT assignee, open FROM open_by_assignee WHERE open > 0 ORDER BY assignee");
  CAPTURE(plan);
  CHECK_FALSE(scans_tickets(plan));
  CHECK(std::none_of(plan.begin(), plan.end(), [](const std::string& step) {
    return step.find("tickets") != std::string::npos;
  }));
  // One row per engineer, read in key order: no sort.
  CHECK(std::any_of(plan.begin(), plan.end(),
                    [](const std::string& step) { return step.starts_with("SCAN open_by_assignee"); }));
  CHECK(std::none_of(plan.begin(), plan.end(),
                     [](const std::string& step) { return step.find("TEMP B-TREE") != std::string::npos; }));
}

TEST_CASE("sqlite: a version 2 database gets the version 3 indexes and keeps its tickets", "[store][schema][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  const auto& steps = store::sqlite::builtin_migrations();
  REQUIRE(steps.size() >= 3);
  REQUIRE(steps[2].version == 3);
  {
    auto v2 = store::sqlite::make_backend(path, std::vector<store::sqlite::migration>{steps[0], steps[1]});
    auto writer = v2->open(true);
    writer->migrate();
    REQUIRE(writer->schema_version() == 2);
    // Written as a version-2 binary did (no attributes_json yet).
    store_tests::insert_legacy_ticket(path, ticket_of("SR20260512001", 7, "assigned", "E001", 100));
    store_tests::insert_legacy_ticket(path, ticket_of("SR20260512002", 7, "closed", "E001", 200));
    store_tests::insert_legacy_ticket(path, ticket_of("SR20260512003", 8, "in_progress", "E002", 300));
    store_tests::insert_legacy_ticket(path, ticket_of("SR20260512004", 7, "resolved", "E002", 400));
    CHECK_FALSE(uses_index(query_plan(path, "SELECT number FROM tickets WHERE customer_id = 7 ORDER BY created_at DESC"),
                           "tickets_by_customer"));
  }
  auto backend = store::sqlite::make_backend(path);
  auto writer = backend->open(true);
  writer->migrate();
  CHECK(writer->schema_version() >= 3);
  CHECK(uses_index(query_plan(path, "SELECT number FROM tickets WHERE customer_id = 7 ORDER BY created_at DESC"),
                   "tickets_by_customer"));

  // The answers the indexes now serve are the same as before.
  const auto open = read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); });
  CHECK(open == std::vector<std::pair<std::string, int>>{{"E001", 1}, {"E002", 1}});
  store::ticket_filter mine;
  mine.customer_id = 7;
  const auto page = read_value(*writer, [&](store::transaction& tx) { return tx.list_tickets(mine); });
  std::vector<std::string> numbers;
  for (const auto& t : page.tickets) numbers.push_back(t.number);
  CHECK(numbers == std::vector<std::string>{"SR20260512004", "SR20260512002", "SR20260512001"});
}

TEST_CASE("every backend answers the intake's ticket queries the same with the version 3 indexes", "[store][schema]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(store_tests::backend_names())));
  CAPTURE(s.db->name());
  write(*s.writer, [](store::transaction& tx) {
    for (int i = 0; i < 30; ++i) {
      const std::string number = "SR20260512" + std::to_string(100 + i);
      const std::int64_t customer = i % 3 == 0 ? 7 : 8;
      const std::string state = i % 5 == 0 ? "closed" : i % 5 == 1 ? "resolved" : "assigned";
      tx.insert_ticket(ticket_of(number, customer, state, i % 2 == 0 ? "E001" : "E002", 1000 + i / 2));
    }
  });
  store::ticket_filter mine;
  mine.customer_id = 7;
  mine.limit = 4;
  const auto first = read_value(*s.writer, [&](store::transaction& tx) { return tx.list_tickets(mine); });
  std::vector<std::string> numbers;
  for (const auto& t : first.tickets) numbers.push_back(t.number);
  // Customer 7 has tickets 100, 103, ..., 127; newest first, ties on created_at by number.
  CHECK(numbers == std::vector<std::string>{"SR20260512127", "SR20260512124", "SR20260512121", "SR20260512118"});
  CHECK(first.next_cursor.has_value());

  store::ticket_filter resolved = mine;
  resolved.state = "resolved";
  resolved.channel = "wechat";
  resolved.limit = 20;
  const auto survey = read_value(*s.writer, [&](store::transaction& tx) { return tx.list_tickets(resolved); });
  numbers.clear();
  for (const auto& t : survey.tickets) numbers.push_back(t.number);
  CHECK(numbers == std::vector<std::string>{"SR20260512121", "SR20260512106"});

  // assigned: i % 5 in {2, 3, 4}; E001 takes the even i, E002 the odd ones.
  const auto open = read_value(*s.writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); });
  CHECK(open == std::vector<std::pair<std::string, int>>{{"E001", 9}, {"E002", 9}});
}
