// Conversations: optimistic versioning, so two writers never silently overwrite each other.

#include <vector>

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("save_conversation inserts at version 0 and then checks the version", "[store][conversations]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  store::conversation_record c;
  c.channel = "wechat";
  c.channel_id = "oUser1";
  c.customer_id = 7;
  c.state_json = R"({"state":"intake","awaiting":"model","slots":{"problem":"噪音 🔊"}})";
  c.updated_at = 1000;

  CHECK_FALSE(read_value(writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser1"); }));
  std::int64_t v1 = 0;
  write(writer, [&](store::transaction& tx) { v1 = tx.save_conversation(c); });
  CHECK(v1 == 1);

  auto stored = read_value(writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser1"); });
  REQUIRE(stored);
  CHECK(stored->channel == "wechat");
  CHECK(stored->channel_id == "oUser1");
  CHECK(stored->customer_id == 7);
  CHECK(stored->state_json == c.state_json);
  CHECK(stored->version == 1);
  CHECK(stored->updated_at == 1000);

  SECTION("saving with the current version bumps it") {
    auto next = *stored;
    next.state_json = R"({"state":"intake","awaiting":"serial"})";
    next.updated_at = 2000;
    std::int64_t v2 = 0;
    write(writer, [&](store::transaction& tx) {
      v2 = tx.lock_conversation("wechat", "oUser1") ? tx.save_conversation(next) : -1;
    });
    CHECK(v2 == 2);
    auto after = read_value(writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser1"); });
    REQUIRE(after);
    CHECK(after->version == 2);
    CHECK(after->state_json == next.state_json);
    CHECK(after->updated_at == 2000);

    // The same stale copy saved again lost the race and must not overwrite.
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.save_conversation(next); }); }) ==
          store::errc::conflict);
    auto unchanged =
        read_value(writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser1"); });
    REQUIRE(unchanged);
    CHECK(unchanged->version == 2);
  }

  SECTION("inserting again at version 0 is a conflict, not a duplicate") {
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.save_conversation(c); }); }) ==
          store::errc::conflict);
  }

  SECTION("a version that never existed is a conflict") {
    auto wrong = *stored;
    wrong.version = 5;
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.save_conversation(wrong); }); }) ==
          store::errc::conflict);
  }

  SECTION("a conflicting unit fails alone in its batch") {
    auto stale = *stored;
    stale.version = 9;
    auto fresh = c;
    fresh.channel_id = "oUser2";
    std::vector<store::unit_of_work> units{
        [&](store::transaction& tx) { tx.save_conversation(stale); },
        [&](store::transaction& tx) { tx.save_conversation(fresh); },
    };
    auto results = writer.write_batch(units);
    REQUIRE(results.size() == 2);
    REQUIRE(results[0]);
    CHECK(error_code_of([&] { std::rethrow_exception(results[0]); }) == store::errc::conflict);
    CHECK_FALSE(results[1]);
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser2"); }));
  }
}
