// The outbox worker's side of the outbox: due entries are claimed under a lease, a lease that
// runs out makes them claimable again, and every attempt ends sent, back to pending, or dead.

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::pending_message;
using store_tests::read_value;
using store_tests::write;

namespace {

using keys_t = std::vector<std::string>;

keys_t keys(const std::vector<store::outbox_entry>& entries) {
  keys_t out;
  for (const auto& e : entries) out.push_back(e.idempotency_key);
  return out;
}

std::vector<store::outbox_entry> claim(store::connection& c, std::int64_t now, std::int64_t lease_until,
                                       int limit = 100) {
  std::vector<store::outbox_entry> claimed;
  write(c, [&](store::transaction& tx) { claimed = tx.claim_outbox(now, lease_until, limit); });
  return claimed;
}

store::outbox_entry found(store::connection& c, std::int64_t id) {
  auto e = read_value(c, [&](store::transaction& tx) { return tx.find_outbox(id); });
  if (!e) throw std::logic_error("outbox entry " + std::to_string(id) + " is gone");
  return *e;
}

std::int64_t counted(store::connection& c, const std::string& state) {
  return read_value(c, [&](store::transaction& tx) { return tx.count_outbox(state); });
}

}  // namespace

TEST_CASE("claim_outbox leases the due entries, oldest first, until the lease runs out", "[store][outbox][worker]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  write(writer, [](store::transaction& tx) {
    tx.enqueue(pending_message("a", 100));
    tx.enqueue(pending_message("later", 200));
    tx.enqueue(pending_message("b", 100));
    auto sent = pending_message("sent", 100);
    sent.state = "sent";
    tx.enqueue(sent);
    auto dead = pending_message("dead", 100);
    dead.state = "dead";
    tx.enqueue(dead);
    tx.enqueue(pending_message("c", 150));  // due exactly at the claim time
  });

  const auto claimed = claim(writer, 150, 210);
  CHECK(keys(claimed) == keys_t{"a", "b", "c"});
  for (const auto& e : claimed) {
    CAPTURE(e.idempotency_key);
    CHECK(e.state == "sending");
    CHECK(e.lease_until == 210);
    CHECK(e.attempts == 1);
    // What the worker sends comes back whole.
    CHECK(e.channel == "sms");
    CHECK(e.recipient == "+8613800135678");
    CHECK(e.payload_json == R"({"Body":"您的工单 SR20260512001 已受理 ✅"})");
    CHECK(e.plan == "sms");
    // The claim is stored, not just returned.
    const auto stored = found(writer, e.id);
    CHECK(stored.state == "sending");
    CHECK(stored.lease_until == 210);
    CHECK(stored.attempts == 1);
  }
  CHECK(counted(writer, "sending") == 3);
  CHECK(counted(writer, "pending") == 1);

  SECTION("a second claim while the lease holds gets only what fell due since") {
    CHECK(claim(writer, 160, 220).empty());
    CHECK(keys(claim(writer, 200, 260)) == keys_t{"later"});
    // lease_until is the last second the lease holds.
    CHECK(claim(writer, 210, 270).empty());
  }

  SECTION("after the lease runs out the entries are claimed again, as another attempt") {
    const auto again = claim(writer, 211, 300);
    CHECK(keys(again) == keys_t{"a", "later", "b", "c"});
    for (const auto& e : again) {
      CAPTURE(e.idempotency_key);
      CHECK(e.state == "sending");
      CHECK(e.lease_until == 300);
      CHECK(e.attempts == (e.idempotency_key == "later" ? 1 : 2));
    }
  }

  SECTION("sent and dead entries are never claimed") {
    claim(writer, 1000000, 1000060);
    CHECK(claim(writer, 2000000, 2000060).size() == 4);
    CHECK(counted(writer, "sent") == 1);
    CHECK(counted(writer, "dead") == 1);
  }
}

TEST_CASE("claim_outbox takes at most `limit` entries", "[store][outbox][worker]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  write(writer, [](store::transaction& tx) {
    for (const char* key : {"a", "b", "c"}) tx.enqueue(pending_message(key, 100));
  });

  CHECK(claim(writer, 100, 200, 0).empty());
  CHECK(keys(claim(writer, 100, 200, 2)) == keys_t{"a", "b"});
  CHECK(keys(claim(writer, 100, 200, 2)) == keys_t{"c"});
  CHECK(claim(writer, 100, 200, 2).empty());
}

TEST_CASE("a claim rolled back with its unit leaves the entries due", "[store][outbox][worker]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  std::int64_t id = 0;
  write(writer, [&](store::transaction& tx) { id = tx.enqueue(pending_message("a", 100)); });

  CHECK_THROWS_WITH(write(writer,
                          [](store::transaction& tx) {
                            REQUIRE(tx.claim_outbox(100, 200, 10).size() == 1);
                            throw std::runtime_error("worker gave up");
                          }),
                    "worker gave up");
  const auto e = found(writer, id);
  CHECK(e.state == "pending");
  CHECK(e.attempts == 0);
  CHECK(keys(claim(writer, 100, 200)) == keys_t{"a"});
}

TEST_CASE("a claimed entry ends sent, back to pending, or dead", "[store][outbox][worker]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  std::int64_t id = 0, other = 0;
  write(writer, [&](store::transaction& tx) {
    id = tx.enqueue(pending_message("a", 100));
    other = tx.enqueue(pending_message("b", 100));
  });
  REQUIRE(claim(writer, 100, 1000).size() == 2);

  SECTION("a failed attempt waits for its next attempt time, keeping the error") {
    write(writer,
          [&](store::transaction& tx) { tx.mark_outbox_failed(id, "HTTP 503 from api.twilio.com", 400, false); });
    auto e = found(writer, id);
    CHECK(e.state == "pending");
    CHECK(e.next_attempt_at == 400);
    CHECK(e.last_error == "HTTP 503 from api.twilio.com");
    CHECK(e.attempts == 1);
    CHECK(counted(writer, "pending") == 1);

    CHECK(claim(writer, 399, 460).empty());
    const auto retry = claim(writer, 400, 460);
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].id == id);
    CHECK(retry[0].attempts == 2);

    SECTION("and a later success clears it") {
      write(writer, [&](store::transaction& tx) { tx.mark_outbox_sent(id, 430); });
      e = found(writer, id);
      CHECK(e.state == "sent");
      CHECK(e.sent_at == 430);
      CHECK(e.last_error.empty());
      CHECK(e.attempts == 2);
    }
  }

  SECTION("a sent entry records when") {
    write(writer, [&](store::transaction& tx) { tx.mark_outbox_sent(id, 130); });
    const auto e = found(writer, id);
    CHECK(e.state == "sent");
    CHECK(e.sent_at == 130);
    // Long after both leases ran out, only the unsent one is taken over.
    const auto later = claim(writer, 1000000, 1000060);
    REQUIRE(later.size() == 1);
    CHECK(later[0].id == other);
    CHECK(found(writer, id).state == "sent");
  }

  SECTION("a dead entry is listed as dead and never claimed again") {
    write(writer, [&](store::transaction& tx) { tx.mark_outbox_failed(id, "errcode 43004", 0, true); });
    const auto e = found(writer, id);
    CHECK(e.state == "dead");
    CHECK(e.last_error == "errcode 43004");

    const auto dead = read_value(writer, [](store::transaction& tx) { return tx.list_outbox("dead", 100); });
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].id == id);
    CHECK(counted(writer, "dead") == 1);

    const auto later = claim(writer, 1000000, 1000060);
    REQUIRE(later.size() == 1);
    CHECK(later[0].id == other);
  }

  SECTION("count_outbox counts by state, or all") {
    write(writer, [&](store::transaction& tx) {
      tx.mark_outbox_sent(id, 130);
      tx.mark_outbox_failed(other, "timeout", 0, true);
      tx.enqueue(pending_message("c", 500));
    });
    CHECK(counted(writer, "") == 3);
    CHECK(counted(writer, "pending") == 1);
    CHECK(counted(writer, "sending") == 0);
    CHECK(counted(writer, "sent") == 1);
    CHECK(counted(writer, "dead") == 1);
    CHECK(counted(writer, "cancelled") == 0);
  }

  SECTION("an unknown entry is absent, and marking it is not_found") {
    CHECK_FALSE(read_value(writer, [](store::transaction& tx) { return tx.find_outbox(987654); }));
    CHECK(error_code_of([&] { write(writer, [](store::transaction& tx) { tx.mark_outbox_sent(987654, 1); }); }) ==
          store::errc::not_found);
    CHECK(error_code_of([&] {
            write(writer, [](store::transaction& tx) { tx.mark_outbox_failed(987654, "x", 1, false); });
          }) == store::errc::not_found);
  }
}
