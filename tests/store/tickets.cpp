// Tickets: numbering, a full round trip of every field, the audit trail and the transcript.

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

TEST_CASE("ticket numbers run per day from 001", "[store][tickets][numbers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  std::vector<std::string> numbers;
  write(writer, [&](store::transaction& tx) {
    numbers.push_back(tx.next_ticket_number("20260512"));
    numbers.push_back(tx.next_ticket_number("20260512"));
    numbers.push_back(tx.next_ticket_number("20260513"));
  });
  write(writer, [&](store::transaction& tx) { numbers.push_back(tx.next_ticket_number("20260512")); });
  CHECK(numbers == std::vector<std::string>{"SR20260512001", "SR20260512002", "SR20260513001", "SR20260512003"});
}

TEST_CASE("the 1000th ticket of a day gets four digits", "[store][tickets][numbers]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  std::vector<std::string> numbers;
  write(*s.writer, [&](store::transaction& tx) {
    for (int i = 0; i < 1001; ++i) numbers.push_back(tx.next_ticket_number("20261231"));
  });
  CHECK(numbers[0] == "SR20261231001");
  CHECK(numbers[98] == "SR20261231099");
  CHECK(numbers[998] == "SR20261231999");
  CHECK(numbers[999] == "SR202612311000");
  CHECK(numbers[1000] == "SR202612311001");
}

TEST_CASE("ticket numbers stay unique under concurrent writers", "[store][tickets][numbers][concurrency]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  CAPTURE(s.db->name());

  // Each thread stands for a separate instance with its own writer connection; every batch
  // draws a number and opens the ticket, as intake does.
  constexpr int writers = 4;
  constexpr int batches = 25;
  std::vector<std::vector<std::string>> drawn(writers);
  std::vector<std::string> errors(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto connection = s.backend->open(true);
        for (int b = 0; b < batches; ++b) {
          std::vector<store::unit_of_work> units(2, [&](store::transaction& tx) {
            auto number = tx.next_ticket_number("20260512");
            tx.insert_ticket(store_tests::minimal_ticket(number, 1000 + w));
            drawn[w].push_back(number);
          });
          for (const auto& failure : connection->write_batch(units)) {
            if (failure) std::rethrow_exception(failure);
          }
        }
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();

  // Catch2 assertions are not thread-safe: check everything here, after the join.
  std::set<std::string> distinct;
  const std::regex shape("SR20260512[0-9]{3,}");
  for (int w = 0; w < writers; ++w) {
    CAPTURE(w, errors[w]);
    CHECK(errors[w].empty());
    for (const auto& n : drawn[w]) {
      CHECK(std::regex_match(n, shape));
      distinct.insert(n);
    }
  }
  CHECK(distinct.size() == writers * batches * 2);
  const auto all_found = read_value(*s.writer, [&](store::transaction& tx) {
    for (const auto& n : distinct) {
      if (!tx.find_ticket(n)) return false;
    }
    return true;
  });
  CHECK(all_found);
}

TEST_CASE("a ticket round-trips every field", "[store][tickets]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  const auto full = store_tests::full_ticket("SR20260512001");
  auto minimal = store_tests::minimal_ticket("SR20260512002", 1778551300);
  write(writer, [&](store::transaction& tx) {
    tx.insert_ticket(full);
    tx.insert_ticket(minimal);
  });

  SECTION("as inserted, optional fields set") {
    auto found = read_value(writer, [&](store::transaction& tx) { return tx.find_ticket(full.number); });
    REQUIRE(found);
    store_tests::check_same_ticket(*found, full);
  }

  SECTION("as inserted, optional fields unset") {
    auto found = read_value(writer, [&](store::transaction& tx) { return tx.find_ticket(minimal.number); });
    REQUIRE(found);
    CHECK_FALSE(found->in_warranty);
    CHECK_FALSE(found->respond_by);
    CHECK_FALSE(found->resolve_by);
    CHECK_FALSE(found->onsite_by);
    CHECK(found->attachments.empty());
    store_tests::check_same_ticket(*found, minimal);
  }

  SECTION("after an update of every mutable field") {
    auto changed = full;
    changed.type = "complaint";
    changed.priority = "critical";
    changed.state = "resolved";
    changed.stage = "awaiting_confirmation";
    changed.channel = "sms";
    changed.language = "en";
    changed.customer_id = 43;
    changed.customer_name = "Mr Zhang";
    changed.phone = "+8613900000001";
    changed.channel_id = "+8613900000001";
    changed.customer_no = "";
    changed.model = "ABC-3000";
    changed.serial = "SN0000001";
    changed.purchase_date = "";
    changed.in_warranty = std::nullopt;
    changed.problem = "smells like burning 🔥";
    changed.attachments = {{"video", "media-id-9"}};
    changed.service_method = "carry_in";
    changed.assignee = "E002";
    changed.respond_by = std::nullopt;
    changed.resolve_by = 1778700000;
    changed.onsite_by = std::nullopt;
    changed.breached = false;
    changed.satisfaction_score = "dissatisfied";
    changed.satisfaction_comment = "还是有噪音";
    changed.attributes_json = R"({"agreement":"AG-1"})";
    changed.updated_at = 1778600000;
    write(writer, [&](store::transaction& tx) { tx.update_ticket(changed); });

    auto found = read_value(writer, [&](store::transaction& tx) { return tx.find_ticket(full.number); });
    REQUIRE(found);
    store_tests::check_same_ticket(*found, changed);
    // The other ticket was not touched.
    auto other = read_value(writer, [&](store::transaction& tx) { return tx.find_ticket(minimal.number); });
    REQUIRE(other);
    store_tests::check_same_ticket(*other, minimal);
  }

  SECTION("a second insert of a number is a duplicate; unknown numbers are absent / not_found") {
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.insert_ticket(minimal); }); }) ==
          store::errc::duplicate);
    CHECK_FALSE(read_value(writer, [](store::transaction& tx) { return tx.find_ticket("SR20000101001"); }));
    auto ghost = store_tests::minimal_ticket("SR20000101001", 1);
    CHECK(error_code_of([&] { write(writer, [&](store::transaction& tx) { tx.update_ticket(ghost); }); }) ==
          store::errc::not_found);
  }
}

TEST_CASE("ticket events come back in time order, ties in insertion order", "[store][tickets][events]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  write(writer, [](store::transaction& tx) {
    tx.insert_ticket(store_tests::minimal_ticket("SR20260512001", 100));
    tx.insert_ticket(store_tests::minimal_ticket("SR20260512002", 100));
    tx.append_event({"SR20260512001", 100, "bot", "created", "{}"});
    tx.append_event({"SR20260512002", 100, "bot", "created", "{}"});
    tx.append_event({"SR20260512001", 100, "bot", "assigned", R"({"engineer":"E001","reason":"规则"})"});
    tx.append_event({"SR20260512001", 300, "E001", "progress", R"({"step":"onsite"})"});
  });
  write(writer, [](store::transaction& tx) {
    // Recorded later but stamped earlier (a clock read before a slow step): time order wins.
    tx.append_event({"SR20260512001", 200, "S001", "note", R"({"text":"客户改约 📅"})"});
  });

  auto events = read_value(writer, [](store::transaction& tx) { return tx.ticket_events("SR20260512001"); });
  REQUIRE(events.size() == 4);
  CHECK(events[0].event == "created");
  CHECK(events[1].event == "assigned");
  CHECK(events[1].detail_json == R"({"engineer":"E001","reason":"规则"})");
  CHECK(events[2].event == "note");
  CHECK(events[2].actor == "S001");
  CHECK(events[2].at == 200);
  CHECK(events[2].detail_json == R"({"text":"客户改约 📅"})");
  CHECK(events[3].event == "progress");
  for (const auto& e : events) CHECK(e.ticket == "SR20260512001");

  CHECK(read_value(writer, [](store::transaction& tx) { return tx.ticket_events("SR20260512002"); }).size() == 1);
  CHECK(read_value(writer, [](store::transaction& tx) { return tx.ticket_events("SR20990101001"); }).empty());
}

TEST_CASE("the intake transcript is attached to the ticket it opened", "[store][tickets][messages]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  constexpr std::int64_t customer = 7;

  write(writer, [](store::transaction& tx) {
    tx.append_message({customer, "wechat", "", 5, "in", "上周的消息"});  // before this intake
    tx.append_message({customer, "wechat", "", 10, "in", "洗衣机坏了"});
    tx.append_message({customer, "wechat", "", 20, "out", "请问是哪款产品?"});
    tx.append_message({customer, "wechat", "", 20, "in", "ABC-2000 😀"});  // same second as the reply
    tx.append_message({customer, "sms", "", 15, "in", "other channel"});
    tx.append_message({customer + 1, "wechat", "", 15, "in", "other customer"});
  });
  write(writer, [](store::transaction& tx) {
    tx.attach_messages(customer, "wechat", 10, "SR20260512001");
    tx.append_message({customer, "wechat", "SR20260512001", 30, "out", "工单 SR20260512001 已受理"});
  });

  auto transcript = read_value(writer, [](store::transaction& tx) { return tx.ticket_messages("SR20260512001"); });
  REQUIRE(transcript.size() == 4);
  CHECK(transcript[0].text == "洗衣机坏了");
  CHECK(transcript[0].direction == "in");
  CHECK(transcript[0].at == 10);
  CHECK(transcript[1].text == "请问是哪款产品?");
  CHECK(transcript[1].direction == "out");
  CHECK(transcript[2].text == "ABC-2000 😀");
  CHECK(transcript[3].text == "工单 SR20260512001 已受理");
  for (const auto& m : transcript) {
    CHECK(m.customer_id == customer);
    CHECK(m.channel == "wechat");
    CHECK(m.ticket == "SR20260512001");
  }

  SECTION("attaching again takes only messages that have no ticket yet") {
    write(writer, [](store::transaction& tx) { tx.attach_messages(customer, "wechat", 0, "SR20260512002"); });
    auto second = read_value(writer, [](store::transaction& tx) { return tx.ticket_messages("SR20260512002"); });
    REQUIRE(second.size() == 1);
    CHECK(second[0].text == "上周的消息");
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.ticket_messages("SR20260512001"); }).size() == 4);
  }
}
