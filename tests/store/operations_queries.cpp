// The queries operations needs: tickets per state (the /metrics gauge) and the size of one
// transcript (the transcript cap, docs/operations.md).

#include <string>
#include <utility>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("count_tickets_by_state gives one row per state that has tickets", "[store][tickets][operations]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  using counts = std::vector<std::pair<std::string, std::int64_t>>;

  CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_tickets_by_state(); }).empty());

  write(writer, [](store::transaction& tx) {
    int n = 100;
    for (const char* state : {"pending_assignment", "assigned", "assigned", "closed", "assigned"}) {
      auto t = store_tests::minimal_ticket("SR20260512" + std::to_string(n), 1000 + n);
      ++n;
      t.state = state;
      tx.insert_ticket(t);
    }
  });
  CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_tickets_by_state(); }) ==
        counts{{"assigned", 3}, {"closed", 1}, {"pending_assignment", 1}});
}

TEST_CASE("count_messages counts one ticket's transcript, or the running intake's", "[store][transcript][operations]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  write(writer, [](store::transaction& tx) {
    tx.append_message({7, "wechat", "", 100, "in", "old intake, never attached"});
    tx.append_message({7, "wechat", "", 200, "in", "a"});
    tx.append_message({7, "wechat", "", 201, "out", "b"});
    tx.append_message({7, "sms", "", 202, "in", "other channel"});
    tx.append_message({8, "wechat", "", 203, "in", "other customer"});
    tx.append_message({7, "wechat", "SR20260512001", 150, "in", "x"});
    tx.append_message({7, "wechat", "SR20260512001", 151, "out", "y"});
  });
  auto count = [&](std::int64_t customer, const char* channel, const char* ticket, std::int64_t since) {
    return read_value(writer, [=](store::transaction& tx) { return tx.count_messages(customer, channel, ticket, since); });
  };
  CHECK(count(7, "wechat", "", 200) == 2);
  CHECK(count(7, "wechat", "", 0) == 3);
  CHECK(count(7, "sms", "", 0) == 1);
  CHECK(count(9, "wechat", "", 0) == 0);
  CHECK(count(0, "", "SR20260512001", 0) == 2);
  CHECK(count(0, "", "SR20260512999", 0) == 0);
}
