#include "bot/workflow.hpp"

#include "bot/metrics.hpp"
#include "bot/outbound.hpp"
#include "bot/json_object.hpp"
#include "bot/programs.hpp"
#include "bot/ticket_attributes.hpp"
#include "channels/email_compose.hpp"
#include "channels/message.hpp"
#include "dialogs/intake.hpp"
#include "dialogs/survey.hpp"
#include "dialogs/text.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <tuple>

namespace bot::workflow {
namespace {

// ---- the state table ----

struct transition {
  action what;
  std::string_view from;
  std::string_view to;  // empty: stays in `from` (note)
};

// Every legal move; anything not listed is illegal (409). product.md "Lifecycle".
constexpr transition transitions[] = {
    // A supervisor (or the rules) picks an engineer; also to take a ticket back from hold, from
    // the service manager's queue, or for a second visit after a complaint.
    {action::assign, "pending_assignment", "assigned"},
    {action::assign, "suspended", "assigned"},
    {action::assign, "assigned", "assigned"},
    {action::assign, "locked", "assigned"},
    {action::assign, "in_progress", "assigned"},
    {action::assign, "reopened", "assigned"},
    // The assigned engineer works; reporting progress also resumes a ticket on hold.
    {action::progress, "assigned", "in_progress"},
    {action::progress, "in_progress", "in_progress"},
    {action::progress, "suspended", "in_progress"},
    {action::resolve, "assigned", "resolved"},
    {action::resolve, "in_progress", "resolved"},
    // Supervisors close what is done or handled by them; never work nobody has done.
    {action::close, "resolved", "closed"},
    {action::close, "reopened", "closed"},
    {action::close, "locked", "closed"},
    {action::close, "suspended", "closed"},
    {action::reopen, "resolved", "reopened"},
    {action::reopen, "closed", "reopened"},
    {action::suspend, "pending_assignment", "suspended"},
    {action::suspend, "assigned", "suspended"},
    {action::suspend, "in_progress", "suspended"},
    {action::suspend, "reopened", "suspended"},
    {action::suspend, "locked", "suspended"},
    // The system hands a ticket to the service manager (no engineer in time, twice unresolved).
    {action::lock, "pending_assignment", "locked"},
    {action::lock, "assigned", "locked"},
    {action::lock, "in_progress", "locked"},
    {action::lock, "resolved", "locked"},
    {action::lock, "reopened", "locked"},
    {action::lock, "suspended", "locked"},
    // The customer's answer to the survey, or its absence.
    {action::rate_satisfied, "resolved", "closed"},
    {action::rate_unsatisfied, "resolved", "reopened"},
    {action::expire_survey, "resolved", "closed"},
    // The engineer did not act by the customer's requested date: back to the queue.
    {action::requeue, "assigned", "pending_assignment"},
};

// ---- small helpers ----

// Event details are JSON objects built field by field.
using detail = json_object;

std::string json_member(const std::string& json, const char* key) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  auto it = d.FindMember(key);
  if (it == d.MemberEnd()) return {};
  if (it->value.IsString()) return {it->value.GetString(), it->value.GetStringLength()};
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return {};
}

}  // namespace

const staff_member* find_staff(const app& a, std::string_view id) {
  const auto files = a.files();
  for (const auto& s : files->staff)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

std::vector<const staff_member*> with_role(const app& a, std::string_view role) {
  std::vector<const staff_member*> out;
  const auto files = a.files();
  for (const auto& s : files->staff)
    if (s.role == role) out.push_back(&s);
  return out;
}

// "2026-05-12 12:30" in the configured zone: what a person reads in a message.
}  // namespace

std::string human_time(const app& a, std::int64_t t) {
  auto iso = a.clock.iso8601(t);
  if (iso.size() >= 16) {
    iso.resize(16);
    iso[10] = ' ';
  }
  return iso;
}

std::string summary(std::string_view text, std::size_t limit) {
  auto clean = dialogs::sanitise_utf8(text);
  auto cut = dialogs::first_code_points(clean, limit);
  std::string out{cut};
  if (cut.size() < clean.size()) out += "…";
  return out;
}

std::string flag(bool on) { return on ? "1" : ""; }

// The domain of our From address, for Message-IDs we mint ("localhost" without e-mail).
std::string mail_domain(const app& a) {
  if (!a.cfg.email) return "localhost";
  const auto& from = a.cfg.email->from;
  auto at = from.rfind('@');
  if (at == std::string::npos) return "localhost";
  auto domain = from.substr(at + 1);
  while (!domain.empty() && (domain.back() == '>' || domain.back() == ' ')) domain.pop_back();
  return domain.empty() ? "localhost" : domain;
}

namespace {

int count_events(const std::vector<store::ticket_event>& events, std::string_view name) {
  return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.event == name; }));
}

// Events after the last one named `name` (all of them when there is none).
std::vector<store::ticket_event> since_last(const std::vector<store::ticket_event>& events, std::string_view name) {
  auto it = std::find_if(events.rbegin(), events.rend(), [&](const auto& e) { return e.event == name; });
  return {it.base(), events.end()};
}

// Sequence number for idempotency keys: how many events the ticket had before this change.
// Every change appends an event, so two changes never share a key.
}  // namespace

std::string key_base(store::transaction& tx, const std::string& number) {
  return "wf:" + number + ":" + std::to_string(tx.ticket_events(number).size());
}

void append_event(store::transaction& tx, const store::ticket_record& t, std::int64_t now, const std::string& actor,
                  const std::string& event, std::string detail_json) {
  tx.append_event({t.number, now, actor, event, std::move(detail_json)});
}

void set_state(store::ticket_record& t, std::string_view state, std::int64_t now) {
  t.state = std::string{state};
  t.stage = std::string{stage_of(state)};
  t.updated_at = now;
}

namespace {

// ---- notifications ----

// A message to the customer on the ticket's channel, in the ticket's language; also appended
// to the ticket's transcript.
}  // namespace

void notify_customer(store::transaction& tx, const app& a, const store::ticket_record& t, std::string_view key,
                     templates::params values, const std::string& hint, const std::string& idempotency_key,
                     std::int64_t now) {
  if (t.channel_id.empty() || (t.channel != "wechat" && t.channel != "sms" && t.channel != "email")) return;
  const std::string language = t.language.empty() ? a.cfg.default_language : t.language;
  values.emplace_back("ticket_number", t.number);
  outbound_text m;
  m.channel = t.channel;
  m.recipient = t.channel_id;
  m.text = a.texts.render(language, key, values, t.channel == "sms" ? "sms" : "");
  m.ticket = t.number;
  m.hint = hint;
  m.language = language;
  m.phone = t.phone;
  if (t.channel == "wechat") m.plan = plan_wechat(tx, a, t.channel_id, hint, !t.phone.empty(), now);
  // The survey inside the window: a msgmenu the customer answers with one tap (channels.md §1.9).
  if (t.channel == "wechat" && hint == "survey" && m.plan == "cs") {
    m.menu_head = a.texts.render(language, key, values, "menu");
    m.menu_tail = a.texts.render(language, "survey_menu_tail", values);
    int id = 1;
    for (const char* option : {"survey_option_satisfied", "survey_option_neutral", "survey_option_dissatisfied"})
      m.menu.push_back({std::to_string(id++), a.texts.render(language, option, values)});
  }
  if (t.channel == "email") {
    m.subject = a.texts.render(language, "email_subject", {}) + " [" + t.number + "]";
    m.message_id = channels::make_message_id(mail_domain(a));
    tx.remember_mail({m.message_id, m.recipient, t.number, now});
  }
  tx.append_message({t.customer_id, t.channel, t.number, now, "out", m.text});
  enqueue_text(tx, m, idempotency_key, now);
}

namespace {

// A message to a staff member on their notify channel (staff texts use the default language).
}  // namespace

void notify_staff(store::transaction& tx, const app& a, const staff_member& s, const store::ticket_record& t,
                  std::string_view key, templates::params values, const std::string& key_prefix, std::int64_t now) {
  if (s.notify_channel.empty() || s.notify_address.empty()) return;
  const std::string& language = a.cfg.default_language;
  values.emplace_back("ticket_number", t.number);
  values.emplace_back("staff_name", s.name);
  outbound_text m;
  m.channel = s.notify_channel;
  m.recipient = s.notify_address;
  m.text = a.texts.render(language, key, values, s.notify_channel == "sms" ? "sms" : "");
  m.ticket = t.number;
  m.hint = "staff";
  m.language = language;
  if (m.channel == "email") {
    m.subject = a.texts.render(language, "staff_email_subject", values);
    m.message_id = channels::make_message_id(mail_domain(a));
  }
  enqueue_text(tx, m, key_prefix + ":" + s.id, now);
}

void notify_supervisors(store::transaction& tx, const app& a, const store::ticket_record& t, std::string_view key,
                        const templates::params& values, const std::string& key_prefix, std::int64_t now) {
  for (const auto* s : with_role(a, "supervisor")) notify_staff(tx, a, *s, t, key, values, key_prefix, now);
}

namespace {

// The catalog's knowledge entries for the ticket's model whose keywords occur in the problem.
std::vector<const dialogs::knowledge_entry*> matching_knowledge(const app& a, const store::ticket_record& t) {
  std::vector<const dialogs::knowledge_entry*> out;
  const auto problem = dialogs::fold_plain(t.problem);
  const auto files = a.files();
  for (const auto& k : files->catalog.knowledge) {
    if (!k.models.empty() && std::find(k.models.begin(), k.models.end(), t.model) == k.models.end()) continue;
    for (const auto& word : k.keywords) {
      auto folded = dialogs::fold_plain(word);
      if (!folded.empty() && problem.find(folded) != std::string::npos) {
        out.push_back(&k);
        break;
      }
    }
  }
  return out;
}

// Everything the engineer needs to call the customer (product.md "Assignment rules").
templates::params assignment_params(const app& a, const store::ticket_record& t) {
  const auto files = a.files();
  templates::params p;
  p.emplace_back("type", t.type);
  p.emplace_back("priority", t.priority);
  p.emplace_back("critical", flag(t.priority == "critical"));
  std::string product = t.model;
  if (const auto* prod = files->catalog.find_model(t.model)) product += " " + prod->name;
  p.emplace_back("product", product);
  p.emplace_back("serial", t.serial);
  p.emplace_back("in_warranty", flag(t.in_warranty && *t.in_warranty));
  p.emplace_back("out_of_warranty", flag(t.in_warranty && !*t.in_warranty));
  p.emplace_back("warranty_unknown", flag(!t.in_warranty));
  p.emplace_back("problem", summary(t.problem, 60));
  p.emplace_back("customer_name", t.customer_name);
  p.emplace_back("phone", t.phone);  // full: the engineer must call
  p.emplace_back("method_remote", flag(t.service_method == "remote"));
  p.emplace_back("method_onsite", flag(t.service_method == "onsite"));
  p.emplace_back("method_carry_in", flag(t.service_method == "carry_in"));
  // The day the customer asked for (the engineer must act by its end).
  p.emplace_back("requested_date", attributes_of(t).requested_date);
  if (t.respond_by) p.emplace_back("respond_by", human_time(a, *t.respond_by));
  if (t.onsite_by) p.emplace_back("onsite_by", human_time(a, *t.onsite_by));
  if (t.resolve_by) p.emplace_back("resolve_by", human_time(a, *t.resolve_by));
  std::string kb;
  for (const auto* k : matching_knowledge(a, t))
    kb += (kb.empty() ? "" : "\n") + k->id + " " + k->symptom + ":" + k->solution;
  p.emplace_back("knowledge", kb);
  // Issue 9: the agreement covering it, and what a complaint is about.
  const auto attributes = attributes_of(t);
  p.emplace_back("agreement", attributes.agreement);
  p.emplace_back("complaint", flag(t.type == "complaint"));
  std::string target = attributes.complaint_target;
  if (attributes.complaint_target_kind == "engineer")
    if (const auto* s = find_staff(a, target)) target = s->name + " (" + s->id + ")";
  p.emplace_back("complaint_target", target);
  std::string reason = attributes.complaint_reason;
  for (const auto& r : files->rules.complaints.reasons)
    if (r.id == reason) reason = r.label;
  p.emplace_back("complaint_reason", reason);
  return p;
}

// ---- SLA helpers ----

bool has_onsite_progress(const std::vector<store::ticket_event>& events) {
  return std::any_of(events.begin(), events.end(), [](const auto& e) {
    return e.event == "progress" && json_member(e.detail_json, "step") == "onsite";
  });
}

// Whether SLA `sla` (respond | resolve | onsite) no longer needs watching.
bool sla_met(std::string_view sla, const store::ticket_record& t, const std::vector<store::ticket_event>& events) {
  // Finished tickets need no more watching, and a ticket on hold waits for the customer.
  if (t.state == "closed" || t.state == "cancelled" || t.state == "suspended") return true;
  const bool resolved = count_events(events, "resolved") > 0;
  if (sla == "respond") return resolved || count_events(events, "progress") > 0;
  if (sla == "resolve") return resolved;
  if (sla == "onsite") return resolved || has_onsite_progress(events);
  return true;
}

constexpr std::string_view sla_kinds[] = {"sla_respond_near", "sla_respond", "sla_resolve_near", "sla_resolve",
                                          "sla_onsite_near",  "sla_onsite",  "sla_escalate"};
constexpr std::string_view escalation_levels[] = {"frontline", "expert", "management"};

}  // namespace

void schedule(store::transaction& tx, const store::ticket_record& t, std::string_view kind, std::int64_t due,
              std::string payload, std::int64_t now) {
  store::timer_record timer;
  timer.kind = std::string{kind};
  timer.ticket = t.number;
  timer.due_at = due;
  timer.payload_json = std::move(payload);
  timer.created_at = now;
  tx.schedule_timer(timer);
}

namespace {

// Near-breach at 80 % of the span, breach at the deadline (product.md "Service levels").
void schedule_sla_timers(store::transaction& tx, const store::ticket_record& t, std::int64_t now) {
  auto both = [&](std::string_view sla, const std::optional<std::int64_t>& deadline) {
    if (!deadline) return;
    const auto span = std::max<std::int64_t>(0, *deadline - t.created_at);
    const auto payload = detail{}.str("sla", sla).json();
    schedule(tx, t, "sla_" + std::string{sla} + "_near", t.created_at + span * 8 / 10, payload, now);
    schedule(tx, t, "sla_" + std::string{sla}, *deadline, payload, now);
  };
  both("respond", t.respond_by);
  both("resolve", t.resolve_by);
  both("onsite", t.onsite_by);
}

// Leaving "suspended": the SLA clocks stood still while the ticket was on hold (it waits for
// the customer), so every deadline moves by the time on hold and the timers of the SLAs still
// open come back (their 80 % warning at the same share of the original span).
void resume_sla(store::transaction& tx, store::ticket_record& t, const std::vector<store::ticket_event>& events,
                std::int64_t now) {
  std::int64_t since = 0;
  for (const auto& e : events)
    if (e.event == "suspended") since = e.at;
  if (since == 0 || now <= since) return;
  const auto held = now - since;
  const auto payload_of = [](std::string_view sla) { return detail{}.str("sla", sla).json(); };
  const auto breached = [&](std::string_view sla) {
    return std::any_of(events.begin(), events.end(), [&](const auto& e) {
      return e.event == "sla_breached" && json_member(e.detail_json, "sla") == sla;
    });
  };
  for (auto [sla, deadline] : {std::pair{std::string_view{"respond"}, &t.respond_by},
                               std::pair{std::string_view{"resolve"}, &t.resolve_by},
                               std::pair{std::string_view{"onsite"}, &t.onsite_by}}) {
    if (!*deadline) continue;
    const auto span = std::max<std::int64_t>(0, **deadline - t.created_at);
    **deadline += held;
    if (sla_met(sla, t, events) || breached(sla)) continue;
    const auto kind = "sla_" + std::string{sla};
    schedule(tx, t, kind + "_near", **deadline - span * 2 / 10, payload_of(sla), now);
    schedule(tx, t, kind, **deadline, payload_of(sla), now);
  }
  append_event(tx, t, now, "bot", "sla_resumed", detail{}.num("held_minutes", held / 60).json());
}

void cancel_kinds(store::transaction& tx, const std::string& number, std::initializer_list<std::string_view> kinds) {
  for (auto k : kinds) tx.cancel_timers(number, k);
}

void cancel_sla(store::transaction& tx, const std::string& number) {
  for (auto k : sla_kinds) tx.cancel_timers(number, k);
}

// One level up (frontline → expert → management); false when already at the top.
bool escalate(store::transaction& tx, const app& a, const store::ticket_record& t,
              const std::vector<store::ticket_event>& events, const std::string& reason, std::int64_t now) {
  const auto level = static_cast<std::size_t>(count_events(events, "escalated")) + 1;
  if (level >= std::size(escalation_levels)) return false;
  const auto name = escalation_levels[level];
  const auto base = key_base(tx, t.number);
  append_event(tx, t, now, "bot", "escalated",
               detail{}.str("level", name).str("from", escalation_levels[level - 1]).str("reason", reason).json());
  templates::params p{{"level_expert", flag(name == "expert")},
                      {"level_management", flag(name == "management")},
                      {"reason", reason},
                      {"assignee", t.assignee}};
  notify_supervisors(tx, a, t, "staff_escalation", p, base + ":escalated", now);
  if (name == "management")
    for (const auto* s : with_role(a, "admin")) notify_staff(tx, a, *s, t, "staff_escalation", p, base + ":escalated", now);
  spdlog::info("event=ticket_escalated ticket={} level={}", t.number, name);
  return true;
}

// Hands the ticket to the service manager's queue (state locked), supervisors told why.
void lock_ticket(store::transaction& tx, const app& a, store::ticket_record& t, const std::string& reason_code,
                 std::int64_t now) {
  const auto base = key_base(tx, t.number);
  set_state(t, "locked", now);
  tx.update_ticket(t);
  append_event(tx, t, now, "bot", "locked", detail{}.str("reason", reason_code).json());
  notify_supervisors(tx, a, t, "staff_locked",
                     {{"reason_unassigned", flag(reason_code == "no_engineer_by_deadline")},
                      {"reason_requested_date", flag(reason_code == "no_engineer_by_requested_date")},
                      {"requested_date", attributes_of(t).requested_date},
                      {"reason_unresolved", flag(reason_code == "unresolved_twice")}},
                     base + ":locked", now);
  spdlog::info("event=ticket_locked ticket={} reason={}", t.number, reason_code);
}

// ---- assignment ----

// `row_written`: `t` was inserted already assigned to `engineer` (a new ticket, preassign), so
// only the events, the tie-break time and the notifications remain (there is no previous
// engineer: t.assignee is `engineer` already).
void apply_assignment(store::transaction& tx, const app& a, store::ticket_record& t, const staff_member& engineer,
                      const std::string& reason, const std::string& actor, bool alert_sms, std::int64_t now,
                      bool row_written = false) {
  const auto base = key_base(tx, t.number);
  const std::string previous = t.assignee;
  t.assignee = engineer.id;
  set_state(t, "assigned", now);
  if (!row_written) tx.update_ticket(t);
  detail d;
  d.str("engineer", engineer.id).str("reason", reason);
  if (!previous.empty() && previous != engineer.id) d.str("previous", previous);
  append_event(tx, t, now, actor, "assigned", d.json());
  // Ties go to whoever waited longest: the time of each engineer's last assignment.
  tx.put_setting("last_assigned." + engineer.id, std::to_string(now), 0);

  notify_staff(tx, a, engineer, t, "staff_assignment", assignment_params(a, t), base + ":assigned", now);
  if (alert_sms) {
    // Critical: an SMS alert on top of the normal notification (product.md), to the engineer's
    // `phone`, else to their notify address when they are notified by SMS.
    const std::string& mobile = !engineer.phone.empty()               ? engineer.phone
                                : engineer.notify_channel == "sms" ? engineer.notify_address
                                                                   : engineer.phone;
    if (!mobile.empty()) {
      outbound_text m;
      m.channel = "sms";
      m.recipient = mobile;
      m.text = a.texts.render(a.cfg.default_language, "staff_critical_alert",
                              {{"ticket_number", t.number}, {"phone", t.phone}}, "sms");
      m.ticket = t.number;
      m.hint = "staff";
      m.language = a.cfg.default_language;
      enqueue_text(tx, m, base + ":alert:" + engineer.id, now);
    } else {
      spdlog::warn("event=critical_alert_skipped ticket={} engineer={} reason=no_sms_number", t.number, engineer.id);
    }
  }
  if (!previous.empty() && previous != engineer.id)
    if (const auto* old = find_staff(a, previous))
      notify_staff(tx, a, *old, t, "staff_unassigned", {{"new_engineer", engineer.name}}, base + ":unassigned", now);
  notify_customer(tx, a, t, "ticket_assigned",
                  {{"engineer_name", engineer.name},
                   {"method_remote", flag(t.service_method == "remote")},
                   {"method_onsite", flag(t.service_method == "onsite")},
                   {"method_carry_in", flag(t.service_method == "carry_in")}},
                  "progress", base + ":customer", now);
  spdlog::info("event=ticket_assigned ticket={} engineer={} actor={}", t.number, engineer.id, actor);
}

// Who the rules choose for `t` now (reads the open counts and last assignments, writes nothing).
ruled_choice choose_by_rule(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now) {
  const auto files = a.files();
  const auto facts = facts_of(t, files->catalog);
  const auto index = match_rule(files->rules.assignment, facts);
  engineer_choice choice;
  bool alert = false;
  if (!index) {
    choice.reason = "no assignment rule matches";
  } else {
    std::map<std::string, int> open;
    for (const auto& [id, n] : tx.count_open_by_assignee()) open[id] = n;
    // Complaints go to supervisors unless a rule names the complaint type itself, and never to
    // the engineer the complaint is about (issue 9).
    const auto attributes = attributes_of(t);
    assignment_rule rule = files->rules.assignment[*index];
    if (t.type == "complaint" && !rule.when.contains("type")) {
      rule.role = "supervisor";
      rule.skills.clear();
    }
    const std::string exclude =
        attributes.complaint_target_kind == "engineer" ? attributes.complaint_target : std::string{};
    // Each candidate's last assignment, read in one statement.
    std::vector<std::string> ids, keys;
    for (const auto& s : files->staff) {
      if (s.role != rule.role) continue;
      ids.push_back(s.id);
      keys.push_back("last_assigned." + s.id);
    }
    const auto values = tx.get_settings(keys, now);
    std::map<std::string, std::int64_t> last;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (const auto& v = values[i]) {
        std::int64_t when = 0;
        std::from_chars(v->data(), v->data() + v->size(), when);
        last[ids[i]] = when;
      }
    }
    // A service agreement may name the engineers who look after the customer (issue 9): the
    // eligible one among them with the fewest open tickets goes first, else the rule decides.
    if (const auto* ag = programs::find_agreement(a, attributes.agreement); ag && !ag->engineers.empty() &&
                                                                           t.type != "complaint") {
      std::vector<staff_member> preferred;
      for (const auto& id : ag->engineers)
        if (const auto* s = find_staff(a, id)) preferred.push_back(*s);
      assignment_rule by_agreement = rule;
      by_agreement.role = "engineer";
      by_agreement.skills.clear();
      auto first = choose_engineer(preferred, by_agreement, *index, open, last, exclude);
      if (!first.engineer.empty()) {
        choice = std::move(first);
        choice.reason = "agreement " + ag->id + " engineers; " + choice.reason;
      }
    }
    if (choice.engineer.empty()) choice = choose_engineer(files->staff, rule, *index, open, last, exclude);
    alert = rule.alert_sms;
  }
  return {std::move(choice.engineer), std::move(choice.reason), alert};
}

// Acts on a choice: the engineer gets the ticket (`row_written`: `t` was inserted with it), or
// the ticket stays pending and the supervisors are told.
void act_on_choice(store::transaction& tx, const app& a, store::ticket_record& t, const ruled_choice& choice,
                   bool row_written, std::int64_t now) {
  if (const auto* engineer = choice.engineer.empty() ? nullptr : find_staff(a, choice.engineer)) {
    apply_assignment(tx, a, t, *engineer, choice.reason, "bot", choice.alert_sms, now, row_written);
    return;
  }
  const auto base = key_base(tx, t.number);
  append_event(tx, t, now, "bot", "assignment_pending", detail{}.str("reason", choice.reason).json());
  auto p = assignment_params(a, t);
  p.emplace_back("reason", choice.reason);
  notify_supervisors(tx, a, t, "staff_pending_assignment", p, base + ":pending", now);
  spdlog::info("event=ticket_unassigned ticket={} reason=no_eligible_engineer", t.number);
}

// By rule: the chosen engineer, or the ticket stays pending and the supervisors are told.
void auto_assign(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now) {
  act_on_choice(tx, a, t, choose_by_rule(tx, a, t, now), false, now);
}

// ---- the customer's requested date (product.md "Lifecycle") ----

// The end of the day the customer asked for, in the configured zone; nullopt without one.
std::optional<std::int64_t> requested_deadline(const app& a, const store::ticket_record& t) {
  const auto day = attributes_of(t).requested_date;
  if (day.empty()) return std::nullopt;
  return a.clock.end_of_day(day);
}

// One timer at the end of that day. It is a store row like every timer, so it survives
// restarts; suspending the ticket leaves it in place (it does nothing while the ticket is on
// hold, see fire_requested_date).
void schedule_requested_date(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now) {
  const auto due = requested_deadline(a, t);
  if (!due) return;
  schedule(tx, t, "requested_date", *due, detail{}.str("date", attributes_of(t).requested_date).json(), now);
}

// product.md: locked when "no engineer was assigned by the date the customer asked for"; back
// to pending_assignment when "the engineer does not act before the customer's required date".
bool fire_requested_date(store::transaction& tx, const app& a, store::ticket_record& t,
                         const store::timer_record& timer, std::int64_t now) {
  const auto day = attributes_of(t).requested_date;
  if (day.empty() || json_member(timer.payload_json, "date") != day) return false;
  if (t.state == "pending_assignment" || (t.state == "reopened" && t.assignee.empty())) {
    lock_ticket(tx, a, t, "no_engineer_by_requested_date", now);
    return true;
  }
  // In progress or further on: the engineer acted. Suspended: the hold waits for the customer,
  // whose date no longer binds anyone.
  const auto next = next_state(action::requeue, t.state);
  if (!next) return false;
  const auto base = key_base(tx, t.number);
  const std::string engineer = t.assignee;
  t.assignee.clear();
  set_state(t, *next, now);
  tx.update_ticket(t);
  append_event(tx, t, now, "bot", "requested_date_missed", detail{}.str("date", day).str("engineer", engineer).json());
  const auto* missed_by = find_staff(a, engineer);
  const templates::params p{{"requested_date", day}, {"engineer", missed_by ? missed_by->name : engineer}};
  notify_supervisors(tx, a, t, "staff_requested_date_missed", p, base + ":missed", now);
  if (missed_by) notify_staff(tx, a, *missed_by, t, "staff_requested_date_missed", p, base + ":missed", now);
  spdlog::info("event=requested_date_missed ticket={} engineer={} date={}", t.number, engineer, day);
  // Assigned by rule again, like a new ticket; nobody is excluded (the same engineer may come
  // back when they are still the best choice), or the supervisors are told nobody is eligible.
  auto_assign(tx, a, t, now);
  return true;
}

// ---- staff operation plumbing ----

result failure(int status, std::string code, std::string message) {
  return result{status, std::move(code), std::move(message), std::nullopt};
}

result illegal(action what, const store::ticket_record& t) {
  return failure(409, "illegal_transition",
                 "cannot " + std::string{to_string(what)} + " ticket " + t.number + " in state " + t.state);
}

result done(const store::ticket_record& t) { return result{200, {}, {}, t}; }

// The engineer the ticket is assigned to (or the supervisor, for a complaint assigned to one).
bool is_assigned_engineer(const staff_member& who, const store::ticket_record& t) {
  return (who.role == "engineer" || who.role == "supervisor") && !t.assignee.empty() && t.assignee == who.id;
}

// Reopened after a rating, or locked when that was the second unresolved attempt.
void reject_resolution(store::transaction& tx, const app& a, store::ticket_record& t,
                       const dialogs::survey_reply& reply, std::string_view score, std::int64_t now) {
  const auto events = tx.ticket_events(t.number);
  // This rejection plus the earlier ones ("handled twice and still unresolved" → locked).
  int rejections = 1;
  for (const auto& e : events)
    if (e.event == "rated" && json_member(e.detail_json, "score") != "satisfied") ++rejections;
  const auto base = key_base(tx, t.number);
  t.satisfaction_score = std::string{score};
  t.satisfaction_comment = reply.comment;
  detail d;
  d.str("score", score).str("comment", reply.comment);
  if (reply.stars) d.num("stars", *reply.stars);
  append_event(tx, t, now, "customer", "rated", d.json());
  cancel_kinds(tx, t.number, {"survey_remind", "survey_expire"});
  notify_supervisors(tx, a, t, "staff_survey_negative",
                     {{"score_neutral", flag(score == "neutral")},
                      {"score_dissatisfied", flag(score == "dissatisfied")},
                      {"comment", reply.comment},
                      {"assignee", t.assignee}},
                     base + ":rated", now);
  if (rejections >= 2) {
    lock_ticket(tx, a, t, "unresolved_twice", now);
    return;
  }
  set_state(t, "reopened", now);
  tx.update_ticket(t);
  append_event(tx, t, now, "customer", "reopened", detail{}.str("reason", "survey").str("score", score).json());
}

}  // namespace

// ---- pure core ----

std::string_view to_string(action a) {
  switch (a) {
    case action::assign: return "assign";
    case action::progress: return "progress";
    case action::resolve: return "resolve";
    case action::note: return "note";
    case action::close: return "close";
    case action::reopen: return "reopen";
    case action::suspend: return "suspend";
    case action::lock: return "lock";
    case action::rate_satisfied: return "rate_satisfied";
    case action::rate_unsatisfied: return "rate_unsatisfied";
    case action::expire_survey: return "expire_survey";
    case action::requeue: return "requeue";
  }
  return "unknown";
}

std::optional<std::string_view> next_state(action a, std::string_view state) {
  if (a == action::note) {
    // A note never changes anything and is allowed on every ticket, archived ones included.
    for (auto s : all_states)
      if (s == state) return s;
    return std::nullopt;
  }
  for (const auto& t : transitions)
    if (t.what == a && t.from == state) return t.to;
  return std::nullopt;
}

std::string_view stage_of(std::string_view state) {
  if (state == "in_progress" || state == "reopened") return "in_progress";
  if (state == "resolved") return "awaiting_confirmation";
  if (state == "closed" || state == "cancelled") return "completed";
  return "accepted";  // pending_assignment, suspended, assigned, locked
}

bool counts_as_open(std::string_view state) {
  return state == "assigned" || state == "in_progress" || state == "locked" || state == "reopened" ||
         state == "suspended";
}

ticket_facts facts_of(const store::ticket_record& t, const dialogs::catalog& catalog) {
  ticket_facts f;
  f.type = t.type;
  f.model = t.model;
  f.priority = t.priority;
  f.channel = t.channel;
  if (const auto* p = catalog.find_model(t.model)) f.line = p->line;
  return f;
}

std::optional<std::size_t> match_rule(std::span<const assignment_rule> rules, const ticket_facts& facts) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    bool all = true;
    for (const auto& [key, value] : rules[i].when) {
      const std::string* actual = key == "type"       ? &facts.type
                                  : key == "line"     ? &facts.line
                                  : key == "model"    ? &facts.model
                                  : key == "priority" ? &facts.priority
                                  : key == "channel"  ? &facts.channel
                                                      : nullptr;
      // An unknown key never matches (the config loader rejects them anyway).
      if (!actual || *actual != value) {
        all = false;
        break;
      }
    }
    if (all) return i;
  }
  return std::nullopt;
}

std::string describe_rule(const assignment_rule& rule, std::size_t index) {
  std::string out = "rule #" + std::to_string(index + 1);
  if (rule.when.empty()) return out + " (any ticket)";
  bool first = true;
  for (const auto& [key, value] : rule.when) {
    out += first ? " " : ", ";
    out += key + "=" + value;
    first = false;
  }
  return out;
}

engineer_choice choose_engineer(std::span<const staff_member> staff, const assignment_rule& rule,
                                std::size_t rule_index, const std::map<std::string, int>& open,
                                const std::map<std::string, std::int64_t>& last_assigned, std::string_view exclude) {
  struct candidate {
    const staff_member* who;
    int open;
    std::int64_t last;
    std::size_t order;
  };
  auto lookup = [](const auto& map, const std::string& id) {
    auto it = map.find(id);
    return it == map.end() ? typename std::decay_t<decltype(map)>::mapped_type{} : it->second;
  };
  std::vector<candidate> eligible;
  std::vector<std::string> excluded;
  bool any_skilled = false;
  for (std::size_t i = 0; i < staff.size(); ++i) {
    const auto& s = staff[i];
    if (s.role != rule.role) continue;
    if (!exclude.empty() && s.id == exclude) {
      excluded.push_back(s.id + " is the subject of the complaint");
      continue;
    }
    const bool skilled = std::all_of(rule.skills.begin(), rule.skills.end(), [&](const std::string& skill) {
      return std::find(s.skills.begin(), s.skills.end(), skill) != s.skills.end();
    });
    if (!skilled) continue;
    any_skilled = true;
    const int n = lookup(open, s.id);
    if (!s.on_duty) {
      excluded.push_back(s.id + " off duty");
    } else if (n >= s.max_open) {
      excluded.push_back(s.id + " at max_open " + std::to_string(s.max_open));
    } else {
      eligible.push_back({&s, n, lookup(last_assigned, s.id), i});
    }
  }
  std::stable_sort(eligible.begin(), eligible.end(), [](const candidate& x, const candidate& y) {
    return std::tie(x.open, x.last, x.order) < std::tie(y.open, y.last, y.order);
  });

  engineer_choice out;
  out.reason = describe_rule(rule, rule_index) + "; ";
  if (eligible.empty()) {
    if (!any_skilled) {
      std::string skills;
      for (const auto& s : rule.skills) skills += (skills.empty() ? "" : ",") + s;
      out.reason += "no engineer has skills " + skills;
    } else {
      out.reason += "no eligible engineer (";
      for (std::size_t i = 0; i < excluded.size(); ++i) out.reason += (i ? ", " : "") + excluded[i];
      out.reason += ")";
    }
    return out;
  }
  out.engineer = eligible.front().who->id;
  for (std::size_t i = 0; i < eligible.size(); ++i) {
    if (i) out.reason += ", ";
    out.reason += eligible[i].who->id + " had " + std::to_string(eligible[i].open);
    if (i == 0) out.reason += " open";
  }
  if (eligible.size() > 1 && eligible[0].open == eligible[1].open)
    out.reason += "; tie: " + eligible[0].who->id + " waited longest since the last assignment";
  return out;
}

// ---- operations ----

ruled_choice preassign(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now) {
  auto choice = choose_by_rule(tx, a, t, now);
  if (!choice.engineer.empty() && find_staff(a, choice.engineer)) {
    t.assignee = choice.engineer;
    set_state(t, "assigned", now);
  }
  return choice;
}

void on_ticket_created(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now,
                       const ruled_choice* preassigned) {
  schedule_sla_timers(tx, t, now);
  schedule_requested_date(tx, a, t, now);
  if (preassigned) act_on_choice(tx, a, t, *preassigned, !t.assignee.empty(), now);
  else auto_assign(tx, a, t, now);
}

result assign(store::transaction& tx, const app& a, const std::string& number, const std::string& engineer_id,
              const std::string& reason, const staff_member& who, std::int64_t now) {
  if (who.role != "supervisor" && who.role != "admin")
    return failure(403, "forbidden", "only supervisors assign tickets");
  const auto* engineer = find_staff(a, engineer_id);
  auto t = tx.find_ticket(number);
  if (!t) return failure(404, "not_found", "no ticket " + number);
  // A complaint may go to a supervisor; any other ticket to an engineer.
  const bool can_take = engineer && (engineer->role == "engineer" ||
                                     (t->type == "complaint" && engineer->role == "supervisor"));
  if (!can_take) return failure(422, "invalid_engineer", "no engineer with id " + engineer_id);
  if (const auto attributes = attributes_of(*t);
      attributes.complaint_target_kind == "engineer" && attributes.complaint_target == engineer_id)
    return failure(422, "invalid_engineer", "the complaint on " + number + " is about " + engineer_id);
  if (!next_state(action::assign, t->state)) return illegal(action::assign, *t);
  if (t->assignee == engineer_id && t->state == "assigned")
    return failure(409, "illegal_transition", "ticket " + number + " is already assigned to " + engineer_id);
  const bool was_suspended = t->state == "suspended";
  apply_assignment(tx, a, *t, *engineer, reason, who.id, false, now);
  if (was_suspended) {
    resume_sla(tx, *t, tx.ticket_events(number), now);
    tx.update_ticket(*t);
  }
  return done(*t);
}

result progress(store::transaction& tx, const app& a, const std::string& number, const progress_report& report,
                const staff_member& who, std::int64_t now) {
  auto t = tx.find_ticket(number);
  if (!t) return failure(404, "not_found", "no ticket " + number);
  if (!is_assigned_engineer(who, *t)) return failure(403, "forbidden", "only the assigned engineer reports progress");
  const auto next = next_state(action::progress, t->state);
  if (!next) return illegal(action::progress, *t);
  const auto events = tx.ticket_events(number);
  const bool first_response = count_events(events, "progress") == 0 && count_events(events, "resolved") == 0;
  const auto base = key_base(tx, number);
  const bool was_suspended = t->state == "suspended";
  set_state(*t, *next, now);
  if (was_suspended) resume_sla(tx, *t, events, now);
  tx.update_ticket(*t);
  detail d;
  d.str("step", report.step);
  if (!report.note.empty()) d.str("note", report.note);
  if (report.eta) d.str("eta", a.clock.iso8601(*report.eta));
  append_event(tx, *t, now, who.id, "progress", d.json());
  if (first_response) cancel_kinds(tx, number, {"sla_respond_near", "sla_respond", "sla_escalate"});
  if (report.step == "onsite") cancel_kinds(tx, number, {"sla_onsite_near", "sla_onsite"});
  notify_customer(tx, a, *t, "ticket_progress",
                  {{"step_remote", flag(report.step == "remote")},
                   {"step_onsite", flag(report.step == "onsite")},
                   {"step_waiting_parts", flag(report.step == "waiting_parts")},
                   {"step_repairing", flag(report.step == "repairing")},
                   {"eta", report.eta ? human_time(a, *report.eta) : std::string{}},
                   {"note", report.note},
                   {"engineer_name", who.name}},
                  "progress", base + ":customer", now);
  return done(*t);
}

result resolve(store::transaction& tx, const app& a, const std::string& number, const std::string& report,
               const std::vector<std::string>& parts, const staff_member& who, std::int64_t now) {
  auto t = tx.find_ticket(number);
  if (!t) return failure(404, "not_found", "no ticket " + number);
  if (!is_assigned_engineer(who, *t)) return failure(403, "forbidden", "only the assigned engineer resolves");
  const auto next = next_state(action::resolve, t->state);
  if (!next) return illegal(action::resolve, *t);
  const auto base = key_base(tx, number);
  set_state(*t, *next, now);
  t->satisfaction_score.clear();  // a new resolution asks for a new rating
  t->satisfaction_comment.clear();
  tx.update_ticket(*t);
  // Parts priced by the ticket's service agreement: covered (free) or charged (issue 9).
  const auto priced = programs::price_report_parts(a, *t, parts);
  append_event(tx, *t, now, who.id, "resolved",
               detail{}.str("report", report).list("parts", parts).raw("items", priced.json).json());
  cancel_sla(tx, number);
  programs::after_resolved(tx, a, *t, now);
  const auto resolution = count_events(tx.ticket_events(number), "resolved");
  const auto payload = detail{}.num("resolution", resolution).json();
  const auto files = a.files();
  schedule(tx, *t, "survey_remind", now + std::int64_t{files->rules.survey_remind_after_hours} * 3600, payload, now);
  schedule(tx, *t, "survey_expire", now + std::int64_t{files->rules.survey_expire_after_hours} * 3600, payload, now);
  notify_customer(tx, a, *t, "survey_request", {{"report", summary(report, 120)}, {"parts", priced.text}}, "survey",
                  base + ":customer", now);
  return done(*t);
}

result add_note(store::transaction& tx, const app& a, const std::string& number, const std::string& text,
                const staff_member& who, std::int64_t now) {
  auto t = tx.find_ticket(number);
  if (!t) return failure(404, "not_found", "no ticket " + number);
  if (who.role != "supervisor" && !is_assigned_engineer(who, *t))
    return failure(403, "forbidden", "engineers add notes to their own tickets only");
  if (!next_state(action::note, t->state)) return illegal(action::note, *t);
  append_event(tx, *t, now, who.id, "note", detail{}.str("text", text).json());
  t->updated_at = now;
  tx.update_ticket(*t);
  return done(*t);
}

result supervise(store::transaction& tx, const app& a, const std::string& number, action what,
                 const std::string& why, const staff_member& who, std::int64_t now) {
  if (who.role != "supervisor") return failure(403, "forbidden", "supervisors only");
  if (what != action::close && what != action::reopen && what != action::suspend)
    return failure(422, "invalid_action", "not a supervisor action");
  auto t = tx.find_ticket(number);
  if (!t) return failure(404, "not_found", "no ticket " + number);
  const auto next = next_state(what, t->state);
  if (!next) return illegal(what, *t);
  const auto base = key_base(tx, number);
  set_state(*t, *next, now);
  tx.update_ticket(*t);
  detail d;
  if (!why.empty()) d.str("reason", why);
  const char* event = what == action::close ? "closed" : what == action::reopen ? "reopened" : "suspended";
  append_event(tx, *t, now, who.id, event, d.json());
  if (what == action::close) {
    tx.cancel_timers(number, "");
    programs::after_closed(tx, a, *t, now);
  }
  if (what == action::reopen) cancel_kinds(tx, number, {"survey_remind", "survey_expire"});
  if (what == action::suspend) cancel_sla(tx, number);  // the clocks stop; resume_sla restarts them
  const char* key = what == action::close    ? "ticket_closed"
                    : what == action::reopen ? "ticket_reopened"
                                             : "ticket_suspended";
  notify_customer(tx, a, *t, key, {}, "progress", base + ":customer", now);
  return done(*t);
}

std::optional<survey_answer> take_survey_reply(store::transaction& tx, const app& a,
                                               const store::customer_record& customer,
                                               const channels::inbound_message& message,
                                               const dialogs::conversation& dialog, std::int64_t now,
                                               const std::vector<store::ticket_record>* recent) {
  if (message.kind != "text" || message.text.empty()) return std::nullopt;
  // Same channel only (a reply on another channel is a new conversation there). Newest first:
  // the latest resolution is the one asked about.
  auto awaits_rating = [&](const store::ticket_record& c) {
    return c.channel == message.channel && c.state == "resolved" && c.satisfaction_score.empty();
  };
  auto first_awaiting = [&](const std::vector<store::ticket_record>& tickets) -> std::optional<store::ticket_record> {
    if (auto it = std::find_if(tickets.begin(), tickets.end(), awaits_rating); it != tickets.end()) return *it;
    return std::nullopt;
  };
  std::optional<store::ticket_record> t;
  if (recent) t = first_awaiting(*recent);
  if (!t && (!recent || recent->size() >= static_cast<std::size_t>(recent_ticket_limit))) {
    store::ticket_filter f;
    f.customer_id = customer.id;
    f.channel = message.channel;
    f.state = "resolved";
    f.limit = recent_ticket_limit;
    t = first_awaiting(tx.list_tickets(f).tickets);
  }
  if (!t) return std::nullopt;

  const auto reply = dialogs::parse_survey_reply(message.text, t->language);
  if (reply.score == dialogs::survey_score::unknown) return std::nullopt;
  // A bare option number while the intake waits for a numbered answer belongs to the intake.
  const bool mid_intake = dialog.state == "collecting" || dialog.state == "confirming";
  const bool numbered_question =
      dialog.awaiting == dialogs::slot::service_method || dialog.awaiting == dialogs::slot::service_type;
  const auto trimmed = dialogs::trim_answer(message.text);
  const bool bare_number = !trimmed.empty() && std::all_of(trimmed.begin(), trimmed.end(), dialogs::is_ascii_digit);
  if (mid_intake && numbered_question && bare_number) return std::nullopt;

  survey_answer out;
  out.ticket = t->number;
  out.language = t->language.empty() ? a.cfg.default_language : t->language;
  const std::string_view variant = message.channel == "sms" ? "sms" : "";
  auto say = [&](std::string_view key) {
    out.replies.push_back(a.texts.render(out.language, key, {{"ticket_number", t->number}}, variant));
  };

  switch (reply.score) {
    case dialogs::survey_score::ambiguous: {
      // Ask once more; a second unclear answer goes to the dialog and the survey stays open.
      const auto events = tx.ticket_events(t->number);
      if (count_events(since_last(events, "resolved"), "survey_clarify") > 0) return std::nullopt;
      append_event(tx, *t, now, "customer", "survey_clarify", detail{}.str("text", summary(message.text, 100)).json());
      say("rating_ask_again");
      return out;
    }
    case dialogs::survey_score::satisfied: {
      detail d;
      d.str("score", "satisfied").str("comment", reply.comment);
      if (reply.stars) d.num("stars", *reply.stars);
      t->satisfaction_score = "satisfied";
      t->satisfaction_comment = reply.comment;
      set_state(*t, *next_state(action::rate_satisfied, t->state), now);
      tx.update_ticket(*t);
      append_event(tx, *t, now, "customer", "rated", d.json());
      append_event(tx, *t, now, "customer", "closed", detail{}.str("reason", "satisfied").json());
      tx.cancel_timers(t->number, "");
      programs::after_closed(tx, a, *t, now);
      say("rating_thanks");
      return out;
    }
    case dialogs::survey_score::neutral:
    case dialogs::survey_score::dissatisfied:
      reject_resolution(tx, a, *t, reply, dialogs::to_string(reply.score), now);
      say("rating_followup");
      return out;
    case dialogs::survey_score::unknown:
      break;
  }
  return std::nullopt;
}

bool fire_timer(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now) {
  // Complaint follow-ups, visit plans, maintenance reminders (bot/programs.hpp).
  if (auto applied = programs::fire(tx, a, timer, now)) return *applied;
  auto t = tx.find_ticket(timer.ticket);
  if (!t) return false;
  const auto events = tx.ticket_events(t->number);
  const std::string& kind = timer.kind;

  if (kind == "survey_remind" || kind == "survey_expire") {
    const auto resolution = json_member(timer.payload_json, "resolution");
    if (t->state != "resolved" || !t->satisfaction_score.empty() ||
        resolution != std::to_string(count_events(events, "resolved")))
      return false;
    const auto base = key_base(tx, t->number);
    if (kind == "survey_remind") {
      append_event(tx, *t, now, "bot", "survey_reminded", "{}");
      notify_customer(tx, a, *t, "survey_reminder", {}, "survey", base + ":customer", now);
    } else {
      // Unanswered: counted as unrated and archived (product.md: the survey expires).
      set_state(*t, *next_state(action::expire_survey, t->state), now);
      tx.update_ticket(*t);
      append_event(tx, *t, now, "bot", "closed", detail{}.str("reason", "survey_expired").flag("rated", false).json());
      tx.cancel_timers(t->number, "");
      programs::after_closed(tx, a, *t, now);
    }
    return true;
  }

  if (kind == "requested_date") return fire_requested_date(tx, a, *t, timer, now);

  if (kind == "sla_escalate") {
    if (sla_met("respond", *t, events)) return false;
    return escalate(tx, a, *t, events, "still no response after the breach", now);
  }

  const auto sla = json_member(timer.payload_json, "sla");
  const bool near = kind.size() > 5 && kind.ends_with("_near");
  if (sla.empty() || !kind.starts_with("sla_")) {
    spdlog::warn("event=timer_unknown kind={} ticket={}", kind, t->number);
    return false;
  }
  if (sla_met(sla, *t, events)) return false;
  const auto base = key_base(tx, t->number);
  std::optional<std::int64_t> deadline = sla == "respond" ? t->respond_by : sla == "resolve" ? t->resolve_by : t->onsite_by;
  templates::params p{{"sla_respond", flag(sla == "respond")},
                      {"sla_resolve", flag(sla == "resolve")},
                      {"sla_onsite", flag(sla == "onsite")},
                      {"deadline", deadline ? human_time(a, *deadline) : std::string{}},
                      {"assignee", t->assignee}};
  if (near) {
    append_event(tx, *t, now, "bot", "sla_near", detail{}.str("sla", sla).json());
    const auto* engineer = t->assignee.empty() ? nullptr : find_staff(a, t->assignee);
    if (engineer) notify_staff(tx, a, *engineer, *t, "staff_sla_near", p, base + ":near", now);
    else notify_supervisors(tx, a, *t, "staff_sla_near", p, base + ":near", now);
    return true;
  }
  t->breached = true;
  t->updated_at = now;
  tx.update_ticket(*t);
  append_event(tx, *t, now, "bot", "sla_breached", detail{}.str("sla", sla).json());
  notify_supervisors(tx, a, *t, "staff_sla_breach", p, base + ":breach", now);
  // Counted even if this unit is rolled back and fires again: a breach is rare, and a metric
  // may overcount by one rather than hold the unit up.
  metrics::sla_breach(sla);
  spdlog::info("event=sla_breached ticket={} sla={}", t->number, sla);
  escalate(tx, a, *t, tx.ticket_events(t->number), "sla " + sla + " breached", now);
  if (sla == "respond") {
    // Still nobody on it: the service manager's queue (product.md: locked when no engineer by
    // the required date). While the customer's requested date is ahead, its own timer decides;
    // without one (or once it passed) the respond deadline is the fallback. Otherwise one more
    // span without a response escalates again.
    const auto wanted = requested_deadline(a, *t);
    if (t->state == "pending_assignment" && !(wanted && *wanted > now))
      lock_ticket(tx, a, *t, "no_engineer_by_deadline", now);
    const auto span = std::max<std::int64_t>(60, (t->respond_by ? *t->respond_by : now) - t->created_at);
    schedule(tx, *t, "sla_escalate", now + span, "{}", now);
  }
  return true;
}

void note_wechat_inbound(store::transaction& tx, const std::string& openid, std::int64_t now) {
  // The customer-service window: 48 h after the customer's last message (contract).
  tx.put_setting("wechat_window." + openid, std::to_string(now), now + 48 * 3600);
}

std::string plan_wechat(store::transaction& tx, const app& a, const std::string& openid, const std::string& hint,
                        bool has_phone, std::int64_t now) {
  if (auto window = tx.get_setting("wechat_window." + openid, now)) {
    const int quota = a.cfg.wechat ? a.cfg.wechat->cs_quota : 5;
    // Counted per window: the key holds "<window start>:<count>", a new window starts at 0.
    const std::string counter_key = "wechat_cs." + openid;
    int used = 0;
    if (auto counter = tx.get_setting(counter_key, now); counter && counter->starts_with(*window + ":")) {
      const auto digits = counter->substr(window->size() + 1);
      std::from_chars(digits.data(), digits.data() + digits.size(), used);
    }
    if (used < quota) {
      std::int64_t start = 0;
      std::from_chars(window->data(), window->data() + window->size(), start);
      tx.put_setting(counter_key, *window + ":" + std::to_string(used + 1), start + 48 * 3600);
      return "cs";
    }
  }
  if (a.cfg.wechat && a.cfg.wechat->template_ids.count(hint == "survey" ? "survey" : "progress")) return "template";
  if (has_phone) return "sms";
  return "cs";  // nothing better: try, the sender falls back on 45015/45047
}

}  // namespace bot::workflow
