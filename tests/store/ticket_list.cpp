// The staff list: filters, substring search with literal wildcards, and cursor paging.

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

namespace {

store::ticket_page list(store::connection& c, const store::ticket_filter& f) {
  return read_value(c, [&](store::transaction& tx) { return tx.list_tickets(f); });
}

std::vector<std::string> numbers_of(const store::ticket_page& page) {
  std::vector<std::string> out;
  for (const auto& t : page.tickets) out.push_back(t.number);
  return out;
}

using numbers = std::vector<std::string>;

}  // namespace

TEST_CASE("list_tickets applies every filter given, newest first", "[store][tickets][list]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  auto a = store_tests::minimal_ticket("SR20260512001", 1000);
  a.state = "pending_assignment";
  a.type = "repair";
  a.priority = "urgent";
  a.channel = "wechat";
  a.serial = "SN100";
  a.phone = "+8613800000001";
  a.customer_name = "张先生";
  a.problem = "脱水时噪音很大";

  auto b = store_tests::minimal_ticket("SR20260512002", 2000);
  b.state = "assigned";
  b.assignee = "E001";
  b.type = "repair";
  b.priority = "normal";
  b.channel = "sms";
  b.serial = "SN_200";
  b.phone = "+8613800000002";
  b.customer_name = "Ms Li";
  b.problem = "100% broken";

  auto c = store_tests::minimal_ticket("SR20260513001", 3000);
  c.state = "assigned";
  c.assignee = "E002";
  c.type = "complaint";
  c.priority = "critical";
  c.channel = "email";
  c.serial = "SN300";
  c.phone = "+8613800000003";
  c.customer_name = "Mr Zhang";
  c.problem = "smoke!";

  auto d = store_tests::minimal_ticket("SR20260513002", 4000);
  d.state = "closed";
  d.assignee = "E001";
  d.type = "installation";
  d.priority = "low";
  d.channel = "wechat";
  d.serial = "SNX200";
  d.phone = "+8613800000004";
  d.customer_name = "王女士";
  d.problem = "100 percent fine";

  write(writer, [&](store::transaction& tx) {
    for (const auto* t : {&a, &b, &c, &d}) tx.insert_ticket(*t);
  });

  auto query = [&](store::ticket_filter f) { return numbers_of(list(writer, f)); };
  store::ticket_filter f;

  CHECK(query(f) == numbers{d.number, c.number, b.number, a.number});

  f = {};
  f.state = "assigned";
  CHECK(query(f) == numbers{c.number, b.number});
  f = {};
  f.assignee = "E001";
  CHECK(query(f) == numbers{d.number, b.number});
  f = {};
  f.type = "repair";
  CHECK(query(f) == numbers{b.number, a.number});
  f = {};
  f.priority = "critical";
  CHECK(query(f) == numbers{c.number});
  f = {};
  f.channel = "wechat";
  CHECK(query(f) == numbers{d.number, a.number});
  f = {};
  f.state = "assigned";
  f.assignee = "E001";
  CHECK(query(f) == numbers{b.number});
  f = {};
  f.state = "closed";
  f.type = "repair";
  CHECK(query(f).empty());

  SECTION("from is inclusive, to exclusive") {
    f = {};
    f.from = 2000;
    f.to = 4000;
    CHECK(query(f) == numbers{c.number, b.number});
    f = {};
    f.from = 3001;
    CHECK(query(f) == numbers{d.number});
    f = {};
    f.to = 1000;
    CHECK(query(f).empty());
  }

  SECTION("q searches number, serial, phone, name and problem") {
    const std::vector<std::tuple<std::string, numbers>> cases{
        {"SR20260513", {d.number, c.number}},  // number
        {"SN300", {c.number}},                 // serial
        {"+8613800000004", {d.number}},        // phone
        {"13800000001", {a.number}},           // phone, partial
        {"张先生", {a.number}},                // name
        {"zhang", {c.number}},                 // name, other case
        {"噪音", {a.number}},                  // problem
        {"nothing like it", {}},
    };
    for (const auto& [q, expected] : cases) {
      CAPTURE(q);
      f = {};
      f.q = q;
      CHECK(query(f) == expected);
    }
  }

  SECTION("q takes LIKE wildcards and the escape character literally") {
    const std::vector<std::tuple<std::string, numbers>> cases{
        {"SN_200", {b.number}},                        // '_' would also match SNX200
        {"_", {b.number}},      {"100%", {b.number}},  // '%' would also match "100 percent" and SN100
        {"%", {b.number}},      {"!", {c.number}},    {"e!", {c.number}}, {"\\", {}},
    };
    for (const auto& [q, expected] : cases) {
      CAPTURE(q);
      f = {};
      f.q = q;
      CHECK(query(f) == expected);
    }
  }

  SECTION("filters combine with q") {
    f = {};
    f.q = "100";
    f.channel = "sms";
    CHECK(query(f) == numbers{b.number});
  }

  SECTION("a short list has no next cursor") { CHECK_FALSE(list(writer, {}).next_cursor); }
}

TEST_CASE("paging through 120 tickets sees each once, newest first", "[store][tickets][list]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  // Three tickets per second, so pages must also break ties between equal created_at.
  std::vector<store::ticket_record> all;
  for (int i = 0; i < 120; ++i) {
    char number[32];
    std::snprintf(number, sizeof number, "SR20260512%03d", i + 1);
    auto t = store_tests::minimal_ticket(number, 1'778'551'200 + i / 3);
    t.state = i % 2 ? "assigned" : "pending_assignment";
    all.push_back(t);
  }
  // Inserted out of order: the list order must come from the data, not from insertion.
  write(writer, [&](store::transaction& tx) {
    for (std::size_t i = 0; i < all.size(); i += 2) tx.insert_ticket(all[i]);
    for (std::size_t i = 1; i < all.size(); i += 2) tx.insert_ticket(all[i]);
  });
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return std::tie(x.created_at, x.number) > std::tie(y.created_at, y.number);
  });

  auto page_through = [&](store::ticket_filter f, std::vector<std::size_t>& sizes) {
    numbers seen;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = list(writer, f);
      sizes.push_back(page.tickets.size());
      for (const auto& t : page.tickets) seen.push_back(t.number);
      if (!page.next_cursor) break;
      f.cursor = page.next_cursor;
    }
    return seen;
  };

  SECTION("all tickets, 50 per page") {
    store::ticket_filter f;
    f.limit = 50;
    std::vector<std::size_t> sizes;
    const auto seen = page_through(f, sizes);
    CHECK(sizes == std::vector<std::size_t>{50, 50, 20});
    numbers expected;
    for (const auto& t : all) expected.push_back(t.number);
    CHECK(seen == expected);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 120);
  }

  SECTION("a filtered list pages the same way") {
    store::ticket_filter f;
    f.state = "assigned";
    f.limit = 7;
    std::vector<std::size_t> sizes;
    const auto seen = page_through(f, sizes);
    numbers expected;
    for (const auto& t : all) {
      if (t.state == "assigned") expected.push_back(t.number);
    }
    CHECK(seen == expected);
    CHECK(sizes.size() == 9);  // 60 rows: 8 full pages and one of 4
  }

  SECTION("a page of exactly the remaining rows ends the list") {
    store::ticket_filter f;
    f.limit = 60;
    std::vector<std::size_t> sizes;
    page_through(f, sizes);
    CHECK(sizes == std::vector<std::size_t>{60, 60});
  }

  SECTION("limit is clamped to 1..200") {
    store::ticket_filter f;
    f.limit = 0;
    auto one = list(writer, f);
    CHECK(one.tickets.size() == 1);
    CHECK(one.next_cursor);
    f.limit = -5;
    CHECK(list(writer, f).tickets.size() == 1);
    f.limit = 100000;
    auto everything = list(writer, f);
    CHECK(everything.tickets.size() == 120);
    CHECK_FALSE(everything.next_cursor);
  }

  SECTION("an empty cursor means the first page") {
    store::ticket_filter f;
    f.limit = 5;
    f.cursor = "";
    CHECK(list(writer, f).tickets.front().number == all.front().number);
  }
}

TEST_CASE("a malformed cursor is std::invalid_argument, not a store error", "[store][tickets][list]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  write(writer, [](store::transaction& tx) { tx.insert_ticket(store_tests::minimal_ticket("SR20260512001", 1000)); });

  for (const char* cursor : {"garbage", "1000", ":SR20260512001", "abc:SR20260512001", "1000:", "1000:SR 1",
                             "12x:SR20260512001", "99999999999999999999999:SR1", "1000:SR1' OR '1'='1", "1000:SR1%"}) {
    CAPTURE(cursor);
    store::ticket_filter f;
    f.cursor = cursor;
    CHECK_THROWS_AS(list(writer, f), std::invalid_argument);
  }
  // The connection is fine afterwards.
  CHECK(list(writer, {}).tickets.size() == 1);
}
