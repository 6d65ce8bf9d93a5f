// servicebot entry point (contract: Command line).
//   servicebot --config FILE           run the server
//   servicebot --config FILE migrate   create / upgrade the schema, then exit
//   servicebot --version
#include "bot/app.hpp"
#include "bot/http_client.hpp"
#include "bot/http_server.hpp"
#include "bot/outbox_worker.hpp"
#include "bot/senders.hpp"
#include "bot/store_executor.hpp"
#include "bot/timer_worker.hpp"
#include "store/mysql/mysql_backend.hpp"
#include "store/sqlite/sqlite_backend.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr int exit_usage = 64;   // EX_USAGE
constexpr int exit_config = 78;  // EX_CONFIG
constexpr int exit_store = 69;   // EX_UNAVAILABLE

int usage() {
  std::cerr << "usage: servicebot --config FILE [migrate]\n       servicebot --version\n";
  return exit_usage;
}

std::unique_ptr<store::backend> make_backend(const bot::config& cfg) {
  if (cfg.store.driver == "sqlite") return store::sqlite::make_backend(cfg.store.path);
  store::mysql::options o;
  o.host = cfg.store.host;
  o.port = cfg.store.port;
  o.user = cfg.store.user;
  o.password = cfg.store.password;
  o.database = cfg.store.database;
  return store::mysql::make_backend(o);
}

// stderr is unbuffered, which made every log line a write(2) of its own: 3-4 per message under
// load (issue 7). A block buffer batches them. Warnings and errors still flush at once (with every
// line before them), so nothing that explains a failure waits in memory; info lines are flushed
// every 200 ms by log_flusher and at exit, so a SIGKILL loses at most the last 200 ms of them.
// Must run before anything is written to stderr (setvbuf).
constexpr std::size_t log_buffer_bytes = 256 * 1024;
constexpr auto log_flush_interval = std::chrono::milliseconds(200);

// spdlog's stderr sink calls fflush after every line, which made the buffer above useless: one
// write(2) per line, ~3 % of the CPU under load (issue 7). This one leaves flushing to the
// logger (flush_on warn) and to log_flusher.
class buffered_stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

void setup_logging(const std::string& level) {
  static char buffer[log_buffer_bytes];
  std::setvbuf(stderr, buffer, _IOFBF, sizeof buffer);
  auto logger = std::make_shared<spdlog::logger>("servicebot", std::make_shared<buffered_stderr_sink>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// Flushes the default logger every log_flush_interval on a thread of its own, and once more when
// destroyed. (spdlog::flush_every counts whole seconds only.)
class log_flusher {
 public:
  log_flusher()
      : thread_([this](std::stop_token stop) {
          std::unique_lock lock{mutex_};
          while (!stop.stop_requested()) {
            wake_.wait_for(lock, stop, log_flush_interval, [] { return false; });
            spdlog::default_logger()->flush();
          }
        }) {}
  log_flusher(const log_flusher&) = delete;
  log_flusher& operator=(const log_flusher&) = delete;
  ~log_flusher() {
    thread_.request_stop();
    thread_.join();
    spdlog::default_logger()->flush();
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: it uses the members above
};

// Logs what a data-file set holds (never a token: staff are counted, not listed).
void log_data_files(std::string_view event, const bot::data_files& files) {
  spdlog::info("event={} products={} knowledge={} staff={} rules={} agreements={}", event,
               files.catalog.products.size(), files.catalog.knowledge.size(), files.staff.size(),
               files.rules.assignment.size(), files.agreements.size());
}

// SIGHUP (contract: "Data files ... loaded at start (and on SIGHUP)"): loads and checks every
// data file as at start and swaps the whole set in, or, on any problem, logs it and keeps the
// old set entirely. Handlers and units already running finish on the set they started with.
// The config file is not read again. Re-arms itself until `signals` is cancelled.
void await_reload(net::signal_set& signals, bot::app& a) {
  signals.async_wait([&signals, &a](boost::system::error_code ec, int) {
    if (ec) return;  // cancelled at shutdown
    try {
      auto next = std::make_shared<const bot::data_files>(bot::load_data_files(a.cfg));
      a.replace_files(next);
      log_data_files("reloaded", *next);
    } catch (const bot::data_file_error& e) {
      spdlog::error("event=reload_failed file={} error=\"{}\" action=kept_previous", e.file(), e.what());
    } catch (const std::exception& e) {  // out of memory: still no reason to stop serving
      spdlog::error("event=reload_failed error=\"{}\" action=kept_previous", e.what());
    }
    await_reload(signals, a);
  });
}

int run(const bot::config& cfg, bool migrate_only) {
  bot::app a{cfg, std::make_shared<const bot::data_files>(bot::load_data_files(cfg)), templates::library::embedded(),
             cfg.timezone};
  log_data_files("data_files_loaded", *a.files());
  if (cfg.wechat && !cfg.wechat->encoding_aes_key.empty()) {
    a.wechat_key = channels::wechat::decode_aes_key(cfg.wechat->encoding_aes_key);
    if (!a.wechat_key) throw bot::config_error("channels.wechat.encoding_aes_key: not a 43-character EncodingAESKey");
  }

  std::unique_ptr<store::backend> backend;
  try {
    backend = make_backend(cfg);
    auto conn = backend->open(true);
    conn->migrate();  // migrations also run at start-up when needed (contract)
    if (cfg.test_clock) {
      // The test clock's offset survives a restart (tests restart mid-scenario).
      conn->read([&a](store::transaction& tx) {
        if (auto minutes = tx.get_setting("test_clock.offset_minutes", 0)) a.clock.advance_minutes(std::stoll(*minutes));
      });
    }
    spdlog::info("event=store_ready driver={} schema_version={}", backend->name(), conn->schema_version());
  } catch (const store::store_error& e) {
    std::cerr << "servicebot: store unavailable: " << e.what() << '\n';
    return exit_store;
  }
  if (migrate_only) return 0;

  bot::store_executor_options store_options;
  if (backend->name() == "mysql") {
    store_options.writers = cfg.store.pool_size;
    store_options.thread_init = [] { store::mysql::thread_init(); };
    store_options.thread_end = [] { store::mysql::thread_end(); };
  }
  bot::store_executor executor{*backend, store_options};
  a.store = &executor;

  const int threads = std::max(2u, std::thread::hardware_concurrency());
  net::io_context ioc{threads};
  // Outbound: one HTTP client for the gateways, a small pool for blocking SMTP, the outbox worker.
  bot::http_client gateway_client{ioc.get_executor()};
  net::thread_pool outbound_pool{2};
  std::unique_ptr<bot::twilio_sender> sms_sender;
  std::unique_ptr<bot::email_sender> mail_sender;
  std::unique_ptr<bot::wechat_sender> wx_sender;
  std::map<std::string, bot::channel_sender*> senders;
  if (cfg.sms) senders["sms"] = (sms_sender = std::make_unique<bot::twilio_sender>(a, gateway_client)).get();
  if (cfg.email) senders["email"] = (mail_sender = std::make_unique<bot::email_sender>(a, outbound_pool)).get();
  if (cfg.wechat)
    senders["wechat"] = (wx_sender = std::make_unique<bot::wechat_sender>(a, gateway_client, sms_sender.get())).get();
  bot::outbox_options outbox_options;
  outbox_options.max_attempts = cfg.outbox.max_attempts;
  outbox_options.base_backoff = std::chrono::seconds(cfg.outbox.base_backoff_seconds);
  outbox_options.max_backoff = std::chrono::seconds(cfg.outbox.max_backoff_seconds);
  outbox_options.lease = std::chrono::seconds(cfg.outbox.lease_seconds);
  bot::outbox_worker outbox{ioc, executor, a.clock, senders, outbox_options};
  a.on_outbox_enqueued = [&outbox] { outbox.wake(); };
  a.send_outbox_now = [&outbox](std::vector<store::outbox_entry> entries) { outbox.send_now(std::move(entries)); };
  a.outbox_lease_seconds = cfg.outbox.lease_seconds;
  outbox.start();
  // Durable timers: SLA deadlines, survey reminders (bot/workflow.hpp).
  bot::timer_worker timers{ioc, a};
  timers.start();
  a.run_timers_once = [&timers] { return timers.run_once(); };
  a.run_outbox_once = [&outbox] { return outbox.run_once(); };

  // Limits (config "limits", docs/operations.md): per-customer message rate, per-IP request
  // rate, connections and their deadlines.
  const auto& lim = cfg.limits;
  bot::rate_limiter sender_limiter{{lim.sender_per_minute / 60.0, static_cast<double>(lim.sender_burst),
                                    std::chrono::seconds(lim.sender_cooldown_seconds), 100000}};
  a.sender_limiter = &sender_limiter;
  bot::server_limits server_limits;
  server_limits.max_connections = static_cast<std::size_t>(lim.max_connections);
  server_limits.header_timeout = std::chrono::seconds(lim.header_timeout_seconds);
  server_limits.body_timeout = std::chrono::seconds(lim.body_timeout_seconds);
  server_limits.idle_timeout = std::chrono::seconds(lim.idle_timeout_seconds);
  server_limits.ip_per_second = lim.ip_per_second;
  server_limits.ip_burst = lim.ip_burst;
  server_limits.trust_forwarded_for = lim.trust_forwarded_for;

  // SIGHUP reloads the data files; armed before "listening", so a SIGHUP sent as soon as that
  // line appears never meets the default action (terminate).
  net::signal_set reload_signals{ioc, SIGHUP};
  await_reload(reload_signals, a);

  bot::router routes{bot::make_routes(a)};
  bot::http_server server{ioc, routes, server_limits};
  auto port = server.listen(cfg.listen_address, static_cast<unsigned short>(cfg.listen_port));
  server.start();
  // Tests start us on port 0 and read the bound port from this line.
  spdlog::info("event=listening address={} port={} version={}", cfg.listen_address, port, SERVICEBOT_VERSION);
  spdlog::default_logger()->flush();  // at once: whoever started us waits for this line

  net::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("event=shutdown signal={} action=drain", signo);
    reload_signals.cancel();
    // Stop taking requests, finish in-flight ones, then let the outbox finish its sends.
    server.drain(std::chrono::seconds(10), [&ioc, &outbox, &timers] {
      timers.stop([&ioc, &outbox] { outbox.stop([&ioc] { ioc.stop(); }); });
    });
  });

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  outbound_pool.join();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--version") {
    std::cout << "servicebot " << SERVICEBOT_VERSION << '\n';
    return 0;
  }
  if (args.size() < 2 || args[0] != "--config" || args.size() > 3) return usage();
  bool migrate_only = false;
  if (args.size() == 3) {
    if (args[2] != "migrate") return usage();
    migrate_only = true;
  }
  try {
    auto cfg = bot::load_config(args[1]);
    setup_logging(cfg.log_level);
    log_flusher flusher;
    return run(cfg, migrate_only);
  } catch (const bot::config_error& e) {
    std::cerr << "servicebot: " << e.what() << '\n';
    return exit_config;
  } catch (const templates::template_error& e) {
    std::cerr << "servicebot: " << e.what() << '\n';
    return exit_config;
  } catch (const std::exception& e) {
    std::cerr << "servicebot: " << e.what() << '\n';
    return 1;
  }
}
