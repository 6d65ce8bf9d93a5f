// Durable timers: kept as scheduled, claimed once per lease when due, completed, and cancelled
// per ticket (by kind or all of them).

#include <string>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::timer;
using store_tests::write;

namespace {

using kinds_t = std::vector<std::string>;

// "kind@ticket" per timer, in the order given.
kinds_t names(const std::vector<store::timer_record>& timers) {
  kinds_t out;
  for (const auto& t : timers) out.push_back(t.kind + "@" + t.ticket);
  return out;
}

std::vector<store::timer_record> claim(store::connection& c, std::int64_t now, std::int64_t lease_until,
                                       int limit = 100) {
  std::vector<store::timer_record> claimed;
  write(c, [&](store::transaction& tx) { claimed = tx.claim_due_timers(now, lease_until, limit); });
  return claimed;
}

std::vector<store::timer_record> of_ticket(store::connection& c, const std::string& ticket) {
  return read_value(c, [&](store::transaction& tx) { return tx.ticket_timers(ticket); });
}

}  // namespace

TEST_CASE("a scheduled timer is kept as given and listed with its ticket", "[store][timers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::int64_t respond = 0, remind = 0, other = 0, maintenance = 0;
  write(writer, [&](store::transaction& tx) {
    respond = tx.schedule_timer(timer("sla_respond", "SR20260512001", 500));
    remind = tx.schedule_timer(timer("survey_remind", "SR20260512001", 300));
    other = tx.schedule_timer(timer("sla_respond", "SR20260512002", 200));
    maintenance = tx.schedule_timer(timer("maintenance", "", 100));
  });
  CHECK(respond > 0);
  CHECK(remind != respond);
  CHECK(other != remind);
  CHECK(maintenance != other);

  // Soonest first.
  const auto listed = of_ticket(writer, "SR20260512001");
  CHECK(names(listed) == kinds_t{"survey_remind@SR20260512001", "sla_respond@SR20260512001"});
  REQUIRE(listed.size() == 2);
  const auto expected = timer("survey_remind", "SR20260512001", 300);
  CHECK(listed[0].id == remind);
  CHECK(listed[0].kind == expected.kind);
  CHECK(listed[0].ticket == expected.ticket);
  CHECK(listed[0].due_at == expected.due_at);
  CHECK(listed[0].payload_json == expected.payload_json);
  CHECK(listed[0].state == "pending");
  CHECK(listed[0].lease_until == 0);
  CHECK(listed[0].created_at == expected.created_at);
  CHECK(listed[1].id == respond);

  CHECK(of_ticket(writer, "SR20990101001").empty());
}

TEST_CASE("claim_due_timers claims due timers once per lease, longest overdue first", "[store][timers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::int64_t maintenance = 0;
  write(writer, [&](store::transaction& tx) {
    tx.schedule_timer(timer("sla_respond", "SR20260512001", 500));
    tx.schedule_timer(timer("survey_remind", "SR20260512001", 300));
    tx.schedule_timer(timer("sla_respond", "SR20260512002", 200));
    maintenance = tx.schedule_timer(timer("maintenance", "", 100));
  });

  CHECK(claim(writer, 99, 150).empty());
  const auto claimed = claim(writer, 200, 400);
  CHECK(names(claimed) == kinds_t{"maintenance@", "sla_respond@SR20260512002"});
  for (const auto& t : claimed) {
    CAPTURE(t.kind);
    CHECK(t.state == "claimed");
    CHECK(t.lease_until == 400);
  }
  const auto stored = of_ticket(writer, "SR20260512002");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].state == "claimed");
  CHECK(stored[0].lease_until == 400);

  SECTION("while the lease holds, only newly due timers are claimed") {
    CHECK(claim(writer, 250, 450).empty());
    CHECK(names(claim(writer, 300, 450)) == kinds_t{"survey_remind@SR20260512001"});
    // lease_until is the last second the lease holds.
    CHECK(claim(writer, 400, 450).empty());
  }

  SECTION("a completed timer is done; one whose lease ran out is claimed again") {
    write(writer, [&](store::transaction& tx) { tx.complete_timer(maintenance); });
    CHECK(names(claim(writer, 401, 460)) == kinds_t{"sla_respond@SR20260512002", "survey_remind@SR20260512001"});
    CHECK(of_ticket(writer, "SR20260512002").at(0).lease_until == 460);
    CHECK(of_ticket(writer, "").at(0).state == "done");
    CHECK(claim(writer, 1000000, 1000060).size() == 3);
  }

  SECTION("at most `limit` timers are claimed") {
    CHECK(claim(writer, 1000, 1060, 0).empty());
    CHECK(names(claim(writer, 1000, 1060, 1)) == kinds_t{"maintenance@"});
    CHECK(names(claim(writer, 1000, 1060, 3)) ==
          kinds_t{"sla_respond@SR20260512002", "survey_remind@SR20260512001", "sla_respond@SR20260512001"});
    CHECK(claim(writer, 1000, 1060, 3).empty());
  }

  SECTION("completing an unknown timer is not_found") {
    CHECK(error_code_of([&] { write(writer, [](store::transaction& tx) { tx.complete_timer(987654); }); }) ==
          store::errc::not_found);
  }
}

TEST_CASE("cancel_timers cancels a ticket's pending timers of one kind or of every kind", "[store][timers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  write(writer, [&](store::transaction& tx) {
    tx.schedule_timer(timer("sla_onsite", "SR20260512001", 100));
    tx.schedule_timer(timer("sla_respond", "SR20260512001", 500));
    tx.schedule_timer(timer("sla_resolve", "SR20260512001", 600));
    tx.schedule_timer(timer("sla_respond", "SR20260512002", 500));
  });
  // The onsite deadline is firing right now on some worker.
  REQUIRE(names(claim(writer, 100, 160)) == kinds_t{"sla_onsite@SR20260512001"});

  auto states = [&](const std::string& ticket) {
    kinds_t out;
    for (const auto& t : of_ticket(writer, ticket)) out.push_back(t.kind + ":" + t.state);
    return out;
  };

  SECTION("by kind") {
    write(writer, [](store::transaction& tx) { tx.cancel_timers("SR20260512001", "sla_respond"); });
    CHECK(states("SR20260512001") ==
          kinds_t{"sla_onsite:claimed", "sla_respond:cancelled", "sla_resolve:pending"});
    CHECK(states("SR20260512002") == kinds_t{"sla_respond:pending"});
    // The claimed one was left alone: when its lease runs out it is taken over like any other.
    CHECK(names(claim(writer, 1000, 1060)) ==
          kinds_t{"sla_onsite@SR20260512001", "sla_respond@SR20260512002", "sla_resolve@SR20260512001"});
  }

  SECTION("every kind") {
    write(writer, [](store::transaction& tx) { tx.cancel_timers("SR20260512001", ""); });
    CHECK(states("SR20260512001") ==
          kinds_t{"sla_onsite:claimed", "sla_respond:cancelled", "sla_resolve:cancelled"});
    CHECK(states("SR20260512002") == kinds_t{"sla_respond:pending"});
    CHECK(names(claim(writer, 1000, 1060)) == kinds_t{"sla_onsite@SR20260512001", "sla_respond@SR20260512002"});
  }

  SECTION("a ticket without timers is no error") {
    write(writer, [](store::transaction& tx) { tx.cancel_timers("SR20990101001", ""); });
    CHECK(states("SR20260512001") == kinds_t{"sla_onsite:claimed", "sla_respond:pending", "sla_resolve:pending"});
  }
}
