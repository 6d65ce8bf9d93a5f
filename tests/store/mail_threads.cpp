// E-mail threading: a reply's In-Reply-To / References name a Message-ID we remembered, which
// leads to the customer's address and ticket; the customer is then found by that identity.

#include <string>

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("a remembered Message-ID finds its customer address and ticket", "[store][mail]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  const store::mail_thread_record sent{"SR20260512001.1778551200.7f3a@bot.example.com", "zhang.san@example.com",
                                       "SR20260512001", 1778551200};
  const store::mail_thread_record received{"CAJx+9=q_Z@mail.gmail.com", "zhang.san@example.com", "", 1778551100};
  write(writer, [&](store::transaction& tx) {
    tx.remember_mail(sent);
    tx.remember_mail(received);
  });

  auto find = [&](const std::string& id) {
    return read_value(writer, [&](store::transaction& tx) { return tx.find_mail(id); });
  };
  const auto found = find(sent.message_id);
  REQUIRE(found);
  CHECK(found->message_id == sent.message_id);
  CHECK(found->channel_id == sent.channel_id);
  CHECK(found->ticket == sent.ticket);
  CHECK(found->at == sent.at);

  const auto intake = find(received.message_id);
  REQUIRE(intake);
  CHECK(intake->ticket.empty());
  CHECK(intake->at == received.at);

  CHECK_FALSE(find("unknown@example.com"));

  SECTION("remembering a Message-ID again is ignored; the first mapping stands") {
    write(writer, [&](store::transaction& tx) {
      tx.remember_mail({sent.message_id, "someone.else@example.com", "SR20260512999", 1778560000});
    });
    const auto again = find(sent.message_id);
    REQUIRE(again);
    CHECK(again->channel_id == sent.channel_id);
    CHECK(again->ticket == sent.ticket);
    CHECK(again->at == sent.at);
  }
}

TEST_CASE("find_customer_by_identity finds an existing customer and creates none", "[store][mail][customers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  auto find = [&](const char* channel, const char* id) {
    return read_value(writer,
                      [&](store::transaction& tx) { return tx.find_customer_by_identity(channel, id); });
  };

  CHECK_FALSE(find("email", "zhang.san@example.com"));
  // Looking did not create it.
  CHECK_FALSE(find("email", "zhang.san@example.com"));

  store::customer_record created;
  write(writer, [&](store::transaction& tx) {
    created = tx.find_or_create_customer("email", "zhang.san@example.com", 1000);
    created.name = "张三";
    created.language = "zh-CN";
    tx.update_customer(created);
  });

  const auto found = find("email", "zhang.san@example.com");
  REQUIRE(found);
  CHECK(found->id == created.id);
  CHECK(found->channel == "email");
  CHECK(found->channel_id == "zhang.san@example.com");
  CHECK(found->name == "张三");
  CHECK(found->language == "zh-CN");
  CHECK_FALSE(found->opted_out);

  // The identity is the pair: the same address on another channel is someone else.
  CHECK_FALSE(find("sms", "zhang.san@example.com"));
  CHECK_FALSE(find("email", "li.si@example.com"));
}
