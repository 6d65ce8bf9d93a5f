// The queries the ticket workflow needs: open tickets per assignee (assignment by load) and a
// customer's tickets (a survey reply lands on that customer's resolved ticket).

#include <string>
#include <utility>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

namespace {

using counts = std::vector<std::pair<std::string, int>>;

store::ticket_record ticket(const std::string& number, std::int64_t created_at, const std::string& state,
                            const std::string& assignee, std::int64_t customer_id = 0) {
  auto t = store_tests::minimal_ticket(number, created_at);
  t.state = state;
  t.assignee = assignee;
  t.customer_id = customer_id;
  return t;
}

}  // namespace

TEST_CASE("count_open_by_assignee counts only open states, per assignee, ordered by id", "[store][tickets][workflow]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  SECTION("no tickets: no rows") {
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }).empty());
  }

  SECTION("every open state counts; resolved, closed, cancelled and unassigned ones do not") {
    write(writer, [](store::transaction& tx) {
      int n = 1;
      auto number = [&n] { return "SR20260512" + std::to_string(100 + n++); };
      for (const char* state : {"assigned", "in_progress", "locked", "reopened", "suspended"})
        tx.insert_ticket(ticket(number(), 1000 + n, state, "E002"));
      for (const char* state : {"resolved", "closed", "cancelled", "pending_assignment"})
        tx.insert_ticket(ticket(number(), 1000 + n, state, "E002"));
      tx.insert_ticket(ticket(number(), 1000 + n, "assigned", "E001"));
      tx.insert_ticket(ticket(number(), 1000 + n, "closed", "E003"));  // only closed: no row
      tx.insert_ticket(ticket(number(), 1000 + n, "pending_assignment", ""));
    });
    auto rows = read_value(writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); });
    CHECK(rows == counts{{"E001", 1}, {"E002", 5}});
  }

  SECTION("a state change moves the count") {
    auto t = ticket("SR20260512001", 1000, "assigned", "E001");
    write(writer, [&](store::transaction& tx) { tx.insert_ticket(t); });
    t.state = "resolved";
    write(writer, [&](store::transaction& tx) { tx.update_ticket(t); });
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }).empty());
    t.state = "reopened";
    write(writer, [&](store::transaction& tx) { tx.update_ticket(t); });
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_open_by_assignee(); }) ==
          counts{{"E001", 1}});
  }
}

TEST_CASE("list_tickets narrows to one customer with customer_id, combined with other filters",
          "[store][tickets][list][workflow]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  write(writer, [](store::transaction& tx) {
    tx.insert_ticket(ticket("SR20260512001", 1000, "resolved", "E001", 7));
    tx.insert_ticket(ticket("SR20260512002", 2000, "assigned", "E001", 7));
    tx.insert_ticket(ticket("SR20260512003", 3000, "resolved", "E001", 8));
  });
  auto numbers = [&](const store::ticket_filter& f) {
    std::vector<std::string> out;
    for (const auto& t : read_value(writer, [&](store::transaction& tx) { return tx.list_tickets(f); }).tickets)
      out.push_back(t.number);
    return out;
  };
  store::ticket_filter f;
  f.customer_id = 7;
  CHECK(numbers(f) == std::vector<std::string>{"SR20260512002", "SR20260512001"});
  f.state = "resolved";
  CHECK(numbers(f) == std::vector<std::string>{"SR20260512001"});
  f.customer_id = 9;
  CHECK(numbers(f).empty());
  f.customer_id = std::nullopt;  // unset: every customer
  CHECK(numbers(f) == std::vector<std::string>{"SR20260512003", "SR20260512001"});
}
