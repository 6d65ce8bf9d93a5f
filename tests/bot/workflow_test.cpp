// The workflow's pure core as tables: every (action, state) pair of the state machine, the
// customer-visible stage of each state, the rule matcher, and the engineer choice with its ties.
// Then the in-unit operations on a real SQLite store (no HTTP): assignment on intake, 409s,
// the survey outcomes, timers, and the WeChat planner.
#include "bot/workflow.hpp"

#include "bot/config.hpp"
#include "bot/outbound.hpp"
#include "bot/ticket_attributes.hpp"
#include "channels/message.hpp"
#include "dialogs/intake.hpp"
#include "store/sqlite/sqlite_backend.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <tuple>

namespace wf = bot::workflow;
using wf::action;

namespace {

// The legal moves, written out independently of workflow.cpp's table (product.md "Lifecycle").
const std::set<std::tuple<action, std::string_view, std::string_view>> legal = {
    {action::assign, "pending_assignment", "assigned"}, {action::assign, "suspended", "assigned"},
    {action::assign, "assigned", "assigned"},           {action::assign, "locked", "assigned"},
    {action::assign, "in_progress", "assigned"},        {action::assign, "reopened", "assigned"},
    {action::progress, "assigned", "in_progress"},      {action::progress, "in_progress", "in_progress"},
    {action::progress, "suspended", "in_progress"},     {action::resolve, "assigned", "resolved"},
    {action::resolve, "in_progress", "resolved"},       {action::close, "resolved", "closed"},
    {action::close, "reopened", "closed"},              {action::close, "locked", "closed"},
    {action::close, "suspended", "closed"},             {action::reopen, "resolved", "reopened"},
    {action::reopen, "closed", "reopened"},             {action::suspend, "pending_assignment", "suspended"},
    {action::suspend, "assigned", "suspended"},         {action::suspend, "in_progress", "suspended"},
    {action::suspend, "reopened", "suspended"},         {action::suspend, "locked", "suspended"},
    {action::lock, "pending_assignment", "locked"},     {action::lock, "assigned", "locked"},
    {action::lock, "in_progress", "locked"},            {action::lock, "resolved", "locked"},
    {action::lock, "reopened", "locked"},               {action::lock, "suspended", "locked"},
    {action::rate_satisfied, "resolved", "closed"},     {action::rate_unsatisfied, "resolved", "reopened"},
    {action::expire_survey, "resolved", "closed"},      {action::requeue, "assigned", "pending_assignment"},
};

bot::staff_member engineer(std::string id, std::vector<std::string> skills, bool on_duty = true, int max_open = 10) {
  bot::staff_member s;
  s.id = std::move(id);
  s.name = s.id;
  s.role = "engineer";
  s.skills = std::move(skills);
  s.on_duty = on_duty;
  s.max_open = max_open;
  s.notify_channel = "sms";
  s.notify_address = "+8613900000" + s.id.substr(1);
  return s;
}

bot::assignment_rule rule(std::map<std::string, std::string> when, std::vector<std::string> skills) {
  bot::assignment_rule r;
  r.when = std::move(when);
  r.skills = std::move(skills);
  return r;
}

}  // namespace

TEST_CASE("every action in every state: legal moves go where the lifecycle says, the rest are illegal",
          "[bot][workflow][states]") {
  int checked = 0, legal_count = 0;
  for (auto a : wf::all_actions) {
    for (auto state : wf::all_states) {
      CAPTURE(wf::to_string(a), state);
      const auto next = wf::next_state(a, state);
      if (a == action::note) {
        // A note is allowed everywhere and changes nothing.
        REQUIRE(next);
        CHECK(*next == state);
      } else {
        auto it = std::find_if(legal.begin(), legal.end(), [&](const auto& t) {
          return std::get<0>(t) == a && std::get<1>(t) == state;
        });
        if (it == legal.end()) {
          CHECK_FALSE(next);
        } else {
          REQUIRE(next);
          CHECK(*next == std::get<2>(*it));
          ++legal_count;
        }
      }
      ++checked;
    }
  }
  CHECK(checked == 12 * 9);
  CHECK(legal_count == static_cast<int>(legal.size()));
  // Terminal states: only a note, a supervisor's reopen of a closed ticket.
  CHECK_FALSE(wf::next_state(action::assign, "cancelled"));
  CHECK_FALSE(wf::next_state(action::close, "closed"));
  CHECK_FALSE(wf::next_state(action::progress, "unknown_state"));
  CHECK_FALSE(wf::next_state(action::note, "unknown_state"));
}

TEST_CASE("each state has its customer-visible stage and its place in an engineer's load", "[bot][workflow][states]") {
  auto [state, stage, open] = GENERATE(table<std::string, std::string, bool>({
      {"pending_assignment", "accepted", false},
      {"suspended", "accepted", true},
      {"assigned", "accepted", true},
      {"locked", "accepted", true},
      {"in_progress", "in_progress", true},
      {"reopened", "in_progress", true},
      {"resolved", "awaiting_confirmation", false},
      {"closed", "completed", false},
      {"cancelled", "completed", false},
  }));
  CAPTURE(state);
  CHECK(wf::stage_of(state) == stage);
  CHECK(wf::counts_as_open(state) == open);
}

TEST_CASE("the first rule whose every condition matches wins", "[bot][workflow][rules]") {
  const std::vector<bot::assignment_rule> rules = {
      rule({{"priority", "critical"}}, {}),
      rule({{"line", "laundry"}}, {"laundry"}),
      rule({{"type", "installation"}, {"line", "hvac"}}, {"hvac", "install"}),
      rule({{"model", "TV-55U"}}, {"tv"}),
      rule({{"channel", "email"}}, {"general"}),
      rule({}, {"general"}),
  };
  auto [type, line, model, priority, channel, expected] =
      GENERATE(table<std::string, std::string, std::string, std::string, std::string, std::size_t>({
          {"repair", "laundry", "ABC-2000", "critical", "wechat", 0},     // critical before the line
          {"repair", "laundry", "ABC-2000", "normal", "wechat", 1},
          {"installation", "hvac", "KT-35GW", "normal", "sms", 2},        // both keys match
          {"repair", "hvac", "KT-35GW", "normal", "sms", 5},              // one of two keys: no
          {"repair", "tv", "TV-55U", "urgent", "wechat", 3},
          {"usage", "water", "RO-600", "low", "email", 4},
          {"usage", "water", "RO-600", "low", "wechat", 5},               // the catch-all
          {"", "", "", "", "", 5},                                        // nothing known: catch-all
      }));
  CAPTURE(type, line, model, priority, channel);
  const auto index = wf::match_rule(rules, {type, line, model, priority, channel});
  REQUIRE(index);
  CHECK(*index == expected);

  SECTION("without a catch-all an unmatched ticket has no rule") {
    const std::vector<bot::assignment_rule> narrow{rule({{"line", "laundry"}}, {"laundry"})};
    CHECK_FALSE(wf::match_rule(narrow, {"repair", "tv", "TV-55U", "normal", "wechat"}));
    CHECK_FALSE(wf::match_rule({}, {"repair", "tv", "TV-55U", "normal", "wechat"}));
  }
}

TEST_CASE("rules describe themselves for the ticket history", "[bot][workflow][rules]") {
  CHECK(wf::describe_rule(rule({{"line", "laundry"}}, {"laundry"}), 1) == "rule #2 line=laundry");
  CHECK(wf::describe_rule(rule({{"type", "installation"}, {"line", "hvac"}}, {}), 0) ==
        "rule #1 line=hvac, type=installation");
  CHECK(wf::describe_rule(rule({}, {"general"}), 5) == "rule #6 (any ticket)");
}

TEST_CASE("the engineer with the fewest open tickets gets it; ties go to the longest waiting",
          "[bot][workflow][choice]") {
  const std::vector<bot::staff_member> staff = {
      engineer("E001", {"laundry", "general"}),
      engineer("E002", {"hvac"}),
      engineer("E003", {"laundry"}),
      engineer("E004", {"laundry"}, /*on_duty=*/false),
      engineer("E005", {"laundry"}, true, /*max_open=*/2),
  };
  const auto laundry = rule({{"line", "laundry"}}, {"laundry"});

  SECTION("fewest open wins, and the reason lists every eligible engineer's load, the chosen one first") {
    auto c = wf::choose_engineer(staff, laundry, 1, {{"E001", 1}, {"E003", 4}, {"E005", 2}}, {});
    CHECK(c.engineer == "E001");
    CHECK(c.reason == "rule #2 line=laundry; E001 had 1 open, E003 had 4");
  }
  SECTION("equal loads: the one whose last assignment is oldest") {
    auto c = wf::choose_engineer(staff, laundry, 1, {{"E001", 2}, {"E003", 2}, {"E005", 2}},
                                 {{"E001", 5000}, {"E003", 4000}});
    CHECK(c.engineer == "E003");
    CHECK(c.reason == "rule #2 line=laundry; E003 had 2 open, E001 had 2; tie: E003 waited longest since the "
                      "last assignment");
  }
  SECTION("equal loads: never assigned counts as waiting longest") {
    auto c = wf::choose_engineer(staff, laundry, 1, {{"E001", 0}, {"E003", 0}}, {{"E001", 5000}});
    CHECK(c.engineer == "E003");
  }
  SECTION("equal loads and equal waits: staff-file order") {
    auto c = wf::choose_engineer(staff, laundry, 1, {}, {});
    CHECK(c.engineer == "E001");
  }
  SECTION("off duty and full engineers are skipped; every listed skill is needed") {
    auto c = wf::choose_engineer(staff, rule({}, {"laundry", "general"}), 0, {{"E001", 10}}, {});
    CHECK(c.engineer.empty());
    CHECK(c.reason == "rule #1 (any ticket); no eligible engineer (E001 at max_open 10)");
    auto d = wf::choose_engineer(staff, laundry, 1, {{"E001", 10}, {"E003", 10}, {"E005", 2}}, {});
    CHECK(d.engineer.empty());
    CHECK(d.reason == "rule #2 line=laundry; no eligible engineer (E001 at max_open 10, E003 at max_open 10, "
                      "E004 off duty, E005 at max_open 2)");
  }
  SECTION("an empty skill list means any engineer, never a supervisor or admin") {
    auto staff2 = staff;
    bot::staff_member boss;
    boss.id = "S001";
    boss.role = "supervisor";
    staff2.insert(staff2.begin(), boss);
    auto c = wf::choose_engineer(staff2, rule({{"priority", "critical"}}, {}), 0, {{"E001", 3}, {"E003", 1}}, {});
    CHECK(c.engineer == "E002");  // 0 open
  }
  SECTION("nobody has the skill") {
    auto c = wf::choose_engineer(staff, rule({}, {"tv"}), 3, {}, {});
    CHECK(c.engineer.empty());
    CHECK(c.reason == "rule #4 (any ticket); no engineer has skills tv");
  }
}

// ---- operations on a real store ----

namespace {

class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("sb-workflow-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The demo catalog and rules, and two engineers and a supervisor.
std::shared_ptr<const bot::data_files> test_files() {
  auto files = std::make_shared<bot::data_files>();
  files->catalog = bot::load_catalog(std::string{SB_SOURCE_DIR} + "/demo/catalog.json");
  files->catalog.prepare();
  files->rules = bot::load_rules(std::string{SB_SOURCE_DIR} + "/demo/rules.json");
  files->staff = {engineer("E001", {"laundry", "general"}), engineer("E003", {"laundry"})};
  bot::staff_member boss;
  boss.id = "S001";
  boss.name = "主管";
  boss.role = "supervisor";
  boss.notify_channel = "sms";
  boss.notify_address = "+8613900000009";
  files->staff.push_back(boss);
  return files;
}

struct fixture {
  temp_dir dir;
  bot::app a{bot::config{}, test_files(), templates::library::embedded(), "Asia/Shanghai"};
  std::unique_ptr<store::backend> backend = store::sqlite::make_backend(dir.file("wf.db"));
  std::unique_ptr<store::connection> conn;

  fixture() {
    a.cfg.wechat = bot::wechat_config{};
    conn = backend->open(true);
    conn->migrate();
  }

  // Takes every staff member off duty, as a SIGHUP with such a staff file would.
  void all_off_duty() {
    auto files = std::make_shared<bot::data_files>(*a.files());
    for (auto& s : files->staff) s.on_duty = false;
    a.replace_files(std::move(files));
  }

  template <class Fn>
  auto write(Fn fn) {
    using value_type = decltype(fn(std::declval<store::transaction&>()));
    std::optional<value_type> value;
    store::unit_of_work unit = [&](store::transaction& tx) { value.emplace(fn(tx)); };
    auto errors = conn->write_batch(std::span<const store::unit_of_work>{&unit, 1});
    if (errors[0]) std::rethrow_exception(errors[0]);
    return std::move(*value);
  }

  // A ticket as intake opens it, run through on_ticket_created; `requested_date` as the
  // dialog's draft gives it to programs::classify. `preassigned`: the engineer is chosen before
  // the insert (wf::preassign), as intake does, instead of assigned by an update after it.
  store::ticket_record open_ticket(const std::string& number, const std::string& priority = "normal",
                                   const std::string& requested_date = "", bool preassigned = false) {
    return write([&](store::transaction& tx) {
      auto customer = tx.find_or_create_customer("sms", "+8613800135678", a.clock.now());
      store::ticket_record t;
      t.number = number;
      t.type = "repair";
      t.priority = priority;
      t.state = "pending_assignment";
      t.stage = "accepted";
      t.channel = "sms";
      t.language = "zh-CN";
      t.customer_id = customer.id;
      t.channel_id = customer.channel_id;
      t.phone = "+8613800135678";
      t.customer_name = "张先生";
      t.model = "ABC-2000";
      t.serial = "SN5612345";
      t.problem = "脱水时噪音很大,机身晃动";
      t.service_method = "onsite";
      t.created_at = t.updated_at = a.clock.now();
      const auto& sla = a.files()->rules.sla_minutes.at(priority);
      if (sla.respond) t.respond_by = t.created_at + *sla.respond * 60;
      if (!requested_date.empty()) {
        bot::ticket_attributes attributes;
        attributes.requested_date = requested_date;
        t.attributes_json = attributes.to_json();
      }
      std::optional<wf::ruled_choice> choice;
      if (preassigned) choice = wf::preassign(tx, a, t, a.clock.now());
      tx.insert_ticket(t);
      tx.append_event({t.number, t.created_at, "bot", "created", "{}"});
      wf::on_ticket_created(tx, a, t, a.clock.now(), choice ? &*choice : nullptr);
      return t;
    });
  }

  // Valid until the next replace_files.
  const bot::staff_member& staff(const std::string& id) const {
    for (const auto& s : a.files()->staff)
      if (s.id == id) return s;
    throw std::logic_error("no staff " + id);
  }

  std::vector<std::string> events(const std::string& number) {
    return write([&](store::transaction& tx) {
      std::vector<std::string> out;
      for (const auto& e : tx.ticket_events(number)) out.push_back(e.event);
      return out;
    });
  }

  std::vector<store::outbox_entry> outbox() {
    return write([](store::transaction& tx) { return tx.list_outbox("", 1000); });
  }

  std::optional<wf::survey_answer> customer_says(const std::string& text, const std::string& id,
                                                const std::vector<store::ticket_record>* recent = nullptr) {
    return write([&](store::transaction& tx) {
      auto customer = tx.find_or_create_customer("sms", "+8613800135678", a.clock.now());
      channels::inbound_message m;
      m.channel = "sms";
      m.provider_id = id;
      m.from = customer.channel_id;
      m.kind = "text";
      m.text = text;
      return wf::take_survey_reply(tx, a, customer, m, dialogs::conversation{}, a.clock.now(), recent);
    });
  }

  wf::result resolve(const std::string& number, const std::string& engineer_id) {
    return write([&](store::transaction& tx) {
      return wf::resolve(tx, a, number, "紧固电机并平衡滚筒", {"减震器"}, staff(engineer_id), a.clock.now());
    });
  }
};

std::string text_of(const store::outbox_entry& e) {
  auto m = bot::parse_payload(e);
  return m ? m->text : std::string{};
}

}  // namespace

TEST_CASE("a new ticket is assigned by rule, the reason recorded, engineer and customer told",
          "[bot][workflow][store]") {
  fixture f;
  // Both ways of opening a ticket must leave the same row, history, messages and load.
  const bool preassigned = GENERATE(false, true);
  CAPTURE(preassigned);
  auto t = f.open_ticket("SR20260512001", "normal", "", preassigned);
  CHECK(t.state == "assigned");
  CHECK(t.assignee == "E001");  // tie at 0 open: staff-file order
  auto stored = f.write([](store::transaction& tx) { return tx.find_ticket("SR20260512001"); });
  REQUIRE(stored);
  CHECK(stored->state == "assigned");
  CHECK(stored->stage == t.stage);
  CHECK(stored->assignee == "E001");
  auto load = f.write([](store::transaction& tx) { return tx.count_open_by_assignee(); });
  REQUIRE(load.size() == 1);
  CHECK(load[0].first == "E001");
  CHECK(load[0].second == 1);
  auto history = f.write([](store::transaction& tx) { return tx.ticket_events("SR20260512001"); });
  REQUIRE(history.size() == 2);
  CHECK(history[0].event == "created");
  CHECK(history[1].event == "assigned");
  CHECK(history[1].detail_json.find("rule #2 line=laundry; E001 had 0 open, E003 had 0") != std::string::npos);
  CHECK(history[1].detail_json.find("previous") == std::string::npos);
  auto sent = f.outbox();
  REQUIRE(sent.size() >= 2);
  // The engineer's SMS carries the full phone and the knowledge-base entry for the symptom.
  std::string engineer_text;
  for (const auto& e : sent)
    if (e.recipient == "+8613900000001") engineer_text += text_of(e);
  CHECK(engineer_text.find("SR20260512001") != std::string::npos);
  CHECK(engineer_text.find("+8613800135678") != std::string::npos);
  CHECK(engineer_text.find("KB001") != std::string::npos);
  // SLA timers exist: near-breach at 80 % and the breach itself.
  auto timers = f.write([](store::transaction& tx) { return tx.ticket_timers("SR20260512001"); });
  REQUIRE(timers.size() == 2);
  CHECK(timers[0].kind == "sla_respond_near");
  CHECK(timers[1].kind == "sla_respond");
  CHECK(timers[1].due_at - timers[0].due_at == 240 * 60 / 5);

  SECTION("the next ticket goes to the other engineer (fewer open)") {
    auto second = f.open_ticket("SR20260512002", "normal", "", preassigned);
    CHECK(second.assignee == "E003");
  }
}

TEST_CASE("illegal moves answer 409 naming the state; roles are checked on the ticket", "[bot][workflow][store]") {
  fixture f;
  f.open_ticket("SR20260512001");
  auto close = f.write([&](store::transaction& tx) {
    return wf::supervise(tx, f.a, "SR20260512001", action::close, "", f.staff("S001"), f.a.clock.now());
  });
  CHECK(close.status == 409);
  CHECK(close.message.find("assigned") != std::string::npos);
  auto other = f.resolve("SR20260512001", "E003");
  CHECK(other.status == 403);
  auto missing = f.resolve("SR20990101001", "E001");
  CHECK(missing.status == 404);
  auto done = f.resolve("SR20260512001", "E001");
  REQUIRE(done.status == 200);
  CHECK(done.ticket->state == "resolved");
  CHECK(done.ticket->stage == "awaiting_confirmation");
  auto again = f.resolve("SR20260512001", "E001");
  CHECK(again.status == 409);
  CHECK(again.message.find("resolved") != std::string::npos);
}

TEST_CASE("survey answers: satisfied closes, the first rejection reopens, the second locks",
          "[bot][workflow][store][survey]") {
  fixture f;
  f.open_ticket("SR20260512001");
  REQUIRE(f.resolve("SR20260512001", "E001").status == 200);

  SECTION("chatter is left to the dialog") {
    CHECK_FALSE(f.customer_says("你好,请问几点上班", "m1"));
  }
  SECTION("the caller's list of the customer's newest tickets stands in for the query") {
    auto resolved = f.write([](store::transaction& tx) { return *tx.find_ticket("SR20260512001"); });
    // The list holds the resolved ticket: it is rated.
    std::vector<store::ticket_record> recent{resolved};
    auto answer = f.customer_says("1", "m1", &recent);
    REQUIRE(answer);
    CHECK(answer->ticket == "SR20260512001");
  }
  SECTION("a short list without a resolved ticket means there is none; a full page is looked beyond") {
    std::vector<store::ticket_record> none;
    CHECK_FALSE(f.customer_says("1", "m1", &none));  // the customer has no other tickets: no query
    store::ticket_record other;
    other.number = "SR20260512999";
    other.channel = "sms";
    other.state = "closed";
    std::vector<store::ticket_record> full(wf::recent_ticket_limit, other);
    auto answer = f.customer_says("1", "m2", &full);  // 20 newer tickets: the store is asked
    REQUIRE(answer);
    CHECK(answer->ticket == "SR20260512001");
  }
  SECTION("satisfied with a comment") {
    auto answer = f.customer_says("1 师傅很专业", "m1");
    REQUIRE(answer);
    CHECK(answer->ticket == "SR20260512001");
    auto t = f.write([](store::transaction& tx) { return *tx.find_ticket("SR20260512001"); });
    CHECK(t.state == "closed");
    CHECK(t.satisfaction_score == "satisfied");
    CHECK(t.satisfaction_comment == "师傅很专业");
    // No survey timer is left to fire.
    auto timers = f.write([](store::transaction& tx) { return tx.ticket_timers("SR20260512001"); });
    for (const auto& timer : timers) CHECK(timer.state != "pending");
  }
  SECTION("ambiguous: asked once more, then left to the dialog") {
    auto first = f.customer_says("1 还是 3", "m1");
    REQUIRE(first);
    REQUIRE(first->replies.size() == 1);
    CHECK_FALSE(f.customer_says("1 还是 3", "m2"));
  }
  SECTION("dissatisfied twice: reopened, then locked, supervisors told each time") {
    REQUIRE(f.customer_says("不满意,还是响", "m1"));
    auto t = f.write([](store::transaction& tx) { return *tx.find_ticket("SR20260512001"); });
    CHECK(t.state == "reopened");
    CHECK(t.satisfaction_comment.find("还是响") != std::string::npos);
    auto assign = f.write([&](store::transaction& tx) {
      return wf::assign(tx, f.a, "SR20260512001", "E003", "second visit", f.staff("S001"), f.a.clock.now());
    });
    REQUIRE(assign.status == 200);
    REQUIRE(f.resolve("SR20260512001", "E003").status == 200);
    REQUIRE(f.customer_says("3", "m2"));
    t = f.write([](store::transaction& tx) { return *tx.find_ticket("SR20260512001"); });
    CHECK(t.state == "locked");
    int to_supervisor = 0;
    for (const auto& e : f.outbox())
      if (e.recipient == "+8613900000009") ++to_supervisor;
    CHECK(to_supervisor >= 3);  // two negative ratings and the lock
  }
}

TEST_CASE("timers: near-breach tells the engineer, breach marks the ticket and escalates", "[bot][workflow][store][sla]") {
  fixture f;
  auto t = f.open_ticket("SR20260512001");
  auto timers = f.write([](store::transaction& tx) { return tx.ticket_timers("SR20260512001"); });
  REQUIRE(timers.size() == 2);
  auto fire = [&](const store::timer_record& timer) {
    return f.write([&](store::transaction& tx) { return wf::fire_timer(tx, f.a, timer, timer.due_at); });
  };
  CHECK(fire(timers[0]));  // near
  CHECK(fire(timers[1]));  // breach
  auto after = f.write([](store::transaction& tx) { return *tx.find_ticket("SR20260512001"); });
  CHECK(after.breached);
  auto names = f.events("SR20260512001");
  CHECK(std::count(names.begin(), names.end(), "sla_near") == 1);
  CHECK(std::count(names.begin(), names.end(), "sla_breached") == 1);
  CHECK(std::count(names.begin(), names.end(), "escalated") == 1);
  // The follow-up escalation (to management) is scheduled; a progress report makes it moot.
  auto pending = f.write([](store::transaction& tx) { return tx.ticket_timers("SR20260512001"); });
  REQUIRE(pending.back().kind == "sla_escalate");
  auto progress = f.write([&](store::transaction& tx) {
    return wf::progress(tx, f.a, "SR20260512001", {"onsite", "", std::nullopt}, f.staff("E001"), f.a.clock.now());
  });
  REQUIRE(progress.status == 200);
  CHECK_FALSE(fire(pending.back()));
}

TEST_CASE("the end of a local day is the next local midnight, DST included", "[bot][clock]") {
  const bot::clock shanghai{"Asia/Shanghai"};
  CHECK(shanghai.end_of_day("2026-05-14") == std::optional<std::int64_t>{1778774400});  // 05-15 00:00 +08:00
  CHECK(shanghai.end_of_day("2026-12-31") == std::optional<std::int64_t>{1798732800});  // across the year
  CHECK_FALSE(shanghai.end_of_day("2026-02-30"));
  CHECK_FALSE(shanghai.end_of_day("tomorrow"));
  // New York's 2026-03-08 has 23 hours: the 7th ends at 00:00 EST.
  const bot::clock new_york{"America/New_York"};
  CHECK(new_york.end_of_day("2026-03-07") == std::optional<std::int64_t>{1772946000});
}

TEST_CASE("the customer's requested date: locked without an engineer, requeued without action, else nothing",
          "[bot][workflow][store][requested_date]") {
  fixture f;
  const auto now = f.a.clock.now();
  const std::string tomorrow = f.a.clock.local_date(now + 24 * 3600);
  const auto deadline = *f.a.clock.end_of_day(tomorrow);
  auto timers_of = [&](const std::string& number) {
    return f.write([&](store::transaction& tx) { return tx.ticket_timers(number); });
  };
  auto requested_timer = [&](const std::string& number) {
    for (const auto& t : timers_of(number))
      if (t.kind == "requested_date") return t;
    FAIL("no requested_date timer");
    return store::timer_record{};
  };
  auto fire = [&](const store::timer_record& timer, std::int64_t at) {
    return f.write([&](store::transaction& tx) { return wf::fire_timer(tx, f.a, timer, at); });
  };
  auto ticket = [&](const std::string& number) {
    return f.write([&](store::transaction& tx) { return *tx.find_ticket(number); });
  };
  auto texts_to = [&](const std::string& recipient) {
    std::string all;
    for (const auto& e : f.outbox())
      if (e.recipient == recipient) all += text_of(e);
    return all;
  };

  SECTION("a ticket without one has no such timer") {
    f.open_ticket("SR20260512001");
    for (const auto& t : timers_of("SR20260512001")) CHECK(t.kind != "requested_date");
  }

  SECTION("nobody eligible: still pending at the end of the day → locked, supervisors told why") {
    f.all_off_duty();
    auto t = f.open_ticket("SR20260512001", "normal", tomorrow);
    REQUIRE(t.state == "pending_assignment");
    const auto timer = requested_timer("SR20260512001");
    CHECK(timer.due_at == deadline);
    // The engineer who would get it sees the date too (here: the supervisors' pending notice).
    CHECK(texts_to("+8613900000009").find(tomorrow) != std::string::npos);
    // The respond deadline comes first and does not lock: the requested date decides.
    for (const auto& sla : timers_of("SR20260512001"))
      if (sla.kind == "sla_respond") CHECK(fire(sla, sla.due_at));
    CHECK(ticket("SR20260512001").state == "pending_assignment");
    CHECK(fire(timer, deadline));
    CHECK(ticket("SR20260512001").state == "locked");
    auto history = f.write([](store::transaction& tx) { return tx.ticket_events("SR20260512001"); });
    REQUIRE(history.back().event == "locked");
    CHECK(history.back().detail_json.find("no_engineer_by_requested_date") != std::string::npos);
    const auto told = texts_to("+8613900000009");
    CHECK(told.find("锁定") != std::string::npos);
    CHECK(told.find("客户要求 " + tomorrow + " 前服务,到期仍未分配工程师") != std::string::npos);
  }

  SECTION("without a requested date the respond breach still locks (the fallback)") {
    f.all_off_duty();
    f.open_ticket("SR20260512001");
    for (const auto& sla : timers_of("SR20260512001"))
      if (sla.kind == "sla_respond") CHECK(fire(sla, sla.due_at));
    CHECK(ticket("SR20260512001").state == "locked");
  }

  SECTION("assigned, the engineer did nothing → back to the queue, assigned again by rule") {
    auto t = f.open_ticket("SR20260512001", "normal", tomorrow);
    REQUIRE(t.assignee == "E001");
    CHECK(texts_to("+8613900000001").find(tomorrow) != std::string::npos);  // in the assignment
    CHECK(fire(requested_timer("SR20260512001"), deadline));
    auto names = f.events("SR20260512001");
    const auto missed = std::find(names.begin(), names.end(), "requested_date_missed");
    REQUIRE(missed != names.end());
    CHECK(std::find(missed, names.end(), "assigned") != names.end());
    // E003 never had a ticket: the tie goes to them.
    auto after = ticket("SR20260512001");
    CHECK(after.state == "assigned");
    CHECK(after.assignee == "E003");
    CHECK(texts_to("+8613900000009").find("退回待分配") != std::string::npos);
    CHECK(texts_to("+8613900000001").find("退回待分配") != std::string::npos);
  }

  SECTION("assigned, nobody eligible any more → pending_assignment, supervisors told") {
    f.open_ticket("SR20260512001", "normal", tomorrow);
    f.all_off_duty();
    CHECK(fire(requested_timer("SR20260512001"), deadline));
    auto after = ticket("SR20260512001");
    CHECK(after.state == "pending_assignment");
    CHECK(after.assignee.empty());
    auto names = f.events("SR20260512001");
    CHECK(names.back() == "assignment_pending");
  }

  SECTION("the engineer acted → nothing") {
    f.open_ticket("SR20260512001", "normal", tomorrow);
    const auto timer = requested_timer("SR20260512001");
    auto res = f.write([&](store::transaction& tx) {
      return wf::progress(tx, f.a, "SR20260512001", {"remote", "", std::nullopt}, f.staff("E001"), now);
    });
    REQUIRE(res.status == 200);
    CHECK_FALSE(fire(timer, deadline));
    CHECK(ticket("SR20260512001").state == "in_progress");
  }

  SECTION("on hold → nothing (the timer outlives the suspension, so a resumed ticket keeps it)") {
    f.open_ticket("SR20260512001", "normal", tomorrow);
    auto res = f.write([&](store::transaction& tx) {
      return wf::supervise(tx, f.a, "SR20260512001", action::suspend, "客户出差", f.staff("S001"), now);
    });
    REQUIRE(res.status == 200);
    const auto timer = requested_timer("SR20260512001");
    CHECK(timer.state == "pending");
    CHECK_FALSE(fire(timer, deadline));
    CHECK(ticket("SR20260512001").state == "suspended");
  }
}

TEST_CASE("the WeChat planner uses the customer-service window up to cs_quota, then templates or SMS",
          "[bot][workflow][wechat]") {
  fixture f;
  f.a.cfg.wechat->cs_quota = 2;
  const auto now = f.a.clock.now();
  auto plan = [&](const std::string& hint, bool phone, std::int64_t at) {
    return f.write([&](store::transaction& tx) { return wf::plan_wechat(tx, f.a, "oUser1", hint, phone, at); });
  };
  CHECK(plan("progress", true, now) == "sms");  // never wrote: no window
  f.write([&](store::transaction& tx) {
    wf::note_wechat_inbound(tx, "oUser1", now);
    return true;
  });
  CHECK(plan("progress", true, now + 60) == "cs");
  CHECK(plan("progress", true, now + 120) == "cs");
  CHECK(plan("progress", true, now + 180) == "sms");  // quota used up
  CHECK(plan("progress", false, now + 180) == "cs");  // nothing better: the sender falls back
  f.a.cfg.wechat->template_ids["survey"] = "TPL";
  CHECK(plan("survey", true, now + 180) == "template");
  // A new customer message opens a new window with a fresh quota; 48 h later it is closed.
  f.write([&](store::transaction& tx) {
    wf::note_wechat_inbound(tx, "oUser1", now + 200);
    return true;
  });
  CHECK(plan("progress", true, now + 300) == "cs");
  CHECK(plan("progress", true, now + 200 + 48 * 3600 + 1) == "sms");
}
