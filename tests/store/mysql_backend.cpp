// What only the MySQL backend promises (utf8mb4 byte for byte, several instances on one database,
// reconnecting, migrations under a named lock), and the hook that runs every backend-independent
// case on MariaDB too (make_mysql_test_database).
//
// The cases here need SB_TEST_MYSQL (format in backends.hpp). With it set they run by default and
// fail when the server cannot be reached; without it they are hidden ([.mysql]) and fail when
// run by name, so a run that claims to cover MySQL always did.

#include "store/mysql/mysql_backend.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/mysql/migrations.hpp"
#include "store/mysql/testing.hpp"
#include "tests/store/backends.hpp"
#include "tests/store/samples.hpp"

namespace store_tests {

namespace {

// Database names go into CREATE / DROP DATABASE as identifiers (they cannot be bound).
bool plain_identifier(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return false;
  }
  return true;
}

class mysql_test_database final : public test_database {
 public:
  explicit mysql_test_database(const store::mysql::options& server) : server_(server) {
    static std::atomic<int> counter{0};
    const std::string name = server.database + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (!plain_identifier(name)) throw std::runtime_error("SB_TEST_MYSQL: database name is not a plain identifier");
    server_.database.clear();
    options_ = server;
    options_.database = name;
    // A database left behind by a crashed run of the same pid would not be empty.
    store::mysql::testing::run_sql(server_, "DROP DATABASE IF EXISTS `" + name + "`");
    store::mysql::testing::run_sql(server_, "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  }

  ~mysql_test_database() override {
    try {
      store::mysql::testing::run_sql(server_, "DROP DATABASE IF EXISTS `" + options_.database + "`");
    } catch (...) {
      // The server is gone; the case already failed for it.
    }
  }

  std::string name() const override { return "mysql"; }

  std::unique_ptr<store::backend> open_backend() override { return store::mysql::make_backend(options_); }

  std::unique_ptr<store::backend> open_newer_binary() override {
    auto steps = store::mysql::builtin_migrations();
    steps.push_back({steps.back().version + 1, {"CREATE TABLE IF NOT EXISTS from_the_future (id BIGINT PRIMARY KEY)"}});
    return store::mysql::make_backend(options_, std::move(steps));
  }

  std::unique_ptr<store::backend> open_older_binary(int version) override {
    std::vector<store::mysql::migration> steps;
    for (const auto& step : store::mysql::builtin_migrations()) {
      if (step.version <= version) steps.push_back(step);
    }
    return store::mysql::make_backend(options_, std::move(steps));
  }

  int latest_schema_version() const override { return store::mysql::builtin_migrations().back().version; }

  // The connection options of this case's database.
  const store::mysql::options& options() const { return options_; }

 private:
  store::mysql::options server_;  // without a database: for CREATE / DROP DATABASE
  store::mysql::options options_;
};

}  // namespace

std::unique_ptr<test_database> make_mysql_test_database(std::string_view connection) {
  return std::make_unique<mysql_test_database>(store::mysql::testing::parse_test_server(connection));
}

}  // namespace store_tests

using store_tests::error_code_of;
using store_tests::read_value;
using store_tests::write;

namespace {

const char* mysql_connection_string() {
  const char* value = std::getenv("SB_TEST_MYSQL");
  return value && *value ? value : nullptr;
}

// Visible by default only when there is a server to run them against.
const std::string& mysql_tags() {
  static const std::string tags = mysql_connection_string() ? "[store][mysql]" : "[store][.mysql]";
  return tags;
}

std::unique_ptr<store_tests::mysql_test_database> mysql_database() {
  const char* connection = mysql_connection_string();
  if (!connection) throw std::runtime_error("SB_TEST_MYSQL is not set: start a server with .ci/mariadb.sh");
  return std::make_unique<store_tests::mysql_test_database>(store::mysql::testing::parse_test_server(connection));
}

struct migrated_mysql {
  std::unique_ptr<store_tests::mysql_test_database> db;
  std::unique_ptr<store::backend> backend;
  std::unique_ptr<store::connection> writer;
};

migrated_mysql open_migrated_mysql() {
  migrated_mysql s;
  s.db = mysql_database();
  s.backend = s.db->open_backend();
  s.writer = s.backend->open(true);
  s.writer->migrate();
  return s;
}

// The rows of a parameterless query on the case's database.
std::vector<std::vector<std::string>> rows_of(const store_tests::mysql_test_database& db, const std::string& sql) {
  return store::mysql::testing::run_sql(db.options(), sql);
}

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

// A store thread as bot/ runs one: the client library set up for it, its own connection.
template <class Fn>
std::thread store_thread(Fn fn) {
  return std::thread([fn = std::move(fn)]() mutable {
    store::mysql::thread_init();
    fn();
    store::mysql::thread_end();
  });
}

store::conversation_record conversation(const std::string& channel_id, const std::string& state_json) {
  store::conversation_record c;
  c.channel = "wechat";
  c.channel_id = channel_id;
  c.customer_id = 1;
  c.state_json = state_json;
  c.updated_at = 1000;
  return c;
}

}  // namespace

TEST_CASE("mysql: Chinese text and emoji round-trip byte for byte", mysql_tags()) {
  auto s = open_migrated_mysql();
  auto& writer = *s.writer;

  // 3-byte CJK, 4-byte emoji and a 4-byte CJK extension B character, a ZWJ sequence, quotes.
  const std::string text = "脱水时噪音很大 😀🔧 \xF0\xA0\x80\x80 👨‍🔧 \"引号\" 'x' \\ 100%";
  auto ticket = store_tests::full_ticket("SR20260512001");
  ticket.problem = text;
  ticket.customer_name = "张先生👍";
  std::int64_t customer_id = 0;
  write(writer, [&](store::transaction& tx) {
    tx.insert_ticket(ticket);
    auto customer = tx.find_or_create_customer("wechat", "oUser😀", 1000);
    customer.name = "王女士🌸";
    tx.update_customer(customer);
    customer_id = customer.id;
    tx.append_message({customer_id, "wechat", ticket.number, 1000, "in", text});
    tx.record_inbound({"wechat", "msg-1", "oUser😀", 1000, "<xml>" + text + "</xml>"});
    tx.put_setting("greeting", text, 0);
    tx.save_conversation(conversation("oUser😀", R"({"slots":{"problem":")" + text + R"("}})"));
  });

  writer.read([&](store::transaction& tx) {
    const auto found = tx.find_ticket(ticket.number);
    REQUIRE(found);
    store_tests::check_same_ticket(*found, ticket);
    const auto customer = tx.find_customer_by_identity("wechat", "oUser😀");
    REQUIRE(customer);
    CHECK(customer->id == customer_id);
    CHECK(customer->name == "王女士🌸");
    const auto messages = tx.ticket_messages(ticket.number);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].text == text);
    const auto inbound = tx.find_inbound("wechat", "msg-1");
    REQUIRE(inbound);
    CHECK(inbound->reply == "<xml>" + text + "</xml>");
    CHECK(tx.get_setting("greeting", 1000) == text);
    const auto c = tx.lock_conversation("wechat", "oUser😀");
    REQUIRE(c);
    CHECK(c->state_json == R"({"slots":{"problem":")" + text + R"("}})");
  });

  // Stored as UTF-8 itself (not double-encoded, not mangled to '?'), one character per code point.
  const auto stored = rows_of(*s.db, "SELECT HEX(problem), CHAR_LENGTH(problem) FROM tickets");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0][0] == hex(text));
  std::size_t code_points = 0;
  for (unsigned char c : text) code_points += (c & 0xC0) != 0x80;
  CHECK(stored[0][1] == std::to_string(code_points));

  // Binary collation: an emoji finds itself and not its neighbours (utf8mb4_unicode_ci would
  // weigh them all the same), and a look-alike identity is another customer.
  auto search = [&](const std::string& q) {
    store::ticket_filter f;
    f.q = q;
    return read_value(writer, [&](store::transaction& tx) { return tx.list_tickets(f); }).tickets.size();
  };
  CHECK(search("😀🔧") == 1);
  CHECK(search("😁") == 0);
  CHECK(search("噪音") == 1);
  CHECK(search("噪声") == 0);
  auto customer = [&](const char* id) {
    return read_value(writer, [&](store::transaction& tx) { return tx.find_customer_by_identity("wechat", id); });
  };
  CHECK(customer("oUser😀"));
  CHECK_FALSE(customer("oUser😁"));
  CHECK_FALSE(customer("ouser😀"));
}

TEST_CASE("mysql: concurrent claimers never get the same outbox entry or timer", mysql_tags()) {
  auto s = open_migrated_mysql();
  auto& writer = *s.writer;

  SECTION("a claim skips the entries another open transaction has claimed") {
    write(writer, [](store::transaction& tx) {
      for (const char* key : {"a", "b", "c", "d", "e", "f"}) tx.enqueue(store_tests::pending_message(key, 100));
      for (int due = 100; due < 106; ++due) tx.schedule_timer(store_tests::timer("sla_respond", "SR1", due));
    });
    auto other = s.backend->open(true);
    std::vector<store::outbox_entry> first, second, third;
    std::vector<store::timer_record> first_timers, second_timers;
    write(writer, [&](store::transaction& tx) {
      first = tx.claim_outbox(100, 160, 3);
      first_timers = tx.claim_due_timers(200, 260, 3);
      // Another instance claims while this transaction still holds its rows: it does not wait
      // for them (that would hang here), it takes the rest.
      write(*other, [&](store::transaction& otx) {
        second = otx.claim_outbox(100, 160, 10);
        second_timers = otx.claim_due_timers(200, 260, 10);
      });
    });
    write(*other, [&](store::transaction& tx) { third = tx.claim_outbox(100, 160, 10); });

    auto keys = [](const std::vector<store::outbox_entry>& entries) {
      std::vector<std::string> out;
      for (const auto& e : entries) out.push_back(e.idempotency_key);
      return out;
    };
    CHECK(keys(first) == std::vector<std::string>{"a", "b", "c"});
    CHECK(keys(second) == std::vector<std::string>{"d", "e", "f"});
    CHECK(third.empty());
    REQUIRE(first_timers.size() == 3);
    REQUIRE(second_timers.size() == 3);
    CHECK(first_timers.back().due_at < second_timers.front().due_at);
    CHECK(read_value(writer, [](store::transaction& tx) { return tx.count_outbox("sending"); }) == 6);
  }

  SECTION("four workers draining one outbox each claim every entry exactly once") {
    constexpr int entries = 240;
    write(writer, [&](store::transaction& tx) {
      for (int i = 0; i < entries; ++i) tx.enqueue(store_tests::pending_message("k" + std::to_string(i), 100));
    });
    constexpr int workers = 4;
    std::vector<std::vector<std::int64_t>> claimed(workers);
    std::vector<std::string> errors(workers);
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.push_back(store_thread([&, w] {
        try {
          auto connection = s.backend->open(true);
          for (;;) {
            std::vector<store::outbox_entry> batch;
            write(*connection, [&](store::transaction& tx) {
              batch = tx.claim_outbox(100, 1000, 7);
              // Hold the rows a moment, so the other workers' claims overlap this one.
              std::this_thread::sleep_for(std::chrono::milliseconds(2));
            });
            if (batch.empty()) break;
            for (const auto& e : batch) claimed[w].push_back(e.id);
          }
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      }));
    }
    for (auto& t : threads) t.join();

    std::set<std::int64_t> distinct;
    std::size_t total = 0;
    for (int w = 0; w < workers; ++w) {
      CAPTURE(w, errors[w]);
      CHECK(errors[w].empty());
      total += claimed[w].size();
      distinct.insert(claimed[w].begin(), claimed[w].end());
    }
    CHECK(total == entries);
    CHECK(distinct.size() == entries);
    // Claimed once each: a second claim would have counted a second attempt.
    const auto attempts =
        rows_of(*s.db, "SELECT COUNT(*), MIN(attempts), MAX(attempts) FROM outbox WHERE state = 'sending'");
    CHECK(attempts == std::vector<std::vector<std::string>>{{std::to_string(entries), "1", "1"}});
  }
}

TEST_CASE("mysql: ticket numbers are unique and gapless across threads with their own connections", mysql_tags()) {
  auto s = open_migrated_mysql();
  constexpr int threads_count = 4;
  constexpr int batches = 20;
  constexpr int units_per_batch = 3;
  std::vector<std::vector<std::string>> drawn(threads_count);
  std::vector<std::string> errors(threads_count);
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_count; ++t) {
    threads.push_back(store_thread([&, t] {
      try {
        auto connection = s.backend->open(true);
        for (int b = 0; b < batches; ++b) {
          std::vector<store::unit_of_work> units(units_per_batch, [&](store::transaction& tx) {
            const auto number = tx.next_ticket_number("20260512");
            tx.insert_ticket(store_tests::minimal_ticket(number, 1000 + t));
            drawn[t].push_back(number);
          });
          for (const auto& failure : connection->write_batch(units)) {
            if (failure) std::rethrow_exception(failure);
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    }));
  }
  for (auto& t : threads) t.join();

  std::set<std::string> distinct;
  for (int t = 0; t < threads_count; ++t) {
    CAPTURE(t, errors[t]);
    CHECK(errors[t].empty());
    distinct.insert(drawn[t].begin(), drawn[t].end());
  }
  // Nothing rolled back, so the sequence has no gaps either: exactly 001..240.
  std::set<std::string> expected;
  for (int i = 1; i <= threads_count * batches * units_per_batch; ++i) {
    char number[32];
    std::snprintf(number, sizeof number, "SR20260512%03d", i);
    expected.insert(number);
  }
  CHECK(distinct == expected);
}

TEST_CASE("mysql: one conversation is updated by one instance at a time", mysql_tags()) {
  auto s = open_migrated_mysql();
  write(*s.writer, [](store::transaction& tx) { tx.save_conversation(conversation("oUser1", "0")); });

  // Four instances each count the same customer's messages; the row lock taken by
  // lock_conversation makes every read-modify-write see the previous one, so none is lost and
  // none even conflicts.
  constexpr int instances = 4;
  constexpr int messages = 25;
  std::vector<std::string> errors(instances);
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) {
    threads.push_back(store_thread([&, i] {
      try {
        auto connection = s.backend->open(true);
        for (int m = 0; m < messages; ++m) {
          write(*connection, [&](store::transaction& tx) {
            auto c = tx.lock_conversation("wechat", "oUser1");
            if (!c) throw std::logic_error("conversation vanished");
            c->state_json = std::to_string(std::stoi(c->state_json) + 1);
            tx.save_conversation(*c);
          });
        }
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }));
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < instances; ++i) {
    CAPTURE(i, errors[i]);
    CHECK(errors[i].empty());
  }
  const auto c = read_value(*s.writer, [](store::transaction& tx) { return tx.lock_conversation("wechat", "oUser1"); });
  REQUIRE(c);
  CHECK(c->state_json == std::to_string(instances * messages));
  CHECK(c->version == 1 + instances * messages);
}

TEST_CASE("mysql: a gateway retry on another instance waits for the first delivery and replays its reply",
          mysql_tags()) {
  auto s = open_migrated_mysql();
  auto other = s.backend->open(true);

  std::latch first_inserted(1);
  bool first_new = false, retry_new = true;
  std::string replayed, error;
  std::thread retry = store_thread([&] {
    try {
      first_inserted.wait();
      write(*other, [&](store::transaction& tx) {
        // Blocks on the first delivery's row until it commits, then sees it.
        retry_new = tx.record_inbound({"wechat", "6012345678901234567", "oUser1", 1001, ""});
        if (!retry_new) replayed = tx.find_inbound("wechat", "6012345678901234567")->reply;
      });
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  bool signalled = false;
  try {
    write(*s.writer, [&](store::transaction& tx) {
      first_new = tx.record_inbound({"wechat", "6012345678901234567", "oUser1", 1000, ""});
      signalled = true;
      first_inserted.count_down();
      // The retry is now queued on this row; the reply is decided while it waits.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      tx.set_inbound_reply("wechat", "6012345678901234567", "<xml>请问是哪款产品?</xml>");
    });
  } catch (...) {
    if (!signalled) first_inserted.count_down();
    retry.join();
    throw;
  }
  retry.join();
  CAPTURE(error);
  CHECK(error.empty());
  CHECK(first_new);
  CHECK_FALSE(retry_new);
  CHECK(replayed == "<xml>请问是哪款产品?</xml>");
}

TEST_CASE("mysql: a deadlock fails the victim's whole batch with conflict and keeps nothing of it", mysql_tags()) {
  auto s = open_migrated_mysql();
  write(*s.writer, [](store::transaction& tx) {
    tx.save_conversation(conversation("oX", "{}"));
    tx.save_conversation(conversation("oY", "{}"));
  });

  // Two instances lock the same two conversations in opposite orders: InnoDB picks a victim and
  // rolls its whole transaction back, including the units that had succeeded before.
  std::latch both_hold_one(2);
  auto batch = [&](store::connection& c, const char* mine, const char* theirs, const char* delivery) {
    std::vector<store::unit_of_work> units{
        [=](store::transaction& tx) {
          tx.record_inbound({"wechat", delivery, "o", 1, ""});
        },
        [&, mine, theirs](store::transaction& tx) {
          tx.lock_conversation("wechat", mine);
          both_hold_one.arrive_and_wait();
          tx.lock_conversation("wechat", theirs);
        },
    };
    return c.write_batch(units);
  };
  auto a = s.backend->open(true);
  auto b = s.backend->open(true);
  std::vector<std::string> outcome(2);
  auto run = [&](int index, store::connection& c, const char* mine, const char* theirs, const char* delivery) {
    try {
      const auto results = batch(c, mine, theirs, delivery);
      outcome[index] = results[0] || results[1] ? "unit failed" : "committed";
    } catch (const store::store_error& e) {
      outcome[index] = e.code() == store::errc::conflict ? "conflict" : std::string("error: ") + e.what();
    }
  };
  std::thread ta = store_thread([&] { run(0, *a, "oX", "oY", "from-a"); });
  std::thread tb = store_thread([&] { run(1, *b, "oY", "oX", "from-b"); });
  ta.join();
  tb.join();

  CAPTURE(outcome[0], outcome[1]);
  CHECK(std::multiset<std::string>(outcome.begin(), outcome.end()) ==
        std::multiset<std::string>{"committed", "conflict"});
  const bool a_won = outcome[0] == "committed";
  auto has = [&](const char* id) {
    return read_value(*s.writer, [&](store::transaction& tx) { return tx.find_inbound("wechat", id).has_value(); });
  };
  CHECK(has("from-a") == a_won);
  CHECK(has("from-b") == !a_won);
  // Both connections go on working.
  write(*a, [](store::transaction& tx) { tx.record_inbound({"wechat", "after-a", "o", 1, ""}); });
  write(*b, [](store::transaction& tx) { tx.record_inbound({"wechat", "after-b", "o", 1, ""}); });
}

TEST_CASE("mysql: a connection the server killed is replaced at its next use", mysql_tags()) {
  auto s = open_migrated_mysql();
  auto& writer = *s.writer;
  auto reader = s.backend->open(false);
  write(writer, [](store::transaction& tx) { tx.record_inbound({"wechat", "before", "o", 1, ""}); });
  auto kill = [&](store::connection& c) {
    const auto id = store::mysql::testing::connection_id(c);
    store::mysql::testing::run_sql(s.db->options(), "KILL CONNECTION " + std::to_string(id));
    return id;
  };

  SECTION("between batches") {
    const auto old_writer = kill(writer);
    const auto old_reader = kill(*reader);
    write(writer, [](store::transaction& tx) { tx.record_inbound({"wechat", "after", "o", 2, ""}); });
    CHECK(store::mysql::testing::connection_id(writer) != old_writer);
    CHECK(read_value(*reader, [](store::transaction& tx) { return tx.find_inbound("wechat", "after").has_value(); }));
    CHECK(store::mysql::testing::connection_id(*reader) != old_reader);
    CHECK(reader->ping());
  }

  SECTION("in the middle of a batch: the batch fails as unavailable and nothing of it is kept") {
    std::vector<store::unit_of_work> units{
        [](store::transaction& tx) {
          tx.record_inbound({"wechat", "a", "o", 2, ""});
        },
        [&](store::transaction& tx) {
          kill(writer);
          tx.record_inbound({"wechat", "b", "o", 2, ""});
        },
        [](store::transaction& tx) {
          tx.record_inbound({"wechat", "c", "o", 2, ""});
        },
    };
    CHECK(error_code_of([&] { writer.write_batch(units); }) == store::errc::unavailable);
    write(writer, [](store::transaction& tx) { tx.record_inbound({"wechat", "next", "o", 3, ""}); });
    reader->read([](store::transaction& tx) {
      CHECK(tx.find_inbound("wechat", "before"));
      CHECK_FALSE(tx.find_inbound("wechat", "a"));
      CHECK_FALSE(tx.find_inbound("wechat", "b"));
      CHECK_FALSE(tx.find_inbound("wechat", "c"));
      CHECK(tx.find_inbound("wechat", "next"));
    });
  }

  SECTION("ping reconnects too") {
    kill(*reader);
    CHECK(reader->ping());
  }
}

TEST_CASE("mysql: concurrent migrate runs each step once", mysql_tags()) {
  auto db = mysql_database();
  // Steps that count their own runs; the sleeps widen the window in which a second migrate could
  // slip in if the named lock did not keep it out.
  const std::string counter =
      "CREATE TABLE IF NOT EXISTS migration_runs (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, step INT NOT NULL)"
      " ENGINE=InnoDB";
  const std::vector<store::mysql::migration> steps{
      {1, {counter, "DO SLEEP(0.3)", "INSERT INTO migration_runs (step) VALUES (1)"}},
      {2, {"INSERT INTO migration_runs (step) VALUES (2)", "DO SLEEP(0.1)"}},
      {3, {"INSERT INTO migration_runs (step) VALUES (3)"}},
  };

  constexpr int instances = 3;
  std::latch start(instances);
  std::vector<std::string> errors(instances);
  std::vector<int> versions(instances, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) {
    threads.push_back(store_thread([&, i] {
      try {
        // Separate backends: separate processes, as far as the server can tell.
        auto backend = store::mysql::make_backend(db->options(), steps);
        auto c = backend->open(true);
        start.arrive_and_wait();
        c->migrate();
        versions[i] = c->schema_version();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }));
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < instances; ++i) {
    CAPTURE(i, errors[i]);
    CHECK(errors[i].empty());
    CHECK(versions[i] == 3);
  }
  CHECK(rows_of(*db, "SELECT step, COUNT(*) FROM migration_runs GROUP BY step ORDER BY step") ==
        std::vector<std::vector<std::string>>{{"1", "1"}, {"2", "1"}, {"3", "1"}});
  CHECK(rows_of(*db, "SELECT COUNT(*) FROM schema_version") == std::vector<std::vector<std::string>>{{"3"}});
}

TEST_CASE("mysql: a database written by the previous schema version is upgraded in place", mysql_tags()) {
  auto db = mysql_database();
  const int latest = db->latest_schema_version();
  REQUIRE(latest >= 2);
  {
    auto old_binary = db->open_older_binary(latest - 1);
    auto writer = old_binary->open(true);
    writer->migrate();
    REQUIRE(writer->schema_version() == latest - 1);
    write(*writer, [](store::transaction& tx) { tx.enqueue(store_tests::pending_message("accepted", 1000)); });
    // A ticket row as the previous binary wrote it: the columns before version 4 (attributes_json).
    rows_of(*db,
            "INSERT INTO tickets (number, type, priority, state, stage, channel, language, customer_id, "
            "customer_name, phone, channel_id, customer_no, model, serial, purchase_date, in_warranty, problem, "
            "service_method, assignee, respond_by, resolve_by, onsite_by, breached, satisfaction_score, "
            "satisfaction_comment, created_at, updated_at) VALUES ('SR20260512001', 'repair', 'normal', "
            "'assigned', 'accepted', 'wechat', 'zh-CN', 7, '张先生', '+8613800135678', 'oABC', '', 'ABC-2000', "
            "'SN5612345', '2025-03-15', 1, '噪音很大😖', 'onsite', 'E001', 5000, NULL, NULL, 0, '', '', 1000, 1000)");
  }
  auto backend = db->open_backend();
  auto writer = backend->open(true);
  writer->migrate();
  CHECK(writer->schema_version() == latest);
  writer->read([](store::transaction& tx) {
    const auto found = tx.find_ticket("SR20260512001");
    REQUIRE(found);
    CHECK(found->problem == "噪音很大😖");
    CHECK(found->respond_by == 5000);
    CHECK(found->attributes_json.empty());  // read as {} by the workflow (bot/ticket_attributes.hpp)
    CHECK(tx.count_outbox("pending") == 1);
  });
  // The upgraded row takes attributes like any other.
  auto updated = store_tests::full_ticket("SR20260512001");
  write(*writer, [&](store::transaction& tx) { tx.update_ticket(updated); });
  writer->read([&](store::transaction& tx) {
    const auto found = tx.find_ticket("SR20260512001");
    REQUIRE(found);
    CHECK(found->attributes_json == updated.attributes_json);
  });
  std::vector<store::outbox_entry> claimed;
  write(*writer, [&](store::transaction& tx) { claimed = tx.claim_outbox(1000, 1060, 10); });
  CHECK(claimed.size() == 1);
}

TEST_CASE("mysql: an unreachable server or a refused login is unavailable", mysql_tags()) {
  auto db = mysql_database();

  auto refused = db->options();
  refused.host = "127.0.0.1";
  refused.port = 1;  // nothing listens on tcpmux
  refused.connect_timeout_s = 2;
  CHECK(error_code_of([&] { store::mysql::make_backend(refused)->open(true); }) == store::errc::unavailable);

  auto wrong_password = db->options();
  wrong_password.password += "-wrong";
  CHECK(error_code_of([&] { store::mysql::make_backend(wrong_password)->open(true); }) == store::errc::unavailable);

  auto no_database = db->options();
  no_database.database += "_missing";
  CHECK(error_code_of([&] { store::mysql::make_backend(no_database)->open(true); }) == store::errc::unavailable);
}

TEST_CASE("mysql: error messages name the statement, never the values", mysql_tags()) {
  auto s = open_migrated_mysql();
  auto ticket = store_tests::minimal_ticket("SR20260512001", 1000);
  ticket.phone = "+8613800135678";
  write(*s.writer, [&](store::transaction& tx) { tx.insert_ticket(ticket); });
  try {
    write(*s.writer, [&](store::transaction& tx) { tx.insert_ticket(ticket); });
    FAIL("the second insert succeeded");
  } catch (const store::store_error& e) {
    CHECK(e.code() == store::errc::duplicate);
    const std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find("1062") != std::string::npos);
    CHECK(message.find("INSERT INTO tickets") != std::string::npos);
    CHECK(message.find("SR20260512001") == std::string::npos);
    CHECK(message.find("8613800135678") == std::string::npos);
  }
}

TEST_CASE("mysql: version 3 adds the intake indexes, and its statements may run again", mysql_tags()) {
  auto db = mysql_database();
  const auto& builtin = store::mysql::builtin_migrations();
  REQUIRE(builtin.size() >= 3);
  REQUIRE(builtin[2].version == 3);
  // A binary whose last step repeats step 3, as a restart after a step that died halfway would.
  auto steps = builtin;
  steps.push_back({builtin.back().version + 1, builtin[2].statements});
  auto backend = store::mysql::make_backend(db->options(), steps);
  auto writer = backend->open(true);
  writer->migrate();
  CHECK(writer->schema_version() == builtin.back().version + 1);
  CHECK(rows_of(*db,
                "SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics "
                "WHERE table_schema = DATABASE() AND table_name = 'tickets' AND index_name IN "
                "('tickets_open_by_assignee', 'tickets_by_customer') GROUP BY index_name ORDER BY index_name") ==
        std::vector<std::vector<std::string>>{{"tickets_by_customer", "customer_id,created_at,number"},
                                              {"tickets_open_by_assignee", "state,assignee"}});
}
