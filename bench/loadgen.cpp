// loadgen: drives a chat-bot webhook with simulated customers, each running a full intake
// dialog from a JSON script, and plays the gateways' other side itself (fake Twilio REST API,
// fake WeChat API), so every reply is matched to the customer waiting for it.
//
//   closed loop (default): N customers; each sends its next message only after the previous
//     one was answered (2xx) AND the bot's reply arrived (WeChat: in the passive reply; SMS: at
//     the fake Twilio REST endpoint, or as TwiML <Message> in the answer).
//   open loop (--rate R): a new dialog starts every 1/R s on a connection of its own, whatever
//     the server's state; latency of a dialog's first turn counts from its scheduled start.
//
// The result is one JSON line on stdout (and in --json FILE). Run with --help for options.
// Written independently of the code it measures: signing is bench/gateway_signing.cpp on OpenSSL.
#include <utility>

#include "bench/gateway_signing.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
using strand_t = net::strand<net::io_context::executor_type>;

// ---------------------------------------------------------------------------------- options

struct options {
  std::string peer = "servicebot";
  std::string channel = "sms";  // sms | wechat | wechat-safe
  std::string url = "http://127.0.0.1:8080/webhooks/sms/twilio";  // signed exactly as given
  std::string script_path;
  // Twilio
  std::string auth_token = "bench0auth0token0000000000000001";
  std::string account_sid = "AC00000000000000000000000000000001";
  std::string bot_number = "+15005550006";
  bool rest_auth_check = true;
  // WeChat
  std::string wechat_token = "benchtoken";
  std::string wechat_app_id = "wxbench000000000001";
  std::string wechat_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  std::string wechat_account = "gh_bench0000001";
  // Fake gateways (Twilio REST and WeChat API share one listener).
  std::string gateway_listen = "127.0.0.1:4010";
  // Load
  int conversations = 200;
  double duration = 30, warmup = 3, drain = 15, timeout = 10;
  double rate = 0;          // open loop: dialogs started per second (0 = closed loop)
  int max_open = 100000;    // open loop: dialogs in progress at most (more are counted as dropped)
  int threads = 1;
  int abandon_after = 0;    // send only the first K turns of each dialog (live-conversation tests)
  long total_dialogs = 0;   // stop starting dialogs after this many (0 = no limit)
  // Server process
  int pid = 0;
  std::string spawn;        // shell command started (exec'ed) by us; its pid is measured
  std::string server_log = "/dev/null";
  std::string server_dir;   // working directory of a spawned server
  double wait_ready = 60;
  bool signature_check = true;
  std::string json_path;
  bool transcript = false;
  bool ticket_check = true;  // off for the ceiling server, which opens no tickets
  double think = 0;          // mean seconds a customer takes to type the next message (±50 %)
};

void usage() {
  std::cerr << R"(usage: loadgen [options]
  --peer NAME               label in the result (servicebot, botkit, ceiling, ...)
  --channel sms|wechat|wechat-safe
  --url URL                 webhook URL, exactly as the server validates signatures against it
  --script FILE             dialog script (bench/scripts/*.json)
  --auth-token T --account-sid S --bot-number N     Twilio identities (defaults: the Botkit peer's)
  --no-rest-auth-check      accept Twilio REST calls without the right basic auth
  --wechat-token T --wechat-app-id A --wechat-aes-key K --wechat-account GH
  --gateway-listen H:P      fake Twilio REST + WeChat API (default 127.0.0.1:4010)
  -c N                      concurrent customers (closed loop; default 200)
  -d S --warmup S --drain S --timeout S     measured seconds (30), unmeasured before (3),
                            max wait for open dialogs after the end (15), per-turn limit (10)
  --rate R --max-open N     open loop: R dialogs started per second, at most N in progress
  --threads N               generator threads (default 1)
  --abandon-after K         send only the first K turns of every dialog (leaves it open)
  --total-dialogs N         start at most N dialogs, then finish
  --pid PID | --spawn CMD   the server process to measure (peak RSS, CPU); --spawn starts it
  --server-log FILE         where a spawned server's output goes (default /dev/null)
  --server-dir DIR          working directory of a spawned server
  --wait-ready S            wait up to S seconds for the webhook port to accept (default 60)
  --no-signature-check      skip the bad-signature preflight
  --json FILE               also write the result line there
  --transcript              run one dialog, print it, exit 0 when it ended with a ticket
  --no-ticket-check         do not require a ticket number in the last turn's reply (ceiling)
  --think S                 a customer waits S s (uniform 0.5 S .. 1.5 S) after each reply before
                            the next message; 10 000 customers at --think 10 offer ~1 000 msgs/s
)";
}

bool parse_args(int argc, char** argv, options& o) {
  std::vector<std::string> a(argv + 1, argv + argc);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& k = a[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= a.size()) throw std::invalid_argument(k + " needs a value");
      return a[++i];
    };
    if (k == "--help" || k == "-h") return false;
    else if (k == "--peer") o.peer = next();
    else if (k == "--channel") o.channel = next();
    else if (k == "--url") o.url = next();
    else if (k == "--script") o.script_path = next();
    else if (k == "--auth-token") o.auth_token = next();
    else if (k == "--account-sid") o.account_sid = next();
    else if (k == "--bot-number") o.bot_number = next();
    else if (k == "--no-rest-auth-check") o.rest_auth_check = false;
    else if (k == "--wechat-token") o.wechat_token = next();
    else if (k == "--wechat-app-id") o.wechat_app_id = next();
    else if (k == "--wechat-aes-key") o.wechat_aes_key = next();
    else if (k == "--wechat-account") o.wechat_account = next();
    else if (k == "--gateway-listen") o.gateway_listen = next();
    else if (k == "-c" || k == "--conversations") o.conversations = std::stoi(next());
    else if (k == "-d" || k == "--duration") o.duration = std::stod(next());
    else if (k == "--warmup") o.warmup = std::stod(next());
    else if (k == "--drain") o.drain = std::stod(next());
    else if (k == "--timeout") o.timeout = std::stod(next());
    else if (k == "--rate") o.rate = std::stod(next());
    else if (k == "--max-open") o.max_open = std::stoi(next());
    else if (k == "--threads") o.threads = std::max(1, std::stoi(next()));
    else if (k == "--abandon-after") o.abandon_after = std::stoi(next());
    else if (k == "--total-dialogs") o.total_dialogs = std::stol(next());
    else if (k == "--pid") o.pid = std::stoi(next());
    else if (k == "--spawn") o.spawn = next();
    else if (k == "--server-log") o.server_log = next();
    else if (k == "--server-dir") o.server_dir = next();
    else if (k == "--wait-ready") o.wait_ready = std::stod(next());
    else if (k == "--no-signature-check") o.signature_check = false;
    else if (k == "--json") o.json_path = next();
    else if (k == "--transcript") o.transcript = true;
    else if (k == "--no-ticket-check") o.ticket_check = false;
    else if (k == "--think") o.think = std::stod(next());
    else throw std::invalid_argument("unknown option " + k);
  }
  if (o.channel != "sms" && o.channel != "wechat" && o.channel != "wechat-safe")
    throw std::invalid_argument("--channel must be sms, wechat or wechat-safe");
  if (o.script_path.empty()) throw std::invalid_argument("--script is required");
  return true;
}

struct endpoint_spec {
  std::string host;
  unsigned short port = 0;
  std::string target;  // path (and query) of a URL
};

endpoint_spec parse_url(const std::string& url) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) throw std::invalid_argument("only http:// URLs on loopback: " + url);
  auto rest = url.substr(prefix.size());
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  endpoint_spec e;
  e.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  e.host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  e.port = colon == std::string::npos ? 80 : static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)));
  return e;
}

endpoint_spec parse_hostport(const std::string& hp) {
  auto colon = hp.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got " + hp);
  return {hp.substr(0, colon), static_cast<unsigned short>(std::stoi(hp.substr(colon + 1))), "/"};
}

// ---------------------------------------------------------------------------------- script

// One customer message. `every` > 0: only in dialogs d with d % every == every - 1 (the
// peer's invalid-serial turn). `replies`: how many replies this turn waits for (a step that
// answers with two SMS). The last turn must bring the ticket number, no earlier one may.
struct turn {
  std::string kind;
  std::vector<std::string> texts;
  int every = 0;
  int replies = 1;
};

struct script {
  std::string name;
  std::vector<turn> turns;

  // Texts of dialog d; deterministic in d so every peer gets the same traffic.
  std::vector<std::pair<const turn*, std::string>> dialog(long d) const;
  double turns_per_dialog(int abandon_after) const;
};

std::string expand(const std::string& text, long d) {
  // {d}: dialog number; {d10}: ten digits, zero-padded; {e}: 10..99; {m}: 1..59.
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      auto end = text.find('}', i);
      if (end != std::string::npos) {
        auto key = text.substr(i + 1, end - i - 1);
        char buf[32];
        bool known = true;
        if (key == "d") std::snprintf(buf, sizeof buf, "%ld", d);
        else if (key == "d10") std::snprintf(buf, sizeof buf, "%010ld", d % 10000000000L);
        else if (key == "e") std::snprintf(buf, sizeof buf, "%ld", 10 + d % 90);
        else if (key == "m") std::snprintf(buf, sizeof buf, "%ld", 1 + d % 59);
        else known = false;
        if (known) {
          out += buf;
          i = end;
          continue;
        }
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::pair<const turn*, std::string>> script::dialog(long d) const {
  std::vector<std::pair<const turn*, std::string>> out;
  for (const auto& t : turns) {
    if (t.every > 0 && d % t.every != t.every - 1) continue;
    const long div = t.every > 0 ? t.every : 1;
    out.emplace_back(&t, expand(t.texts[static_cast<std::size_t>((d / div) % static_cast<long>(t.texts.size()))], d));
  }
  return out;
}

double script::turns_per_dialog(int abandon_after) const {
  double n = 0;
  for (const auto& t : turns) n += t.every > 0 ? 1.0 / t.every : 1.0;
  return abandon_after > 0 ? std::min<double>(n, abandon_after) : n;
}

script load_script(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("turns") || !doc["turns"].IsArray())
    throw std::runtime_error(path + ": expected {\"turns\": [...]}");
  script s;
  if (doc.HasMember("name") && doc["name"].IsString()) s.name = doc["name"].GetString();
  for (const auto& t : doc["turns"].GetArray()) {
    turn x;
    if (!t.IsObject() || !t.HasMember("texts") || !t["texts"].IsArray() || t["texts"].Empty())
      throw std::runtime_error(path + ": every turn needs a non-empty \"texts\" array");
    if (t.HasMember("kind") && t["kind"].IsString()) x.kind = t["kind"].GetString();
    for (const auto& v : t["texts"].GetArray()) x.texts.emplace_back(v.GetString());
    if (t.HasMember("every") && t["every"].IsInt()) x.every = t["every"].GetInt();
    if (t.HasMember("replies") && t["replies"].IsInt()) x.replies = std::max(1, t["replies"].GetInt());
    s.turns.push_back(std::move(x));
  }
  if (s.turns.empty() || s.turns.back().every > 0) throw std::runtime_error(path + ": the last turn must always run");
  return s;
}

// "SR" followed by at least 11 digits (SR + yyyymmdd + a sequence of >= 3 digits).
std::string find_ticket(std::string_view text) {
  for (std::size_t i = 0; i + 13 <= text.size(); ++i) {
    if (text[i] != 'S' || text[i + 1] != 'R') continue;
    std::size_t j = i + 2;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j - i - 2 >= 11) return std::string{text.substr(i, j - i)};
  }
  return {};
}

// ---------------------------------------------------------------------------------- statistics

struct stats {
  std::vector<std::uint32_t> webhook_us, reply_us;  // requests started in the window
  std::map<std::string, long> errors;
  long msgs_sent = 0, msgs_ok = 0, turns_in_window = 0, dialogs_in_window = 0;
  long dialogs_completed = 0, dialogs_failed = 0, dialogs_abandoned = 0;
  long replies_passive = 0, replies_twiml = 0;
  std::vector<std::string> tickets;

  void merge(stats& o) {
    webhook_us.insert(webhook_us.end(), o.webhook_us.begin(), o.webhook_us.end());
    reply_us.insert(reply_us.end(), o.reply_us.begin(), o.reply_us.end());
    for (auto& [k, v] : o.errors) errors[k] += v;
    msgs_sent += o.msgs_sent;
    msgs_ok += o.msgs_ok;
    turns_in_window += o.turns_in_window;
    dialogs_in_window += o.dialogs_in_window;
    dialogs_completed += o.dialogs_completed;
    dialogs_failed += o.dialogs_failed;
    dialogs_abandoned += o.dialogs_abandoned;
    replies_passive += o.replies_passive;
    replies_twiml += o.replies_twiml;
    tickets.insert(tickets.end(), o.tickets.begin(), o.tickets.end());
    o = stats{};
  }
};

std::string percentiles_json(std::vector<std::uint32_t>& v) {
  if (v.empty()) return "{\"n\":0}";
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(idx, v.size() - 1)] / 1000.0;
  };
  char buf[256];
  std::snprintf(buf, sizeof buf, "{\"n\":%zu,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f}", v.size(), at(0.50),
                at(0.95), at(0.99), v.back() / 1000.0);
  return buf;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------- server process

struct proc_sample {
  double cpu_s = 0;
  double runqueue_s = 0;  // time its threads were runnable but waited for a CPU (contention)
  double hwm_mb = 0, rss_mb = 0;
  bool alive = false;
};

proc_sample read_proc(int pid) {
  proc_sample s;
  if (pid <= 0) return s;
  std::ifstream st{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(st, line)) return s;
  // Fields after "(comm)": the comm may hold spaces, so count from the last ')'.
  auto close = line.rfind(')');
  std::istringstream rest{line.substr(close + 2)};
  std::vector<std::string> f;
  std::string x;
  while (rest >> x) f.push_back(x);
  // f[0] is field 3 (state); utime = field 14, stime = field 15.
  if (f.size() > 13) s.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  s.alive = !f.empty() && f[0] != "Z";
  // schedstat per thread: "run ns, wait-on-runqueue ns, timeslices".
  if (auto dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (auto* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream ss{"/proc/" + std::to_string(pid) + "/task/" + e->d_name + "/schedstat"};
      double run = 0, wait = 0;
      if (ss >> run >> wait) s.runqueue_s += wait / 1e9;
    }
    closedir(dir);
  }
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_mb = std::stod(line.substr(6)) / 1024.0;
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return s;
}

// Runs `exec CMD` in a shell, so the pid we measure is the server's own (taskset and env exec too).
int spawn_server(const std::string& cmd, const std::string& log, const std::string& dir) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      ::close(fd);
    }
    const std::string full = "exec " + cmd;
    execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

void stop_server(int pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 150; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

bool wait_port(const endpoint_spec& e, double seconds, int pid) {
  const auto end = steady::now() + std::chrono::duration<double>(seconds);
  net::io_context ioc;
  while (steady::now() < end) {
    tcp::socket s{ioc};
    boost::system::error_code ec;
    s.connect({net::ip::make_address(e.host), e.port}, ec);
    if (!ec) return true;
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) return false;  // it died
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// ---------------------------------------------------------------------------------- the run

struct reply_arrival {
  steady::time_point at;
  std::string text;
};

// One simulated customer: its connection to the server, its current identity (a fresh phone
// number / OpenID per dialog), and the replies the fake gateways routed to it.
struct customer {
  explicit customer(strand_t s) : strand(s), stream(s), wake(s) {}
  strand_t strand;
  beast::tcp_stream stream;
  bool connected = false;
  beast::flat_buffer buffer;
  net::steady_timer wake;
  std::string identity;
  std::vector<reply_arrival> replies;
  stats st;
  int index = 0;
};

class run {
 public:
  run(options o, script s)
      : o_(std::move(o)),
        script_(std::move(s)),
        server_(parse_url(o_.url)),
        gateway_(parse_hostport(o_.gateway_listen)),
        ioc_(o_.threads) {
    sms_ = o_.channel == "sms";
    safe_ = o_.channel == "wechat-safe";
    twilio_path_ = "/2010-04-01/Accounts/" + o_.account_sid + "/Messages.json";
    twilio_auth_ = "Basic " + bench::base64_encode(o_.account_sid + ":" + o_.auth_token);
    static const std::pair<const char*, const char*> fixed[] = {
        {"ToCountry", "US"}, {"ToState", "CA"}, {"NumMedia", "0"}, {"ToCity", "SAN FRANCISCO"}, {"FromZip", "94105"},
        {"FromState", "CA"}, {"SmsStatus", "received"}, {"FromCity", "SAN FRANCISCO"}, {"FromCountry", "US"},
        {"ToZip", "94105"}, {"NumSegments", "1"}, {"ApiVersion", "2010-04-01"}};
    for (const auto& [k, v] : fixed) sms_static_.emplace_back(k, v);
    sms_static_.emplace_back("To", o_.bot_number);
    sms_static_.emplace_back("AccountSid", o_.account_sid);
    for (const auto& [k, v] : sms_static_) sms_static_encoded_ += "&" + k + "=" + bench::form_encode(v);
  }

  int execute();

 private:
  // Identities: China mobile numbers (valid for libphonenumber, so a bot can take the sender as
  // the contact phone) or OpenIDs; never reused within a run.
  std::string new_identity() {
    const auto n = next_identity_.fetch_add(1);
    if (!sms_) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "oBench%022ld", n);
      return buf;
    }
    static const char* prefixes[] = {"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
                                     "150", "151", "152", "155", "156", "157", "158", "159", "186", "187"};
    char buf[32];
    std::snprintf(buf, sizeof buf, "+86%s%08ld", prefixes[(n / 100000000) % 20], n % 100000000);
    return buf;
  }

  void register_identity(const std::shared_ptr<customer>& c) {
    std::lock_guard lock{routes_mutex_};
    routes_[c->identity] = c;
  }
  void unregister_identity(const std::string& id) {
    std::lock_guard lock{routes_mutex_};
    routes_.erase(id);
  }
  // From a fake-gateway session: hands the reply to its customer's strand.
  void route_reply(const std::string& to, std::string text, steady::time_point at) {
    std::shared_ptr<customer> c;
    {
      std::lock_guard lock{routes_mutex_};
      auto it = routes_.find(to);
      if (it != routes_.end()) c = it->second;
    }
    replies_rest_.fetch_add(1);
    if (!c) {
      replies_unknown_.fetch_add(1);
      return;
    }
    auto deliver = [c, text = std::move(text), at, to]() mutable {
      if (c->identity != to) return;  // a late reply for an earlier dialog
      c->replies.push_back({at, std::move(text)});
      c->wake.cancel();
    };
    net::post(c->strand, std::move(deliver));
  }

  bool in_window(steady::time_point t) const { return t >= t_meas0_ && t < t_meas1_; }
  steady::duration think_time() {
    thread_local std::uint64_t x = 0x9E3779B97F4A7C15ULL ^ reinterpret_cast<std::uintptr_t>(&x);
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: uniform 0.5 .. 1.5 think
    const double f = 0.5 + static_cast<double>(x % 1000000) / 1000000.0;
    return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.think * f));
  }

  std::string build_request(const customer& c, const std::string& text, bool break_signature);
  net::awaitable<bool> exchange(customer& c, const std::string& request, http::response<http::string_body>& res,
                                std::string& error);
  net::awaitable<bool> run_dialog(std::shared_ptr<customer> c, long d, steady::time_point scheduled);
  net::awaitable<void> closed_loop_customer(std::shared_ptr<customer> c);
  net::awaitable<void> open_loop_spawner();
  net::awaitable<void> open_loop_dialog(std::shared_ptr<customer> c, long d, steady::time_point scheduled);
  net::awaitable<void> gateway_listener(tcp::acceptor acceptor);
  net::awaitable<void> gateway_session(tcp::socket socket);
  http::response<http::string_body> gateway_handle(const http::request<http::string_body>& req);
  bool signature_preflight();
  void finish_dialog(customer& c, bool ok);

  options o_;
  script script_;
  endpoint_spec server_, gateway_;
  net::io_context ioc_;
  bool sms_ = true, safe_ = false;
  std::string twilio_path_, twilio_auth_;
  std::vector<std::pair<std::string, std::string>> sms_static_;
  std::string sms_static_encoded_;

  std::atomic<long> next_identity_{1}, next_dialog_{0}, next_msg_{1};
  std::mutex routes_mutex_;
  std::unordered_map<std::string, std::shared_ptr<customer>> routes_;
  std::atomic<long> replies_rest_{0}, replies_unknown_{0}, rest_auth_failures_{0}, wechat_token_calls_{0},
      wechat_template_calls_{0};
  std::atomic<int> open_dialogs_{0};
  std::atomic<long> dropped_{0};
  std::atomic<bool> stop_starting_{false};

  steady::time_point t_start_, t_meas0_, t_meas1_, t_load_end_;
  std::mutex stats_mutex_;
  stats total_;
  std::vector<std::shared_ptr<customer>> customers_;
  std::atomic<int> running_{0};
  bool transcript_ = false;
};

std::string run::build_request(const customer& c, const std::string& text, bool break_signature) {
  const auto seq = next_msg_.fetch_add(1);
  std::string req;
  req.reserve(1200);
  if (sms_) {
    char sid[40];
    std::snprintf(sid, sizeof sid, "SM%032lx", seq);
    auto fields = sms_static_;
    fields.emplace_back("SmsMessageSid", sid);
    fields.emplace_back("SmsSid", sid);
    fields.emplace_back("MessageSid", sid);
    fields.emplace_back("Body", text);
    fields.emplace_back("From", c.identity);
    auto signature = bench::twilio_signature(o_.auth_token, o_.url, std::move(fields));
    if (break_signature) signature[0] = signature[0] == 'A' ? 'B' : 'A';
    std::string body = sms_static_encoded_.substr(1);
    body += "&SmsMessageSid=";
    body += sid;
    body += "&SmsSid=";
    body += sid;
    body += "&MessageSid=";
    body += sid;
    body += "&Body=" + bench::form_encode(text) + "&From=" + bench::form_encode(c.identity);
    req = "POST " + server_.target + " HTTP/1.1\r\nHost: " + server_.host + ":" + std::to_string(server_.port) +
          "\r\nUser-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n"
          "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\nCache-Control: max-age=259200\r\n"
          "X-Twilio-Signature: " +
          signature + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return req;
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::string timestamp = std::to_string(now_s);
  const std::string nonce = std::to_string(100000000 + seq % 900000000);
  std::string xml = "<xml><ToUserName><![CDATA[" + o_.wechat_account + "]]></ToUserName><FromUserName><![CDATA[" +
                    c.identity + "]]></FromUserName><CreateTime>" + timestamp +
                    "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text +
                    "]]></Content><MsgId>" + std::to_string(7000000000000000000L + seq) + "</MsgId></xml>";
  auto signature = bench::wechat_signature({o_.wechat_token, timestamp, nonce});
  std::string query = "?signature=" + signature + "&timestamp=" + timestamp + "&nonce=" + nonce + "&openid=" + c.identity;
  std::string body;
  if (safe_) {
    char random16[17];
    std::snprintf(random16, sizeof random16, "%016lx", seq * 2654435761UL);
    auto encrypted = bench::wechat_encrypt(o_.wechat_aes_key, xml, o_.wechat_app_id, random16);
    auto msg_signature = bench::wechat_signature({o_.wechat_token, timestamp, nonce, encrypted});
    if (break_signature) msg_signature[0] = msg_signature[0] == '0' ? '1' : '0';
    query += "&encrypt_type=aes&msg_signature=" + msg_signature;
    body = "<xml><ToUserName><![CDATA[" + o_.wechat_account + "]]></ToUserName><Encrypt><![CDATA[" + encrypted +
           "]]></Encrypt></xml>";
  } else {
    if (break_signature) {
      auto pos = query.find("signature=") + 10;
      query[pos] = query[pos] == '0' ? '1' : '0';
    }
    body = std::move(xml);
  }
  req = "POST " + server_.target + query + " HTTP/1.1\r\nHost: " + server_.host + ":" + std::to_string(server_.port) +
        "\r\nUser-Agent: Mozilla/4.0\r\nAccept: */*\r\nContent-Type: text/xml\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
  return req;
}

// One request on the customer's keep-alive connection (connecting first when needed).
net::awaitable<bool> run::exchange(customer& c, const std::string& request, http::response<http::string_body>& res,
                                   std::string& error) {
  boost::system::error_code ec;
  c.stream.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(o_.timeout)));
  if (!c.connected) {
    tcp::endpoint ep{net::ip::make_address(server_.host), server_.port};
    co_await c.stream.async_connect(ep, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      error = ec == beast::error::timeout ? "timeout" : "connect";
      co_return false;
    }
    c.stream.socket().set_option(tcp::no_delay{true});
    c.connected = true;
    c.buffer.clear();
  }
  co_await net::async_write(c.stream, net::buffer(request), net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    error = ec == beast::error::timeout ? "timeout" : "connection";
    co_return false;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  co_await http::async_read(c.stream, c.buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    error = ec == beast::error::timeout ? "timeout" : "connection";
    co_return false;
  }
  res = parser.release();
  if (!res.keep_alive()) {
    c.stream.socket().close(ec);
    c.connected = false;
  }
  co_return true;
}

void run::finish_dialog(customer& c, bool ok) {
  unregister_identity(c.identity);
  if (!ok) {
    // The server may be stuck mid-dialog for this identity: start over on a fresh connection.
    boost::system::error_code ec;
    c.stream.socket().close(ec);
    c.connected = false;
  }
}

net::awaitable<bool> run::run_dialog(std::shared_ptr<customer> c, long d, steady::time_point scheduled) {
  auto& st = c->st;
  c->identity = new_identity();
  c->replies.clear();
  register_identity(c);
  auto turns = script_.dialog(d);
  if (o_.abandon_after > 0 && static_cast<int>(turns.size()) > o_.abandon_after) turns.resize(o_.abandon_after);
  const bool abandon = o_.abandon_after > 0;
  std::size_t seen = 0;  // replies consumed by earlier turns
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const auto& [t, text] = turns[i];
    if (i > 0 && o_.think > 0) {
      boost::system::error_code ec;
      c->wake.expires_after(think_time());
      co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    const bool final_turn = i + 1 == turns.size() && !abandon;
    const bool last = final_turn && o_.ticket_check;  // must bring the ticket
    auto request = build_request(*c, text, false);
    // Open loop: the first turn counts from when it should have been sent.
    const auto t0 = (i == 0 && scheduled != steady::time_point{}) ? scheduled : steady::now();
    ++st.msgs_sent;
    http::response<http::string_body> res;
    std::string error;
    const bool sent = co_await exchange(*c, request, res, error);
    const auto t1 = steady::now();
    if (!sent) {
      ++st.errors[error];
      finish_dialog(*c, false);
      co_return false;
    }
    if (res.result_int() < 200 || res.result_int() >= 300) {
      ++st.errors["http_" + std::to_string(res.result_int())];
      finish_dialog(*c, false);
      co_return false;
    }
    ++st.msgs_ok;
    // Replies in the answer itself: WeChat passive reply, or TwiML <Message>.
    std::vector<std::string> texts;
    const auto& body = res.body();
    if (!sms_) {
      if (body != "success" && !body.empty()) {
        std::string xml = body;
        if (safe_) {
          auto encrypted = bench::xml_field(body, "Encrypt");
          auto sig = bench::xml_field(body, "MsgSignature");
          auto ts = bench::xml_field(body, "TimeStamp");
          auto nonce = bench::xml_field(body, "Nonce");
          std::string msg, appid;
          if (bench::wechat_signature({o_.wechat_token, ts, nonce, encrypted}) != sig ||
              !bench::wechat_decrypt(o_.wechat_aes_key, encrypted, msg, appid) || appid != o_.wechat_app_id) {
            ++st.errors["bad_passive_reply"];
            finish_dialog(*c, false);
            co_return false;
          }
          xml = std::move(msg);
        }
        texts.push_back(bench::xml_field(xml, "Content"));
        ++st.replies_passive;
      }
    } else if (body.find("<Message") != std::string::npos) {
      for (std::size_t p = body.find("<Message"); p != std::string::npos; p = body.find("<Message", p + 1)) {
        auto open_end = body.find('>', p);
        auto close = body.find("</Message>", open_end);
        if (open_end == std::string::npos || close == std::string::npos) break;
        texts.push_back(body.substr(open_end + 1, close - open_end - 1));
        ++st.replies_twiml;
      }
    }
    auto t_reply = t1;
    // Replies through the gateway (SMS REST, WeChat customer-service API).
    const auto deadline = t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.timeout));
    auto have = [&] {
      std::size_t n = texts.size() + (c->replies.size() - seen);
      // The ceiling server answers every message with exactly one reply.
      const int wanted = o_.ticket_check ? t->replies : 1;
      if (n < static_cast<std::size_t>(wanted)) return false;
      if (!last) return true;
      for (const auto& x : texts)
        if (!find_ticket(x).empty()) return true;
      for (std::size_t k = seen; k < c->replies.size(); ++k)
        if (!find_ticket(c->replies[k].text).empty()) return true;
      return false;
    };
    while (!have() && steady::now() < deadline) {
      boost::system::error_code ec;
      c->wake.expires_at(deadline);
      co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    if (!have()) {
      const auto got = texts.size() + (c->replies.size() - seen);
      ++st.errors[got == 0 ? "no_reply" : got < static_cast<std::size_t>(t->replies) ? "missing_reply" : "no_ticket"];
      finish_dialog(*c, false);
      co_return false;
    }
    if (texts.empty() && c->replies.size() > seen) t_reply = c->replies[seen].at;
    for (std::size_t k = seen; k < c->replies.size(); ++k) texts.push_back(c->replies[k].text);
    seen = c->replies.size();
    if (transcript_) {
      std::cerr << "CUSTOMER> " << text << "\n";
      for (const auto& x : texts) std::cerr << "     BOT> " << x << "\n";
    }
    std::string ticket;
    for (const auto& x : texts)
      if (ticket.empty()) ticket = find_ticket(x);
    if (!last && !ticket.empty() && o_.ticket_check) {
      ++st.errors["early_ticket_" + t->kind];
      finish_dialog(*c, false);
      co_return false;
    }
    if (in_window(t0)) {
      st.webhook_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      // Botkit sends its replies before it answers, so a reply may precede the answer.
      st.reply_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(t_reply - t0).count()));
    }
    if (in_window(steady::now())) ++st.turns_in_window;
    if (final_turn) {
      if (last) st.tickets.push_back(ticket);
      if (in_window(steady::now())) ++st.dialogs_in_window;
    }
  }
  finish_dialog(*c, true);
  if (abandon) ++st.dialogs_abandoned;
  co_return true;
}

net::awaitable<void> run::closed_loop_customer(std::shared_ptr<customer> c) {
  if (o_.think > 0) {
    // Spread the customers' first messages over one think time.
    boost::system::error_code ec;
    c->wake.expires_after(std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(o_.think * static_cast<double>(c->index % 1000) / 1000.0)));
    co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  while (steady::now() < t_load_end_ && !stop_starting_.load()) {
    const long d = next_dialog_.fetch_add(1);
    if (o_.total_dialogs > 0 && d >= o_.total_dialogs) break;
    const bool ok = co_await run_dialog(c, d, steady::time_point{});
    if (ok) {
      ++c->st.dialogs_completed;
      if (o_.think > 0) {
        boost::system::error_code ec;
        c->wake.expires_after(think_time());
        co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
    } else {
      ++c->st.dialogs_failed;
      boost::system::error_code ec;
      c->wake.expires_after(std::chrono::milliseconds(50));
      co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    if (transcript_) break;
  }
  boost::system::error_code ec;
  c->stream.socket().close(ec);
}

net::awaitable<void> run::open_loop_dialog(std::shared_ptr<customer> c, long d, steady::time_point scheduled) {
  const bool ok = co_await run_dialog(c, d, scheduled);
  if (ok) ++c->st.dialogs_completed;
  else ++c->st.dialogs_failed;
  boost::system::error_code ec;
  c->stream.socket().close(ec);
  {
    std::lock_guard lock{stats_mutex_};
    total_.merge(c->st);
  }
  open_dialogs_.fetch_sub(1);
}

net::awaitable<void> run::open_loop_spawner() {
  net::steady_timer timer{co_await net::this_coro::executor};
  const auto period = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / o_.rate));
  auto next = steady::now();
  for (long k = 0; next < t_load_end_ && !stop_starting_.load(); ++k, next += period) {
    if (o_.total_dialogs > 0 && k >= o_.total_dialogs) break;
    timer.expires_at(next);
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (open_dialogs_.load() >= o_.max_open) {
      dropped_.fetch_add(1);
      continue;
    }
    open_dialogs_.fetch_add(1);
    const long d = next_dialog_.fetch_add(1);
    // Each dialog runs on its own strand (its socket, timer and replies live there).
    auto c = std::make_shared<customer>(net::make_strand(ioc_));
    auto one = [this, c, d, next]() { return open_loop_dialog(c, d, next); };
    net::co_spawn(c->strand, std::move(one), net::detached);
  }
}

// ---------------------------------------------------------------------------------- fake gateways

http::response<http::string_body> run::gateway_handle(const http::request<http::string_body>& req) {
  const auto now = steady::now();
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  const std::string target{req.target()};
  const auto path = target.substr(0, target.find('?'));
  if (req.method() == http::verb::post && path == twilio_path_) {
    if (o_.rest_auth_check && req[http::field::authorization] != twilio_auth_) {
      rest_auth_failures_.fetch_add(1);
      res.result(http::status::unauthorized);
      res.body() = R"({"code":20003,"message":"Authenticate","status":401})";
    } else {
      const auto seq = next_msg_.fetch_add(1);
      char sid[40];
      std::snprintf(sid, sizeof sid, "SM%032lx", seq);
      route_reply(bench::form_value(req.body(), "To"), bench::form_value(req.body(), "Body"), now);
      res.result(http::status::created);
      res.body() = std::string{R"({"sid":")"} + sid + R"(","status":"queued","account_sid":")" + o_.account_sid + "\"}";
    }
  } else if (path.rfind("/2010-04-01/", 0) == 0) {
    res.result(http::status::not_found);
    res.body() = R"({"code":20404,"status":404})";
  } else if (req.method() == http::verb::get && path == "/cgi-bin/token") {
    wechat_token_calls_.fetch_add(1);
    res.body() = R"({"access_token":"bench-access-token","expires_in":7200})";
  } else if (req.method() == http::verb::post && path == "/cgi-bin/message/custom/send") {
    rapidjson::Document d;
    d.Parse(req.body().c_str());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("touser") && d["touser"].IsString() && d.HasMember("text") &&
        d["text"].IsObject() && d["text"].HasMember("content") && d["text"]["content"].IsString()) {
      route_reply(d["touser"].GetString(), d["text"]["content"].GetString(), now);
      res.body() = R"({"errcode":0,"errmsg":"ok"})";
    } else {
      res.body() = R"({"errcode":44002,"errmsg":"empty post data"})";
    }
  } else if (req.method() == http::verb::post && path == "/cgi-bin/message/template/send") {
    wechat_template_calls_.fetch_add(1);
    res.body() = R"({"errcode":0,"errmsg":"ok","msgid":1})";
  } else {
    res.result(http::status::not_found);
    res.body() = R"({"error":"not found"})";
  }
  res.prepare_payload();
  return res;
}

net::awaitable<void> run::gateway_session(tcp::socket socket) {
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    stream.expires_after(std::chrono::seconds(120));
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    auto req = parser.release();
    auto res = gateway_handle(req);
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> run::gateway_listener(tcp::acceptor acceptor) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(net::make_strand(ioc_), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      continue;  // EMFILE and the like: keep accepting
    }
    auto executor = socket.get_executor();
    auto session = [this, s = std::move(socket)]() mutable { return gateway_session(std::move(s)); };
    net::co_spawn(executor, std::move(session), net::detached);
  }
}

// ---------------------------------------------------------------------------------- driver

// A request with a broken signature must get a 4xx and cause no reply.
bool run::signature_preflight() {
  auto c = std::make_shared<customer>(net::make_strand(ioc_));
  c->identity = new_identity();
  register_identity(c);
  auto request = build_request(*c, script_.turns.front().texts.front(), true);
  int status = 0;
  bool done = false;
  auto probe = [this, c, request, &status, &done]() -> net::awaitable<void> {
    http::response<http::string_body> res;
    std::string error;
    if (co_await exchange(*c, request, res, error)) status = res.result_int();
    boost::system::error_code ec;
    c->wake.expires_after(std::chrono::milliseconds(300));
    co_await c->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
    c->stream.socket().close(ec);
    done = true;
  };
  net::co_spawn(c->strand, std::move(probe), net::detached);
  // The fake gateways keep the io_context busy: run it only until the probe is done.
  while (!done) ioc_.run_one();
  unregister_identity(c->identity);
  return status >= 400 && status < 500 && c->replies.empty();
}

int run::execute() {
  // 10 000 customers need 10 000 sockets here (and in a server we spawn, which inherits this).
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  transcript_ = o_.transcript;
  // Identities differ from run to run, so a run against a database that is not fresh does not
  // continue the conversations of an earlier one.
  next_identity_ = 1 + (std::time(nullptr) % 1000) * 1000000L;
  if (transcript_) {
    o_.conversations = 1;
    o_.warmup = 0;
    o_.signature_check = false;
  }

  tcp::acceptor acceptor{ioc_};
  {
    tcp::endpoint ep{net::ip::make_address(gateway_.host), gateway_.port};
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(4096);
  }

  int pid = o_.pid;
  if (!o_.spawn.empty()) pid = spawn_server(o_.spawn, o_.server_log, o_.server_dir);
  if (!wait_port(server_, o_.wait_ready, o_.spawn.empty() ? 0 : pid)) {
    std::cerr << "loadgen: the server at " << server_.host << ":" << server_.port << " does not accept connections\n";
    if (!o_.spawn.empty()) stop_server(pid);
    return 2;
  }
  auto listen = [this, a = std::move(acceptor)]() mutable { return gateway_listener(std::move(a)); };
  net::co_spawn(ioc_, std::move(listen), net::detached);

  std::string signature_check = "skipped";
  if (o_.signature_check) signature_check = signature_preflight() ? "ok" : "FAILED";

  rusage ru0{};
  getrusage(RUSAGE_SELF, &ru0);
  t_start_ = steady::now();
  auto secs = [](double s) { return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s)); };
  t_meas0_ = t_start_ + secs(o_.warmup);
  t_meas1_ = t_meas0_ + secs(o_.duration);
  t_load_end_ = t_meas1_;
  if (transcript_) t_load_end_ = t_meas1_ = t_start_ + secs(o_.timeout * 20);

  // Server CPU over the measured window.
  proc_sample at_meas0, at_meas1;
  net::steady_timer mark0{ioc_}, mark1{ioc_}, drain_end{ioc_};
  mark0.expires_at(t_meas0_);
  mark0.async_wait([&](boost::system::error_code) { at_meas0 = read_proc(pid); });
  mark1.expires_at(t_meas1_);
  mark1.async_wait([&](boost::system::error_code) { at_meas1 = read_proc(pid); });
  drain_end.expires_at(t_load_end_ + secs(o_.drain));
  drain_end.async_wait([&](boost::system::error_code ec) {
    if (!ec) ioc_.stop();  // dialogs still open now are abandoned
  });
  // Ends the run as soon as every customer / dialog is done.
  net::steady_timer done_poll{ioc_};
  std::function<void(boost::system::error_code)> poll = [&](boost::system::error_code) {
    const bool done = o_.rate > 0 ? (steady::now() >= t_load_end_ || stop_starting_.load()) && open_dialogs_.load() == 0
                                  : running_.load() == 0;
    if (done) {
      ioc_.stop();
      return;
    }
    done_poll.expires_after(std::chrono::milliseconds(20));
    done_poll.async_wait(poll);
  };
  done_poll.expires_after(std::chrono::milliseconds(20));
  done_poll.async_wait(poll);

  if (o_.rate > 0) {
    auto spawner = [this]() { return open_loop_spawner(); };
    net::co_spawn(ioc_, std::move(spawner), [this](std::exception_ptr) { stop_starting_ = true; });
  } else {
    for (int i = 0; i < o_.conversations; ++i) {
      auto c = std::make_shared<customer>(net::make_strand(ioc_));
      c->index = i;
      customers_.push_back(c);
      running_.fetch_add(1);
      auto loop = [this, c]() { return closed_loop_customer(c); };
      net::co_spawn(c->strand, std::move(loop), [this](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            std::cerr << "loadgen: customer failed: " << x.what() << "\n";
          }
        }
        running_.fetch_sub(1);
      });
    }
  }

  std::vector<std::thread> pool;
  for (int i = 1; i < o_.threads; ++i) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();
  const auto t_end = steady::now();

  proc_sample at_end = read_proc(pid);
  if (at_meas1.cpu_s == 0) at_meas1 = at_end;
  rusage ru1{};
  getrusage(RUSAGE_SELF, &ru1);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  const double gen_cpu = tv(ru1.ru_utime) - tv(ru0.ru_utime) + tv(ru1.ru_stime) - tv(ru0.ru_stime);

  for (auto& c : customers_) total_.merge(c->st);
  std::sort(total_.tickets.begin(), total_.tickets.end());
  long dup = 0;
  for (std::size_t i = 1; i < total_.tickets.size(); ++i)
    if (total_.tickets[i] == total_.tickets[i - 1]) ++dup;
  long errors = 0;
  std::string err_json = "{";
  for (const auto& [k, v] : total_.errors) {
    errors += v;
    err_json += (err_json.size() > 1 ? "," : "") + ("\"" + k + "\":" + std::to_string(v));
  }
  err_json += "}";
  const double window = transcript_ ? std::chrono::duration<double>(t_end - t_start_).count() : o_.duration;
  const double tpd = script_.turns_per_dialog(o_.abandon_after);
  char head[2048];
  std::snprintf(head, sizeof head,
                "{\"peer\":\"%s\",\"channel\":\"%s\",\"script\":\"%s\",\"mode\":\"%s\",\"conversations\":%d,"
                "\"think_s\":%.1f,\"offered_dialogs_per_s\":%.1f,\"offered_msgs_per_s\":%.1f,\"threads\":%d,\"duration_s\":%.1f,"
                "\"warmup_s\":%.1f,\"turns_per_dialog\":%.2f,\"msgs_per_s\":%.1f,\"dialogs_per_s\":%.1f,",
                json_escape(o_.peer).c_str(), o_.channel.c_str(), json_escape(script_.name).c_str(),
                o_.rate > 0 ? "open" : "closed", o_.rate > 0 ? 0 : o_.conversations, o_.think, o_.rate, o_.rate * tpd, o_.threads,
                window, o_.warmup, tpd, static_cast<double>(total_.turns_in_window) / window,
                static_cast<double>(total_.dialogs_in_window) / window);
  std::string out = head;
  out += "\"webhook_ms\":" + percentiles_json(total_.webhook_us) + ",\"reply_ms\":" + percentiles_json(total_.reply_us);
  char tail[2048];
  std::snprintf(tail, sizeof tail,
                ",\"errors_total\":%ld,\"errors\":%s,\"msgs_sent\":%ld,\"msgs_ok\":%ld,\"dialogs_completed\":%ld,"
                "\"dialogs_failed\":%ld,\"dialogs_abandoned\":%ld,\"dropped\":%ld,\"replies_rest\":%ld,"
                "\"replies_passive\":%ld,\"replies_twiml\":%ld,\"replies_unknown\":%ld,\"rest_auth_failures\":%ld,"
                "\"wechat_token_calls\":%ld,\"wechat_template_calls\":%ld,\"tickets\":%zu,\"tickets_dup\":%ld,"
                "\"signature_check\":\"%s\",\"server\":{\"pid\":%d,\"alive\":%s,\"peak_rss_mb\":%.1f,\"rss_mb\":%.1f,"
                "\"cpu_s\":%.2f,\"cpu_s_window\":%.2f,\"runqueue_wait_s_window\":%.2f},\"loadgen_cpu_s\":%.2f}",
                errors, err_json.c_str(), total_.msgs_sent, total_.msgs_ok, total_.dialogs_completed,
                total_.dialogs_failed, total_.dialogs_abandoned, dropped_.load(), replies_rest_.load(),
                total_.replies_passive, total_.replies_twiml, replies_unknown_.load(), rest_auth_failures_.load(),
                wechat_token_calls_.load(), wechat_template_calls_.load(), total_.tickets.size(), dup,
                signature_check.c_str(), pid, at_end.alive ? "true" : "false", at_end.hwm_mb, at_end.rss_mb,
                at_end.cpu_s, at_meas1.cpu_s - at_meas0.cpu_s, at_meas1.runqueue_s - at_meas0.runqueue_s, gen_cpu);
  out += tail;
  std::cout << out << std::endl;
  if (!o_.json_path.empty()) std::ofstream{o_.json_path} << out << "\n";
  if (!o_.spawn.empty()) stop_server(pid);
  if (transcript_) return total_.dialogs_completed == 1 ? 0 : 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    if (!parse_args(argc, argv, o)) {
      usage();
      return 64;
    }
    auto s = load_script(o.script_path);
    signal(SIGPIPE, SIG_IGN);
    run r{std::move(o), std::move(s)};
    return r.execute();
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 64;
  }
}
