// seed_history: fills a servicebot SQLite file with a bulk ticket history through the store
// interface (the same SQL the server runs), so intake throughput can be measured on a store
// that already holds, say, 1 000 000 tickets.
//
//   seed_history --db var/bench.db --tickets 1000000 [--messages-per-ticket 4] [--days 365]
//                [--open-percent 1] [--batch 20000]
//
// Every ticket gets its own customer (an SMS number), a 'created' event and a short transcript;
// they are spread over the last `days` days with the per-day sequence the server uses, so new
// tickets continue today's sequence. Most are closed; `open-percent` are assigned to the demo
// engineers (assignment by load counts them). Progress goes to stderr once per batch.
#include "store/sqlite/sqlite_backend.hpp"
#include "store/store.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::string yyyymmdd(std::int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

std::string ymd_dashed(std::int64_t unix_seconds) {
  auto d = yyyymmdd(unix_seconds);
  return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  long tickets = 1000000, batch = 20000;
  int messages_per_ticket = 4, days = 365, open_percent = 1;
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto next = [&]() -> std::string {
        if (i + 1 >= a.size()) throw std::invalid_argument(a[i] + " needs a value");
        return a[++i];
      };
      if (a[i] == "--db") db = next();
      else if (a[i] == "--tickets") tickets = std::stol(next());
      else if (a[i] == "--messages-per-ticket") messages_per_ticket = std::stoi(next());
      else if (a[i] == "--days") days = std::max(1, std::stoi(next()));
      else if (a[i] == "--open-percent") open_percent = std::stoi(next());
      else if (a[i] == "--batch") batch = std::max(1L, std::stol(next()));
      else throw std::invalid_argument("unknown option " + a[i]);
    }
    if (db.empty()) throw std::invalid_argument("--db FILE is required");
  } catch (const std::exception& e) {
    std::cerr << "seed_history: " << e.what() << "\nusage: seed_history --db FILE [--tickets N] "
              << "[--messages-per-ticket M] [--days D] [--open-percent P] [--batch B]\n";
    return 64;
  }

  static const char* models[] = {"ABC-2000", "ABC-3000", "KT-35GW", "TV-55U", "RO-600"};
  static const char* engineers[] = {"E001", "E002", "E003", "E004"};
  static const char* methods[] = {"onsite", "carry_in", "remote"};
  try {
    auto backend = store::sqlite::make_backend(db);
    auto conn = backend->open(true);
    conn->migrate();
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t now = std::time(nullptr);
    const std::int64_t span = static_cast<std::int64_t>(days) * 86400;
    // Oldest first, so per-day sequences and created_at grow together as in real life; the
    // last ones land a few minutes before now.
    for (long done = 0; done < tickets;) {
      const long n = std::min(batch, tickets - done);
      const long first = done;
      store::unit_of_work unit = [&, first, n](store::transaction& tx) {
        for (long k = first; k < first + n; ++k) {
          const std::int64_t at = now - 600 - span + span * k / std::max(1L, tickets);
          char phone[24];
          std::snprintf(phone, sizeof phone, "+8619%09ld", k);
          auto customer = tx.find_or_create_customer("sms", phone, at);
          store::ticket_record t;
          t.number = tx.next_ticket_number(yyyymmdd(at));
          const bool open = open_percent > 0 && k % 100 < open_percent;
          t.type = "repair";
          t.priority = "normal";
          t.state = open ? "assigned" : "closed";
          t.stage = open ? "accepted" : "completed";
          t.channel = "sms";
          t.language = "en";
          t.customer_id = customer.id;
          t.customer_name = "Customer " + std::to_string(k);
          t.phone = phone;
          t.channel_id = phone;
          t.customer_no = customer.customer_no;
          t.model = models[k % 5];
          char serial[24];
          std::snprintf(serial, sizeof serial, "SN%08ld", k % 100000000);
          t.serial = k % 5 == 2 ? "KT" + std::string{serial + 2} : serial;
          t.purchase_date = ymd_dashed(at - 200 * 86400);
          t.in_warranty = true;
          t.problem = "Loud grinding noise when spinning, error E" + std::to_string(10 + k % 90);
          t.service_method = methods[k % 3];
          t.assignee = open || k % 3 ? engineers[k % 4] : "";
          t.created_at = at;
          t.updated_at = at + 3600;
          tx.insert_ticket(t);
          tx.append_event({t.number, at, "bot", "created", R"({"channel":"sms","type":"repair","priority":"normal"})"});
          for (int m = 0; m < messages_per_ticket; ++m)
            tx.append_message({customer.id, "sms", t.number, at + m, m % 2 ? "out" : "in",
                               m % 2 ? "Thanks. Please send the serial number." : "My washer is broken"});
        }
      };
      auto failures = conn->write_batch(std::span<const store::unit_of_work>{&unit, 1});
      if (failures.at(0)) std::rethrow_exception(failures[0]);
      done += n;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::fprintf(stderr, "seed_history: %ld / %ld tickets (%.0f/s, %.0f s)\n", done, tickets, done / secs, secs);
    }
  } catch (const std::exception& e) {
    std::cerr << "seed_history: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
