// Upgrading a database written by an older binary. SQLite only for now: a version-1 database is
// made with the backend's own hook (make_backend with the first migration step alone); the
// MySQL backend needs the same hook in backends.hpp before this case can run on both.

#include <string>
#include <vector>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_backend.hpp"
#include "tests/store/backends.hpp"
#include "tests/store/legacy_sqlite.hpp"
#include "tests/store/samples.hpp"

using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::temp_directory;
using store_tests::write;

TEST_CASE("sqlite: a version 1 database is upgraded to version 2 with its data intact", "[store][schema][sqlite]") {
  temp_directory dir;
  const auto path = (dir.path() / "servicebot.db").string();
  const auto& steps = store::sqlite::builtin_migrations();
  REQUIRE(steps.size() >= 2);
  REQUIRE(steps[1].version == 2);

  // What a version-1 binary in the field left behind, an outbox entry half-way included.
  const auto ticket = store_tests::full_ticket("SR20260512001");
  std::int64_t customer_id = 0, pending = 0, sending = 0;
  {
    auto v1 = store::sqlite::make_backend(path, std::vector<store::sqlite::migration>{steps[0]});
    auto writer = v1->open(true);
    writer->migrate();
    REQUIRE(writer->schema_version() == 1);
    store_tests::insert_legacy_ticket(path, ticket);
    write(*writer, [&](store::transaction& tx) {
      tx.record_inbound({"email", "<abc@mail.example.com>", "zhang.san@example.com", 1000, ""});
      auto customer = tx.find_or_create_customer("email", "zhang.san@example.com", 1000);
      customer.name = "张三";
      tx.update_customer(customer);
      customer_id = customer.id;
      tx.append_event({ticket.number, 1000, "bot", "created", "{}"});
      pending = tx.enqueue(store_tests::pending_message("accepted", 1000));
      auto leased = store_tests::pending_message("assigned", 1000);
      leased.state = "sending";
      leased.attempts = 1;
      leased.lease_until = 1030;
      sending = tx.enqueue(leased);
    });
  }

  auto backend = store::sqlite::make_backend(path);
  auto writer = backend->open(true);
  CHECK(writer->schema_version() == 1);
  writer->migrate();
  CHECK(writer->schema_version() == steps.back().version);

  writer->read([&](store::transaction& tx) {
    CHECK(tx.find_inbound("email", "<abc@mail.example.com>"));
    const auto customer = tx.find_customer_by_identity("email", "zhang.san@example.com");
    REQUIRE(customer);
    CHECK(customer->id == customer_id);
    CHECK(customer->name == "张三");
    const auto found = tx.find_ticket(ticket.number);
    REQUIRE(found);
    auto expected = ticket;
    expected.attributes_json = "{}";  // version 4's default for tickets written before it
    store_tests::check_same_ticket(*found, expected);
    CHECK(tx.ticket_events(ticket.number).size() == 1);
    CHECK(tx.count_outbox("") == 2);
  });

  // The old outbox is worked by the new worker: the due entry now, the leased one once its
  // lease (from before the upgrade) has run out.
  std::vector<store::outbox_entry> claimed;
  write(*writer, [&](store::transaction& tx) { claimed = tx.claim_outbox(1030, 1090, 10); });
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == pending);
  write(*writer, [&](store::transaction& tx) { claimed = tx.claim_outbox(1031, 1090, 10); });
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == sending);
  CHECK(claimed[0].attempts == 2);

  // The version-2 tables are there and empty.
  write(*writer, [&](store::transaction& tx) {
    CHECK_FALSE(tx.get_setting("wechat.access_token", 1000));
    tx.put_setting("wechat.access_token", "ACCESS_TOKEN", 8200);
    CHECK(tx.use_token_once("mailgun", "token-1", 1900, 1000));
    CHECK(tx.ticket_timers(ticket.number).empty());
    tx.schedule_timer(store_tests::timer("sla_respond", ticket.number, 5000));
    CHECK_FALSE(tx.find_mail("abc@mail.example.com"));
    tx.remember_mail({"abc@mail.example.com", "zhang.san@example.com", ticket.number, 1000});
  });
  writer->read([&](store::transaction& tx) {
    CHECK(tx.get_setting("wechat.access_token", 1000) == "ACCESS_TOKEN");
    CHECK(tx.ticket_timers(ticket.number).size() == 1);
    CHECK(tx.find_mail("abc@mail.example.com"));
  });

  SECTION("migrating again changes nothing, and the version-1 binary now refuses the file") {
    writer->migrate();
    CHECK(writer->schema_version() == steps.back().version);
    auto v1 = store::sqlite::make_backend(path, std::vector<store::sqlite::migration>{steps[0]});
    auto old_writer = v1->open(true);
    CHECK(error_code_of([&] { old_writer->migrate(); }) == store::errc::corrupt);
  }
}
