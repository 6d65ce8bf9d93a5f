// The outbox: one entry per idempotency key, listed by state.

#include <optional>
#include <string>
#include <vector>

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

namespace {

store::outbox_entry entry(const std::string& key, const std::string& state = "pending") {
  store::outbox_entry e;
  e.idempotency_key = key;
  e.channel = "wechat";
  e.recipient = "oUser1";
  e.payload_json = R"({"msgtype":"text","text":{"content":"您的工单已受理 ✅"}})";
  e.ticket = "SR20260512001";
  e.plan = "cs";
  e.state = state;
  e.attempts = 2;
  e.next_attempt_at = 1778551260;
  e.lease_until = 1778551230;
  e.last_error = "errcode 45015";
  e.created_at = 1778551200;
  e.sent_at = 0;
  return e;
}

std::vector<store::outbox_entry> listed(store::connection& c, const std::string& state, int limit = 100) {
  return read_value(c, [&](store::transaction& tx) { return tx.list_outbox(state, limit); });
}

}  // namespace

TEST_CASE("enqueue keeps one entry per idempotency key", "[store][outbox]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::int64_t first = 0, again = 0, other = 0;
  write(writer, [&](store::transaction& tx) { first = tx.enqueue(entry("ticket:SR20260512001:accepted")); });
  write(writer, [&](store::transaction& tx) {
    // A redelivered webhook builds the same message again; the first one stands.
    auto changed = entry("ticket:SR20260512001:accepted");
    changed.payload_json = "{}";
    again = tx.enqueue(changed);
    other = tx.enqueue(entry("ticket:SR20260512001:assigned"));
  });
  CHECK(first > 0);
  CHECK(again == first);
  CHECK(other != first);

  const auto all = listed(writer, "");
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == first);
  CHECK(all[1].id == other);

  const auto expected = entry("ticket:SR20260512001:accepted");
  const auto& e = all[0];
  CHECK(e.idempotency_key == expected.idempotency_key);
  CHECK(e.channel == expected.channel);
  CHECK(e.recipient == expected.recipient);
  CHECK(e.payload_json == expected.payload_json);
  CHECK(e.ticket == expected.ticket);
  CHECK(e.plan == expected.plan);
  CHECK(e.state == expected.state);
  CHECK(e.attempts == expected.attempts);
  CHECK(e.next_attempt_at == expected.next_attempt_at);
  CHECK(e.lease_until == expected.lease_until);
  CHECK(e.last_error == expected.last_error);
  CHECK(e.created_at == expected.created_at);
  CHECK(e.sent_at == expected.sent_at);
}

TEST_CASE("enqueue_new tells a new entry from one already queued", "[store][outbox]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::optional<std::int64_t> first, again, other;
  std::int64_t via_enqueue = 0;
  write(writer, [&](store::transaction& tx) { first = tx.enqueue_new(entry("reply:sms:SM1:0", "sending")); });
  write(writer, [&](store::transaction& tx) {
    // The same cause again: nothing new to send, and the queued entry is left as it was.
    auto changed = entry("reply:sms:SM1:0");
    changed.payload_json = "{}";
    again = tx.enqueue_new(changed);
    via_enqueue = tx.enqueue(changed);
    other = tx.enqueue_new(entry("reply:sms:SM2:0"));
  });
  REQUIRE(first);
  CHECK_FALSE(again);
  CHECK(via_enqueue == *first);
  REQUIRE(other);
  CHECK(*other != *first);
  const auto all = listed(writer, "");
  REQUIRE(all.size() == 2);
  CHECK(all[0].state == "sending");
  CHECK(all[0].payload_json == entry("x").payload_json);
}

TEST_CASE("list_outbox filters by state, oldest first, up to the limit", "[store][outbox]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  write(writer, [](store::transaction& tx) {
    tx.enqueue(entry("k1"));
    tx.enqueue(entry("k2", "dead"));
    tx.enqueue(entry("k3"));
    tx.enqueue(entry("k4", "sent"));
    tx.enqueue(entry("k5", "dead"));
  });
  auto keys = [](const std::vector<store::outbox_entry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.idempotency_key);
    return out;
  };
  using keys_t = std::vector<std::string>;

  CHECK(keys(listed(writer, "")) == keys_t{"k1", "k2", "k3", "k4", "k5"});
  CHECK(keys(listed(writer, "pending")) == keys_t{"k1", "k3"});
  CHECK(keys(listed(writer, "dead")) == keys_t{"k2", "k5"});
  CHECK(keys(listed(writer, "sending")).empty());
  CHECK(keys(listed(writer, "", 2)) == keys_t{"k1", "k2"});
  CHECK(keys(listed(writer, "dead", 1)) == keys_t{"k2"});
}
