// The inbound log: gateway retries are recognised, and the first reply can be replayed.

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("an inbound delivery is recorded once per channel and provider id", "[store][inbound]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  bool first = false, retry = false, other_channel = false;
  write(writer, [&](store::transaction& tx) {
    first = tx.record_inbound({"wechat", "6012345678901234567", "oUser1", 1000, ""});
    // A gateway retry carries the same id; it must be told apart without an exception, so the
    // unit can go on to replay the stored reply.
    retry = tx.record_inbound({"wechat", "6012345678901234567", "oSomeoneElse", 1005, "changed"});
    other_channel = tx.record_inbound({"sms", "6012345678901234567", "+8613800135678", 1006, ""});
  });
  CHECK(first);
  CHECK_FALSE(retry);
  CHECK(other_channel);

  SECTION("the duplicate changed nothing") {
    auto found =
        read_value(writer, [](store::transaction& tx) { return tx.find_inbound("wechat", "6012345678901234567"); });
    REQUIRE(found);
    CHECK(found->channel == "wechat");
    CHECK(found->provider_id == "6012345678901234567");
    CHECK(found->sender == "oUser1");
    CHECK(found->received_at == 1000);
    CHECK(found->reply.empty());
  }

  SECTION("the reply is stored for replay") {
    write(writer, [](store::transaction& tx) {
      tx.set_inbound_reply("wechat", "6012345678901234567",
                           "<xml><Content><![CDATA[请问是哪款产品?]]></Content></xml>");
    });
    auto found =
        read_value(writer, [](store::transaction& tx) { return tx.find_inbound("wechat", "6012345678901234567"); });
    REQUIRE(found);
    CHECK(found->reply == "<xml><Content><![CDATA[请问是哪款产品?]]></Content></xml>");
  }

  SECTION("an unknown delivery is absent, and setting its reply is not_found") {
    auto found =
        read_value(writer, [](store::transaction& tx) { return tx.find_inbound("email", "6012345678901234567"); });
    CHECK_FALSE(found);
    CHECK(error_code_of([&] {
            write(writer, [](store::transaction& tx) { tx.set_inbound_reply("email", "nope", "x"); });
          }) == store::errc::not_found);
  }
}
