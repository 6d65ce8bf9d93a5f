// What a batch commits is still there after every connection and the backend are closed and the
// database is opened again (for SQLite: the file, its WAL and all).

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("committed data survives closing and reopening the database", "[store][durability]") {
  auto db = store_tests::open_test_database(GENERATE(from_range(backend_names())));
  CAPTURE(db->name());
  const auto ticket = store_tests::full_ticket("SR20260512001");

  std::int64_t customer_id = 0, outbox_id = 0;
  {
    auto backend = db->open_backend();
    auto writer = backend->open(true);
    auto reader = backend->open(false);  // a reader still open at close must not lose anything
    writer->migrate();
    write(*writer, [&](store::transaction& tx) {
      tx.record_inbound({"wechat", "msg-1", "oUser1", 1000, "passive reply"});
      customer_id = tx.find_or_create_customer("wechat", "oUser1", 1000).id;
      tx.insert_ticket(ticket);
      tx.append_event({ticket.number, 1000, "bot", "created", "{}"});
      tx.append_message({customer_id, "wechat", ticket.number, 1000, "in", "洗衣机坏了"});
      store::outbox_entry e;
      e.idempotency_key = "k1";
      e.channel = "wechat";
      e.recipient = "oUser1";
      e.payload_json = "{}";
      outbox_id = tx.enqueue(e);
      tx.next_ticket_number("20260512");
    });
    CHECK(reader->ping());
  }

  auto backend = db->open_backend();
  auto reader = backend->open(false);
  CHECK(reader->schema_version() == db->latest_schema_version());
  reader->read([&](store::transaction& tx) {
    auto inbound = tx.find_inbound("wechat", "msg-1");
    REQUIRE(inbound);
    CHECK(inbound->reply == "passive reply");
    auto customer = tx.find_customer(customer_id);
    REQUIRE(customer);
    CHECK(customer->channel_id == "oUser1");
    auto found = tx.find_ticket(ticket.number);
    REQUIRE(found);
    store_tests::check_same_ticket(*found, ticket);
    CHECK(tx.ticket_events(ticket.number).size() == 1);
    CHECK(tx.ticket_messages(ticket.number).size() == 1);
    auto outbox = tx.list_outbox("", 10);
    REQUIRE(outbox.size() == 1);
    CHECK(outbox[0].id == outbox_id);
  });

  // The day's sequence continues where it stopped instead of restarting at 001.
  auto writer = backend->open(true);
  writer->migrate();
  std::string next;
  write(*writer, [&](store::transaction& tx) { next = tx.next_ticket_number("20260512"); });
  CHECK(next == "SR20260512002");
}
