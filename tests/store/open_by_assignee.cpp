// Schema version 5 (SQLite): count_open_by_assignee reads the open_by_assignee counter table,
// which triggers on tickets keep exact. These cases check the counter against the definition (a
// GROUP BY over tickets) after random ticket writes, rolled-back units included, and after the
// upgrade of a version-4 database whose tickets were written raw.

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_backend.hpp"
#include "tests/store/backends.hpp"
#include "tests/store/legacy_sqlite.hpp"
#include "tests/store/samples.hpp"

using store_tests::read_value;
using store_tests::temp_directory;
using store_tests::write;

namespace {

using counts = std::vector<std::pair<std::string, int>>;

const char* const states[] = {"pending_assignment", "assigned", "in_progress", "locked",   "reopened",
                              "suspended",          "resolved", "closed",      "cancelled"};
const char* const assignees[] = {"", "E001", "E002", "E003", "E004"};

bool is_open(const store::ticket_record& t) {
  static const std::vector<std::string> open = {"assigned", "in_progress", "locked", "reopened", "suspended"};
  return !t.assignee.empty() && std::find(open.begin(), open.end(), t.state) != open.end();
}

// count_open_by_assignee's contract, computed from the tickets the test believes are stored.
counts expected_counts(const std::map<std::string, store::ticket_record>& tickets) {
  std::map<std::string, int> by_assignee;
  for (const auto& [number, t] : tickets)
    if (is_open(t)) ++by_assignee[t.assignee];
  return counts(by_assignee.begin(), by_assignee.end());
}

// The same, computed by SQLite from the file's tickets table, with version 3's GROUP BY.
counts group_by_over_tickets(const std::string& path) {
  store::sqlite::database db{path, SQLITE_OPEN_READONLY};
  auto st = db.prepare(
      "SELECT assignee, COUNT(*) FROM tickets WHERE assignee <> '' AND state IN "
      "('assigned', 'in_progress', 'locked', 'reopened', 'suspended') GROUP BY assignee ORDER BY assignee");
  counts out;
  while (st.next()) out.emplace_back(st.text(0), static_cast<int>(st.int64(1)));
  return out;
}

// Every row of the counter table, zeros included.
counts counter_rows(const std::string& path) {
  store::sqlite::database db{path, SQLITE_OPEN_READONLY};
  auto st = db.prepare("SELECT assignee, open FROM open_by_assignee ORDER BY assignee");
  counts out;
  while (st.next()) out.emplace_back(st.text(0), static_cast<int>(st.int64(1)));
  return out;
}

counts without_zeros(counts rows) {
  std::erase_if(rows, [](const auto& row) { return row.second == 0; });
  return rows;
}

}  // namespace

TEST_CASE("sqlite: the open-ticket counter equals the GROUP BY over tickets after random writes and rollbacks",
          "[store][tickets][workflow][sqlite]") {
  const auto seed = GENERATE(1u, 2u, 3u);
  CAPTURE(seed);
  std::mt19937 random(seed);
  auto pick = [&random](auto& choices) {
    return choices[std::uniform_int_distribution<std::size_t>(0, std::size(choices) - 1)(random)];
  };
  auto chance = [&random](int percent) { return std::uniform_int_distribution<int>(0, 99)(random) < percent; };

  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  auto backend = store::sqlite::make_backend(path);
  auto writer = backend->open(true);
  writer->migrate();

  std::map<std::string, store::ticket_record> stored;  // what the committed units left
  int next_number = 0;
  int operations = 0, failed_units = 0, deleted = 0;

  for (int batch = 0; batch < 20; ++batch) {
    CAPTURE(batch);
    // Each unit works on its own copy of the model and hands it to the next one only when it
    // returns, so a unit that throws leaves no trace in the model either.
    auto model = stored;
    std::vector<store::unit_of_work> units;
    std::vector<bool> should_fail;
    const int unit_count = std::uniform_int_distribution<int>(1, 8)(random);
    for (int u = 0; u < unit_count; ++u) {
      // The unit's operations are drawn now, against the model as the earlier units leave it;
      // a unit that is to fail draws them too and throws after the last one.
      struct op {
        bool insert;
        store::ticket_record ticket;
      };
      auto draft = model;
      std::vector<op> ops;
      const int op_count = std::uniform_int_distribution<int>(1, 6)(random);
      for (int i = 0; i < op_count; ++i) {
        if (draft.empty() || chance(40)) {
          auto t = store_tests::minimal_ticket("SR20260512" + std::to_string(100000 + next_number++), 1000 + i);
          t.state = pick(states);
          t.assignee = pick(assignees);
          draft[t.number] = t;
          ops.push_back({true, t});
        } else {
          auto it = draft.begin();
          std::advance(it, std::uniform_int_distribution<std::size_t>(0, draft.size() - 1)(random));
          auto t = it->second;
          const int kind = std::uniform_int_distribution<int>(0, 3)(random);
          if (kind == 0 || kind == 2) t.state = pick(states);     // state change
          if (kind == 1 || kind == 2) t.assignee = pick(assignees);  // reassignment
          if (kind == 3) t.problem = "edited " + std::to_string(i);  // neither changes
          it->second = t;
          ops.push_back({false, t});
        }
      }
      const int failure = chance(20) ? 1 : chance(10) ? 2 : 0;  // 1: throws, 2: duplicate insert
      should_fail.push_back(failure != 0);
      if (failure == 0) model = draft;
      operations += op_count;
      units.push_back([ops, failure, expected = expected_counts(draft)](store::transaction& tx) {
        for (const auto& o : ops) {
          if (o.insert)
            tx.insert_ticket(o.ticket);
          else
            tx.update_ticket(o.ticket);
        }
        // Inside the transaction, before the unit's savepoint is released, the counter already
        // holds the unit's writes.
        CHECK(tx.count_open_by_assignee() == expected);
        if (failure == 1) throw std::runtime_error("unit fails after its writes");
        if (failure == 2) tx.insert_ticket(ops.back().ticket);  // exists by now: duplicate
      });
    }
    const auto results = writer->write_batch(units);
    REQUIRE(results.size() == units.size());
    for (std::size_t u = 0; u < units.size(); ++u) {
      CAPTURE(u);
      CHECK(static_cast<bool>(results[u]) == should_fail[u]);
      if (results[u]) ++failed_units;
    }
    stored = model;

    // Between batches, now and then a ticket is deleted with plain SQL (the store interface has no
    // delete); the delete trigger must follow it.
    if (!stored.empty() && chance(50)) {
      auto it = stored.begin();
      std::advance(it, std::uniform_int_distribution<std::size_t>(0, stored.size() - 1)(random));
      store::sqlite::database db{path, SQLITE_OPEN_READWRITE};
      db.prepare("DELETE FROM tickets WHERE number = ?").bind_all(it->first).run();
      stored.erase(it);
      ++deleted;
    }

    const auto expected = expected_counts(stored);
    CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) == expected);
    CHECK(group_by_over_tickets(path) == expected);
    CHECK(without_zeros(counter_rows(path)) == expected);
  }
  // The run exercised what it is meant to.
  CHECK(operations >= 200);
  CHECK(failed_units >= 3);
  CHECK(deleted >= 1);
  CHECK(stored.size() >= 30);
}

TEST_CASE("sqlite: the counter follows a unit that changes a ticket and undoes it, and a ticket moving between engineers",
          "[store][tickets][workflow][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  auto backend = store::sqlite::make_backend(path);
  auto writer = backend->open(true);
  writer->migrate();

  auto t = store_tests::minimal_ticket("SR20260512001", 1000);
  t.state = "assigned";
  t.assignee = "E001";
  write(*writer, [&](store::transaction& tx) { tx.insert_ticket(t); });
  CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) ==
        counts{{"E001", 1}});

  // Reassigned and in progress in one update: E001 drops to 0 (its row stays, not reported).
  t.assignee = "E002";
  t.state = "in_progress";
  write(*writer, [&](store::transaction& tx) { tx.update_ticket(t); });
  CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) ==
        counts{{"E002", 1}});
  CHECK(counter_rows(path) == counts{{"E001", 0}, {"E002", 1}});

  // A batch whose middle unit resolves the ticket and then fails; the units around it add one.
  auto resolved = t;
  resolved.state = "resolved";
  std::vector<store::unit_of_work> units{
      [](store::transaction& tx) {
        auto u = store_tests::minimal_ticket("SR20260512002", 1001);
        u.state = "suspended";
        u.assignee = "E001";
        tx.insert_ticket(u);
      },
      [&](store::transaction& tx) {
        tx.update_ticket(resolved);
        CHECK(tx.count_open_by_assignee() == counts{{"E001", 1}});
        throw std::runtime_error("unit fails after resolving");
      },
      [](store::transaction& tx) { CHECK(tx.count_open_by_assignee() == counts{{"E001", 1}, {"E002", 1}}); },
  };
  const auto results = writer->write_batch(units);
  CHECK_FALSE(results[0]);
  CHECK(results[1]);
  CHECK_FALSE(results[2]);
  CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) ==
        counts{{"E001", 1}, {"E002", 1}});
  CHECK(group_by_over_tickets(path) == counts{{"E001", 1}, {"E002", 1}});
}

TEST_CASE("sqlite: a version 4 database gets the open-ticket counter filled from its tickets",
          "[store][schema][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  const auto& steps = store::sqlite::builtin_migrations();
  REQUIRE(steps.size() >= 5);
  REQUIRE(steps[3].version == 4);
  REQUIRE(steps[4].version == 5);
  {
    auto v4 = store::sqlite::make_backend(path, std::vector<store::sqlite::migration>(steps.begin(), steps.begin() + 4));
    auto writer = v4->open(true);
    writer->migrate();
    REQUIRE(writer->schema_version() == 4);
    // Written as a version-4 binary did, without triggers to count them.
    int n = 0;
    auto legacy = [&](const char* state, const char* assignee) {
      auto t = store_tests::minimal_ticket("SR20260512" + std::to_string(100 + n), 1000 + n);
      ++n;
      t.state = state;
      t.assignee = assignee;
      store_tests::insert_legacy_ticket(path, t);
    };
    for (const char* state : {"assigned", "in_progress", "locked", "reopened", "suspended", "resolved", "closed"})
      legacy(state, "E002");
    legacy("assigned", "E001");
    legacy("cancelled", "E001");
    legacy("closed", "E003");               // only closed tickets: no row
    legacy("assigned", "");                 // open state, nobody assigned: not counted
    legacy("pending_assignment", "");
    legacy("in_progress", "E010");
  }

  auto backend = store::sqlite::make_backend(path);
  auto writer = backend->open(true);
  writer->migrate();
  CHECK(writer->schema_version() == 5);
  const counts expected{{"E001", 1}, {"E002", 5}, {"E010", 1}};
  CHECK(counter_rows(path) == expected);
  CHECK(group_by_over_tickets(path) == expected);
  CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) == expected);

  // The triggers work on the upgraded file: the old tickets move the counter like new ones.
  write(*writer, [](store::transaction& tx) {
    auto t = tx.find_ticket("SR20260512100");  // assigned to E002
    REQUIRE(t);
    t->state = "closed";
    tx.update_ticket(*t);
    auto u = tx.find_ticket("SR20260512109");  // closed, E003
    REQUIRE(u);
    u->state = "reopened";
    tx.update_ticket(*u);
  });
  const counts after{{"E001", 1}, {"E002", 4}, {"E003", 1}, {"E010", 1}};
  CHECK(read_value(*writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) == after);
  CHECK(group_by_over_tickets(path) == after);
}
