#include "bot/programs.hpp"

#include "bot/agreements.hpp"
#include "bot/json_object.hpp"
#include "bot/ticket_attributes.hpp"
#include "channels/message.hpp"
#include "dialogs/catalog.hpp"
#include "dialogs/intake.hpp"
#include "dialogs/reminder_reply.hpp"
#include "dialogs/survey.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

namespace bot::programs {
namespace {

constexpr std::int64_t day_seconds = 24 * 3600;
constexpr int follow_up_answer_days = 7;  // how long a reply is read as the follow-up's answer

// 09:00 local on `day`: when date-based reminders go out (nobody wants one at midnight).
std::int64_t morning_of(const app& a, const std::string& day) {
  std::int64_t t = 0;
  if (!a.clock.parse_time(day + "T09:00", t)) return 0;
  return t;
}

// Timer rows keyed by something other than a ticket carry a short pseudo key in the ticket
// column (32 characters at most), so they can be found and cancelled as a group.
std::string short_hash(const std::string& text) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

std::string maintenance_key(std::int64_t customer_id, const std::string& model, const std::string& serial) {
  return "MT" + std::to_string(customer_id) + ":" + short_hash(model + "|" + serial);
}

std::string agreement_key(const std::string& id) { return "AG:" + short_hash(id); }

// `except`: the id of a timer to disregard (the one firing now: it is marked done only after).
bool has_live_timer(store::transaction& tx, const std::string& key, std::string_view kind, std::int64_t except = 0) {
  for (const auto& t : tx.ticket_timers(key))
    if (t.kind == kind && t.id != except && (t.state == "pending" || t.state == "claimed")) return true;
  return false;
}

// ---- small JSON payloads ----

struct object_reader {
  rapidjson::Document d;
  explicit object_reader(const std::string& json) { d.Parse(json.data(), json.size()); }
  bool ok() const { return !d.HasParseError() && d.IsObject(); }
  std::string str(const char* key) const { return ok() ? string_member(d, key) : std::string{}; }
  std::int64_t num(const char* key) const {
    if (!ok()) return 0;
    auto it = d.FindMember(key);
    return it != d.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  }
};

// ---- maintenance ----

// Whose product a maintenance reminder is about, and where to reach them.
struct maintenance_subject {
  std::int64_t customer_id = 0;
  std::string channel, channel_id, language, phone, name, model, serial, purchase_date;

  std::string to_json(const std::string& due_date) const {
    return json_object{}
        .num("customer_id", customer_id)
        .str("channel", channel)
        .str("channel_id", channel_id)
        .str("language", language)
        .str("phone", phone)
        .str("name", name)
        .str("model", model)
        .str("serial", serial)
        .str("purchase_date", purchase_date)
        .str("due_date", due_date)
        .json();
  }
  static maintenance_subject from(const object_reader& r) {
    maintenance_subject s;
    s.customer_id = r.num("customer_id");
    s.channel = r.str("channel");
    s.channel_id = r.str("channel_id");
    s.language = r.str("language");
    s.phone = r.str("phone");
    s.name = r.str("name");
    s.model = r.str("model");
    s.serial = r.str("serial");
    s.purchase_date = r.str("purchase_date");
    return s;
  }
  std::string key() const { return maintenance_key(customer_id, model, serial); }
};

int cycle_days(const app& a, const std::string& model) {
  const auto files = a.files();
  const auto* product = files->catalog.find_model(model);
  return product ? product->maintenance_cycle_days : 0;
}

// The reminder for the first cycle date after `base` (a purchase or the last maintenance) that
// is not already past: `remind_days_before` ahead at 09:00, or now when that moment has gone.
// Replaces any reminder pending for the same product.
void schedule_maintenance(store::transaction& tx, const app& a, const maintenance_subject& s, const std::string& base,
                          std::int64_t now) {
  const int cycle = cycle_days(a, s.model);
  const auto start = calendar::days_from_epoch(base);
  const auto today = calendar::days_from_epoch(a.clock.local_date(now));
  if (cycle <= 0 || !start || !today) return;
  int due = *start + cycle;
  if (due < *today) due += ((*today - due + cycle - 1) / cycle) * cycle;
  const std::string due_date = calendar::from_days(due);
  const auto remind_at =
      std::max(now, morning_of(a, calendar::from_days(due - a.files()->rules.maintenance.remind_days_before)));
  tx.cancel_timers(s.key(), "maintenance_remind");
  store::timer_record timer;
  timer.kind = "maintenance_remind";
  timer.ticket = s.key();
  timer.due_at = remind_at;
  timer.payload_json = s.to_json(due_date);
  timer.created_at = now;
  tx.schedule_timer(timer);
  spdlog::info("event=maintenance_scheduled key={} model={} due={}", s.key(), s.model, due_date);
}

std::string product_label(const app& a, const std::string& model, const std::string& language) {
  const auto files = a.files();
  const auto* p = files->catalog.find_model(model);
  if (!p) return model;
  const std::string& name = language == "en" && !p->name_en.empty() ? p->name_en : p->name;
  return model + " " + name;
}

std::string offer_key(const std::string& channel, const std::string& channel_id) {
  return "maint_offer." + channel + "." + channel_id;
}

std::string follow_up_key(const std::string& channel, const std::string& channel_id) {
  return "follow_up." + channel + "." + channel_id;
}

// A ticket-shaped recipient for notify_customer when there is no ticket yet.
store::ticket_record recipient_of(const maintenance_subject& s) {
  store::ticket_record t;
  t.customer_id = s.customer_id;
  t.channel = s.channel;
  t.channel_id = s.channel_id;
  t.language = s.language;
  t.phone = s.phone;
  return t;
}

bool fire_maintenance(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now) {
  const object_reader payload{timer.payload_json};
  if (!payload.ok()) return false;
  const auto s = maintenance_subject::from(payload);
  const auto due_date = payload.str("due_date");
  const int cycle = cycle_days(a, s.model);
  if (cycle <= 0 || due_date.empty()) return false;
  const std::string language = s.language.empty() ? a.cfg.default_language : s.language;
  auto recipient = recipient_of(s);
  workflow::notify_customer(tx, a, recipient, "maintenance_reminder",
                            {{"product", product_label(a, s.model, language)},
                             {"serial", s.serial},
                             {"due_date", due_date}},
                            "progress", "mt:" + s.key() + ":" + due_date, now);
  // The answer is read for a while; the next cycle is already on the calendar, so no answer
  // (or "不需要") simply waits for it.
  tx.put_setting(offer_key(s.channel, s.channel_id), timer.payload_json,
                 now + std::int64_t{a.files()->rules.maintenance.offer_valid_days} * day_seconds);
  schedule_maintenance(tx, a, s, due_date, now);
  spdlog::info("event=maintenance_reminded key={} due={}", s.key(), due_date);
  return true;
}

// "需要": a maintenance ticket for the product, assigned like any other.
std::string open_maintenance_ticket(store::transaction& tx, const app& a, const maintenance_subject& s,
                                    const std::string& due_date, std::int64_t now) {
  store::ticket_record t;
  t.number = tx.next_ticket_number(a.clock.yyyymmdd(now));
  t.type = "value_added";
  t.priority = "normal";
  t.state = "pending_assignment";
  t.stage = std::string{workflow::stage_of(t.state)};
  t.channel = s.channel;
  t.language = s.language.empty() ? a.cfg.default_language : s.language;
  t.customer_id = s.customer_id;
  t.customer_name = s.name;
  t.phone = s.phone;
  t.channel_id = s.channel_id;
  t.model = s.model;
  t.serial = s.serial;
  t.purchase_date = s.purchase_date;
  t.problem = a.texts.render(t.language, "maintenance_problem",
                             {{"product", product_label(a, s.model, t.language)}, {"due_date", due_date}});
  t.service_method = "onsite";
  ticket_attributes attributes;
  attributes.origin = "maintenance";
  attributes.due_date = due_date;
  t.attributes_json = attributes.to_json();
  t.created_at = now;
  t.updated_at = now;
  classify(a, t, nullptr, now);
  tx.insert_ticket(t);
  tx.append_event({t.number, now, "bot", "created",
                   json_object{}.str("channel", t.channel).str("type", t.type).str("priority", t.priority)
                       .str("origin", "maintenance").json()});
  workflow::on_ticket_created(tx, a, t, now);
  return t.number;
}

// ---- complaints ----

bool fire_follow_up(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now) {
  if (t.state != "closed") return false;
  for (const auto& e : tx.ticket_events(t.number))
    if (e.event == "follow_up_sent") return false;
  const auto base = workflow::key_base(tx, t.number);
  workflow::append_event(tx, t, now, "bot", "follow_up_sent", "{}");
  workflow::notify_customer(tx, a, t, "complaint_follow_up", {}, "progress", base + ":customer", now);
  if (!t.channel_id.empty())
    tx.put_setting(follow_up_key(t.channel, t.channel_id), t.number, now + follow_up_answer_days * day_seconds);
  return true;
}

// ---- visit plans ----

// The customer an agreement names, as the bot knows them: the newest ticket with that phone
// gives the channel to reach them on; without one, SMS to the phone when SMS is configured.
void fill_agreement_customer(store::transaction& tx, const app& a, const agreement& ag, store::ticket_record& t,
                             std::int64_t now) {
  t.customer_name = ag.customer_name;
  t.customer_no = ag.customer_no;
  t.phone = ag.customer_phone;
  t.language = a.cfg.default_language;
  t.channel = "api";
  if (!ag.customer_phone.empty()) {
    store::ticket_filter f;
    f.q = ag.customer_phone;
    f.limit = 5;
    for (const auto& previous : tx.list_tickets(f).tickets) {
      if (previous.phone != ag.customer_phone || previous.channel_id.empty()) continue;
      t.customer_id = previous.customer_id;
      t.channel = previous.channel;
      t.channel_id = previous.channel_id;
      t.language = previous.language.empty() ? t.language : previous.language;
      if (t.customer_name.empty()) t.customer_name = previous.customer_name;
      return;
    }
    if (a.cfg.sms) {
      const auto customer = tx.find_or_create_customer("sms", ag.customer_phone, now);
      t.customer_id = customer.id;
      t.channel = "sms";
      t.channel_id = ag.customer_phone;
    }
  }
}

// `firing`: the visit_plan timer being fired, when called from it to plan the next visit.
void schedule_visit(store::transaction& tx, const app& a, const agreement& ag, std::int64_t now,
                    std::int64_t firing = 0) {
  const auto key = agreement_key(ag.id);
  if (has_live_timer(tx, key, "visit_plan", firing)) return;
  std::string from = a.clock.local_date(now);
  if (auto last = tx.get_setting("visit_plan.last." + ag.id, now); last && !last->empty())
    from = std::max(from, calendar::add_days(*last, 1));
  const auto visit = next_visit(ag, from);
  if (visit.empty()) return;
  store::timer_record timer;
  timer.kind = "visit_plan";
  timer.ticket = key;
  timer.due_at = std::max(now, morning_of(a, calendar::add_days(visit, -ag.visits->lead_days)));
  timer.payload_json = json_object{}.str("agreement", ag.id).str("visit_date", visit).json();
  timer.created_at = now;
  tx.schedule_timer(timer);
  spdlog::info("event=visit_scheduled agreement={} visit={}", ag.id, visit);
}

bool fire_visit_plan(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now) {
  const object_reader payload{timer.payload_json};
  const auto* ag = find_agreement(a, payload.str("agreement"));
  const auto visit = payload.str("visit_date");
  if (!ag || !ag->visits || visit.empty()) return false;
  if (auto last = tx.get_setting("visit_plan.last." + ag->id, now); last && *last >= visit) return false;

  store::ticket_record t;
  t.number = tx.next_ticket_number(a.clock.yyyymmdd(now));
  t.type = ag->visits->type;
  t.priority = "normal";
  // Held until a supervisor releases it: the customer is not contacted before (issue 9).
  t.state = "suspended";
  t.stage = std::string{workflow::stage_of(t.state)};
  fill_agreement_customer(tx, a, *ag, t, now);
  if (ag->models.size() == 1) t.model = ag->models.front();
  if (ag->serials.size() == 1) t.serial = dialogs::normalise_code(ag->serials.front());
  t.problem = ag->visits->problem;
  t.service_method = "onsite";
  ticket_attributes attributes;
  attributes.origin = "visit_plan";
  attributes.visit_date = visit;
  attributes.agreement = ag->id;
  t.attributes_json = attributes.to_json();
  t.created_at = now;
  t.updated_at = now;
  tx.insert_ticket(t);
  tx.append_event({t.number, now, "bot", "created",
                   json_object{}.str("channel", t.channel).str("type", t.type).str("priority", t.priority)
                       .str("origin", "visit_plan").json()});
  workflow::append_event(tx, t, now, "bot", "planned",
                         json_object{}.str("agreement", ag->id).str("visit_date", visit).json());
  tx.put_setting("visit_plan.last." + ag->id, visit, 0);
  // Still unconfirmed on the visit day: the supervisors are reminded.
  workflow::schedule(tx, t, "visit_unconfirmed", std::max(now, morning_of(a, visit)), "{}", now);
  workflow::notify_supervisors(tx, a, t, "staff_visit_planned",
                               {{"visit_date", visit}, {"agreement", ag->id}, {"customer_name", t.customer_name},
                                {"problem", t.problem}},
                               workflow::key_base(tx, t.number) + ":planned", now);
  spdlog::info("event=visit_planned ticket={} agreement={} visit={}", t.number, ag->id, visit);
  schedule_visit(tx, a, *ag, now, timer.id);  // the one after
  return true;
}

bool fire_visit_unconfirmed(store::transaction& tx, const app& a, store::ticket_record& t, std::int64_t now) {
  const auto attributes = attributes_of(t);
  if (attributes.origin != "visit_plan" || attributes.confirmed || t.state != "suspended") return false;
  const auto base = workflow::key_base(tx, t.number);
  workflow::append_event(tx, t, now, "bot", "visit_unconfirmed", json_object{}.str("visit_date", attributes.visit_date).json());
  workflow::notify_supervisors(tx, a, t, "staff_visit_unconfirmed",
                               {{"visit_date", attributes.visit_date}, {"agreement", attributes.agreement}},
                               base + ":unconfirmed", now);
  return true;
}

}  // namespace

const agreement* find_agreement(const app& a, const std::string& id) {
  if (id.empty()) return nullptr;
  const auto files = a.files();
  for (const auto& ag : files->agreements)
    if (ag.id == id) return &ag;
  return nullptr;
}

void classify(const app& a, store::ticket_record& t, const dialogs::ticket_draft* draft, std::int64_t now) {
  const auto files = a.files();
  auto attributes = attributes_of(t);
  if (draft && t.type == "complaint") {
    attributes.complaint_target_kind = draft->complaint_target_kind;
    attributes.complaint_target = draft->complaint_target;
    attributes.complaint_reason = draft->complaint_reason;
  }
  // The day the customer wants the service by: an engineer must be on it by then (the
  // workflow's requested_date timer, scheduled in on_ticket_created).
  if (draft && !draft->requested_date.empty()) attributes.requested_date = draft->requested_date;
  if (attributes.agreement.empty()) {
    coverage_query q{t.phone, t.customer_no, t.model, t.serial, t.type, a.clock.local_date(now)};
    if (const auto* ag = covering_agreement(files->agreements, q)) attributes.agreement = ag->id;
  }
  t.attributes_json = attributes.to_json();

  // Deadlines: complaints have their own first-contact time; otherwise the rules' policy for
  // the priority with the agreement's overrides.
  sla_policy p;
  if (t.type == "complaint") p.respond = files->rules.complaints.respond_minutes;
  else p = effective_sla(files->rules, find_agreement(a, attributes.agreement), t.priority);
  auto at = [now](const std::optional<int>& minutes) -> std::optional<std::int64_t> {
    if (!minutes) return std::nullopt;
    return now + std::int64_t{*minutes} * 60;
  };
  t.respond_by = at(p.respond);
  t.resolve_by = at(p.resolve);
  t.onsite_by = at(p.onsite);
}

void after_created(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now) {
  if (t.model.empty() || t.purchase_date.empty() || cycle_days(a, t.model) <= 0) return;
  if (attributes_of(t).origin == "maintenance") return;  // its resolution restarts the cycle
  maintenance_subject s{t.customer_id, t.channel, t.channel_id, t.language, t.phone, t.customer_name,
                        t.model,       t.serial,  t.purchase_date};
  if (has_live_timer(tx, s.key(), "maintenance_remind")) return;
  schedule_maintenance(tx, a, s, t.purchase_date, now);
}

void after_resolved(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now) {
  if (attributes_of(t).origin != "maintenance" || cycle_days(a, t.model) <= 0) return;
  maintenance_subject s{t.customer_id, t.channel, t.channel_id, t.language, t.phone, t.customer_name,
                        t.model,       t.serial,  t.purchase_date};
  schedule_maintenance(tx, a, s, a.clock.local_date(now), now);
}

void after_closed(store::transaction& tx, const app& a, const store::ticket_record& t, std::int64_t now) {
  if (t.type != "complaint") return;
  workflow::schedule(tx, t, "complaint_follow_up",
                     now + std::int64_t{a.files()->rules.complaints.follow_up_after_hours} * 3600, "{}", now);
}

std::optional<bool> fire(store::transaction& tx, const app& a, const store::timer_record& timer, std::int64_t now) {
  if (timer.kind == "maintenance_remind") return fire_maintenance(tx, a, timer, now);
  if (timer.kind == "visit_plan") return fire_visit_plan(tx, a, timer, now);
  if (timer.kind != "complaint_follow_up" && timer.kind != "visit_unconfirmed") return std::nullopt;
  auto t = tx.find_ticket(timer.ticket);
  if (!t) return false;
  if (timer.kind == "complaint_follow_up") return fire_follow_up(tx, a, *t, now);
  return fire_visit_unconfirmed(tx, a, *t, now);
}

std::optional<workflow::survey_answer> take_reply(store::transaction& tx, const app& a,
                                                  const store::customer_record& customer,
                                                  const channels::inbound_message& message, std::int64_t now) {
  if (message.kind != "text" || message.text.empty()) return std::nullopt;

  // Both pending questions read at once: this runs for every text message.
  const std::string keys[] = {offer_key(message.channel, message.from), follow_up_key(message.channel, message.from)};
  const auto pending = tx.get_settings(keys, now);
  if (const auto& offer = pending[0]; offer && !offer->empty()) {
    const auto answer = dialogs::read_reminder_answer(message.text);
    if (answer != dialogs::reminder_answer::none) {
      const object_reader payload{*offer};
      auto s = maintenance_subject::from(payload);
      const auto due_date = payload.str("due_date");
      tx.put_setting(offer_key(message.channel, message.from), "", now);  // answered
      workflow::survey_answer out;
      out.language = s.language.empty() ? a.cfg.default_language : s.language;
      const std::string variant = message.channel == "sms" ? "sms" : "";
      const auto product = product_label(a, s.model, out.language);
      if (answer == dialogs::reminder_answer::yes) {
        s.customer_id = customer.id;  // the customer who answered, on this channel
        out.ticket = open_maintenance_ticket(tx, a, s, due_date, now);
        out.replies.push_back(a.texts.render(out.language, "maintenance_booked",
                                             {{"ticket_number", out.ticket}, {"product", product}}, variant));
        spdlog::info("event=maintenance_accepted ticket={} model={}", out.ticket, s.model);
      } else {
        const int cycle = cycle_days(a, s.model);
        out.replies.push_back(a.texts.render(out.language, "maintenance_declined",
                                             {{"product", product},
                                              {"next_date", cycle > 0 ? calendar::add_days(due_date, cycle) : ""}},
                                             variant));
        spdlog::info("event=maintenance_declined model={} due={}", s.model, due_date);
      }
      return out;
    }
  }

  if (const auto& number = pending[1]; number && !number->empty()) {
    const auto t = tx.find_ticket(*number);
    const auto reply = dialogs::parse_survey_reply(message.text, t ? t->language : a.cfg.default_language);
    // Only an answer to the question is taken; a new fault report goes to the dialog.
    if (t && reply.score != dialogs::survey_score::unknown) {
      tx.put_setting(follow_up_key(message.channel, message.from), "", now);
      const char* score = reply.score == dialogs::survey_score::satisfied      ? "satisfied"
                          : reply.score == dialogs::survey_score::dissatisfied ? "dissatisfied"
                                                                              : "neutral";
      tx.append_event({t->number, now, "customer", "follow_up_answered",
                       json_object{}.str("score", score).str("text", workflow::summary(message.text, 500)).json()});
      workflow::survey_answer out;
      out.ticket = t->number;
      out.language = t->language.empty() ? a.cfg.default_language : t->language;
      out.replies.push_back(a.texts.render(out.language, "complaint_follow_up_thanks",
                                           {{"ticket_number", t->number},
                                            {"dissatisfied", workflow::flag(reply.score ==
                                                                            dialogs::survey_score::dissatisfied)}},
                                           message.channel == "sms" ? "sms" : ""));
      if (reply.score == dialogs::survey_score::dissatisfied)
        workflow::notify_supervisors(tx, a, *t, "staff_follow_up_unhappy", {{"comment", workflow::summary(message.text, 200)}},
                                     workflow::key_base(tx, t->number) + ":follow_up", now);
      return out;
    }
  }
  return std::nullopt;
}

void ensure_visit_timers(store::transaction& tx, const app& a, std::int64_t now) {
  const auto files = a.files();
  for (const auto& ag : files->agreements)
    if (ag.visits) schedule_visit(tx, a, ag, now);
}

workflow::result confirm_visit(store::transaction& tx, const app& a, const std::string& number,
                               const staff_member& who, std::int64_t now) {
  if (who.role != "supervisor") return {403, "forbidden", "supervisors confirm planned visits", std::nullopt};
  auto t = tx.find_ticket(number);
  if (!t) return {404, "not_found", "no ticket " + number, std::nullopt};
  auto attributes = attributes_of(*t);
  if (attributes.origin != "visit_plan" || attributes.confirmed || t->state != "suspended")
    return {409, "illegal_transition",
            "ticket " + number + " is not a planned visit awaiting confirmation (state " + t->state + ")",
            std::nullopt};
  attributes.confirmed = true;
  t->attributes_json = attributes.to_json();
  workflow::set_state(*t, "pending_assignment", now);
  classify(a, *t, nullptr, now);  // SLA from now, with the agreement's overrides
  tx.update_ticket(*t);
  tx.cancel_timers(number, "visit_unconfirmed");
  const auto base = workflow::key_base(tx, number);
  workflow::append_event(tx, *t, now, who.id, "confirmed", json_object{}.str("visit_date", attributes.visit_date).json());
  workflow::notify_customer(tx, a, *t, "visit_confirmed", {{"visit_date", attributes.visit_date}, {"problem", t->problem}},
                            "progress", base + ":customer", now);
  workflow::on_ticket_created(tx, a, *t, now);
  return {200, {}, {}, *t};
}

priced_parts price_report_parts(const app& a, const store::ticket_record& t, const std::vector<std::string>& parts) {
  const auto* ag = find_agreement(a, attributes_of(t).agreement);
  const std::string language = t.language.empty() ? a.cfg.default_language : t.language;
  priced_parts out;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  w.StartArray();
  for (const auto& line : price_parts(ag, parts)) {
    const auto text = a.texts.render(language, "part_priced",
                                     {{"part", line.part},
                                      {"agreement", ag ? ag->id : ""},
                                      {"covered", workflow::flag(ag && line.covered)},
                                      {"charged", workflow::flag(ag && !line.covered)},
                                      {"discount", line.discount_percent > 0 ? std::to_string(line.discount_percent) : ""}});
    out.text += (out.text.empty() ? "" : "、") + text;
    w.StartObject();
    w.Key("part");
    w.String(line.part.data(), static_cast<rapidjson::SizeType>(line.part.size()));
    w.Key("charge");
    w.String(!ag ? "standard" : line.covered ? "covered" : "charged");
    w.Key("discount_percent");
    w.Int(line.discount_percent);
    w.EndObject();
  }
  w.EndArray();
  out.json = buffer.GetString();
  return out;
}

}  // namespace bot::programs
