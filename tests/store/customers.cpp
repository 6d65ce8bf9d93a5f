// Customers, found by channel identity.

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("find_or_create_customer returns the same customer for the same identity", "[store][customers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  store::customer_record first, again, other_channel;
  write(writer, [&](store::transaction& tx) {
    first = tx.find_or_create_customer("wechat", "oUser1", 1000);
    again = tx.find_or_create_customer("wechat", "oUser1", 2000);
    other_channel = tx.find_or_create_customer("sms", "oUser1", 2000);
  });
  CHECK(first.id != 0);
  CHECK(again.id == first.id);
  CHECK(other_channel.id != first.id);
  CHECK(first.channel == "wechat");
  CHECK(first.channel_id == "oUser1");
  CHECK(first.name.empty());
  CHECK_FALSE(first.opted_out);

  SECTION("in a later transaction too") {
    store::customer_record later;
    write(writer, [&](store::transaction& tx) { later = tx.find_or_create_customer("wechat", "oUser1", 3000); });
    CHECK(later.id == first.id);
  }

  SECTION("updates are kept and found by id and by identity") {
    store::customer_record changed = first;
    changed.name = "张先生";
    changed.phone = "+8613800135678";
    changed.customer_no = "C-0042";
    changed.language = "zh-CN";
    changed.opted_out = true;
    write(writer, [&](store::transaction& tx) { tx.update_customer(changed); });

    auto by_id = read_value(writer, [&](store::transaction& tx) { return tx.find_customer(first.id); });
    REQUIRE(by_id);
    CHECK(by_id->id == first.id);
    CHECK(by_id->channel == "wechat");
    CHECK(by_id->channel_id == "oUser1");
    CHECK(by_id->name == "张先生");
    CHECK(by_id->phone == "+8613800135678");
    CHECK(by_id->customer_no == "C-0042");
    CHECK(by_id->language == "zh-CN");
    CHECK(by_id->opted_out);

    store::customer_record by_identity;
    write(writer, [&](store::transaction& tx) { by_identity = tx.find_or_create_customer("wechat", "oUser1", 4000); });
    CHECK(by_identity.name == "张先生");
    CHECK(by_identity.opted_out);
  }

  SECTION("an unknown id is absent, and updating it is not_found") {
    CHECK_FALSE(read_value(writer, [](store::transaction& tx) { return tx.find_customer(987654); }));
    store::customer_record ghost;
    ghost.id = 987654;
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.update_customer(ghost); }); }) ==
          store::errc::not_found);
  }
}
