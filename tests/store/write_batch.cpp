// Group commit and read snapshots: what a batch keeps when one of its units fails, and what a
// reader sees while the writer works.

#include <stdexcept>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

namespace {

bool has_inbound(store::connection& c, const char* id) {
  return read_value(c, [&](store::transaction& tx) { return tx.find_inbound("wechat", id).has_value(); });
}

store::inbound_record delivery(const char* id) { return {"wechat", id, "oUser", 1000, ""}; }

}  // namespace

TEST_CASE("a batch commits every unit except the ones that threw", "[store][batch]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::int64_t customer_of_b = 0;
  std::vector<store::unit_of_work> units{
      [](store::transaction& tx) { tx.record_inbound(delivery("a")); },
      [&](store::transaction& tx) {
        // Writes, then fails: its writes must vanish with it.
        tx.record_inbound(delivery("b"));
        customer_of_b = tx.find_or_create_customer("wechat", "oUserB", 1000).id;
        throw std::runtime_error("unit b failed");
      },
      [](store::transaction& tx) { tx.record_inbound(delivery("c")); },
      [](store::transaction& tx) {
        // A real database error in the middle of a unit: a duplicate ticket.
        tx.insert_ticket(store_tests::minimal_ticket("SR20260512001", 1000));
      },
  };
  // Unit 3 needs its ticket to exist already for the duplicate.
  write(writer, [](store::transaction& tx) { tx.insert_ticket(store_tests::minimal_ticket("SR20260512001", 1000)); });

  const auto results = writer.write_batch(units);
  REQUIRE(results.size() == 4);
  CHECK_FALSE(results[0]);
  REQUIRE(results[1]);
  CHECK_THROWS_WITH(std::rethrow_exception(results[1]), "unit b failed");
  CHECK_FALSE(results[2]);
  REQUIRE(results[3]);
  CHECK(error_code_of([&] { std::rethrow_exception(results[3]); }) == store::errc::duplicate);

  CHECK(has_inbound(writer, "a"));
  CHECK_FALSE(has_inbound(writer, "b"));
  CHECK(has_inbound(writer, "c"));
  REQUIRE(customer_of_b != 0);
  CHECK_FALSE(read_value(writer, [&](store::transaction& tx) { return tx.find_customer(customer_of_b); }));
}

TEST_CASE("a unit failing with unavailable fails the whole batch", "[store][batch]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::vector<store::unit_of_work> units{
      [](store::transaction& tx) { tx.record_inbound(delivery("a")); },
      [](store::transaction& tx) {
        tx.record_inbound(delivery("b"));
        throw store::store_error(store::errc::unavailable, "disk I/O error");
      },
      [](store::transaction& tx) { tx.record_inbound(delivery("c")); },
  };
  CHECK(error_code_of([&] { writer.write_batch(units); }) == store::errc::unavailable);
  // Nothing was acknowledged, so nothing may be kept: the gateway will retry all of them.
  CHECK_FALSE(has_inbound(writer, "a"));
  CHECK_FALSE(has_inbound(writer, "b"));
  CHECK_FALSE(has_inbound(writer, "c"));

  // The connection recovers for the next batch.
  write(writer, [](store::transaction& tx) { tx.record_inbound(delivery("a")); });
  CHECK(has_inbound(writer, "a"));
}

TEST_CASE("an empty batch does nothing", "[store][batch]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  CHECK(s.writer->write_batch({}).empty());
}

TEST_CASE("read() runs a read-only snapshot of committed data", "[store][batch][read]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  auto reader = s.backend->open(false);

  SECTION("uncommitted writes are invisible to readers, committed ones visible") {
    bool seen_inside = true;
    write(writer, [&](store::transaction& tx) {
      tx.record_inbound(delivery("pending"));
      seen_inside = has_inbound(*reader, "pending");
    });
    CHECK_FALSE(seen_inside);
    CHECK(has_inbound(*reader, "pending"));
  }

  SECTION("a read keeps its snapshot while the writer commits") {
    bool before = true, during = true;
    reader->read([&](store::transaction& tx) {
      before = tx.find_inbound("wechat", "late").has_value();
      write(writer, [](store::transaction& wtx) { wtx.record_inbound(delivery("late")); });
      during = tx.find_inbound("wechat", "late").has_value();
    });
    CHECK_FALSE(before);
    CHECK_FALSE(during);
    CHECK(has_inbound(*reader, "late"));
  }

  SECTION("writing inside read() throws store_error and changes nothing") {
    for (auto* c : {&writer, reader.get()}) {
      CHECK_THROWS_AS(c->read([](store::transaction& tx) { tx.record_inbound(delivery("sneaky")); }),
                      store::store_error);
    }
    CHECK_FALSE(has_inbound(writer, "sneaky"));
  }

  SECTION("what the function throws comes out of read() unchanged") {
    CHECK_THROWS_WITH(reader->read([](store::transaction&) { throw std::runtime_error("from fn"); }), "from fn");
    CHECK(reader->ping());
    CHECK_FALSE(has_inbound(*reader, "a"));
  }
}
