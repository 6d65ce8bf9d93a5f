#include "dialogs/intake.hpp"

#include "dialogs/commands.hpp"
#include "dialogs/extract_date.hpp"
#include "dialogs/extract_model.hpp"
#include "dialogs/extract_name.hpp"
#include "dialogs/extract_phone.hpp"
#include "dialogs/extract_serial.hpp"
#include "dialogs/extract_service_method.hpp"
#include "dialogs/extract_service_type.hpp"
#include "dialogs/text.hpp"

#include <date/date.h>

#include <algorithm>
#include <array>

namespace dialogs {
namespace {

// The order the dialog asks in (product.md's sample conversation, then the name).
constexpr std::array<slot, 7> ask_order{slot::model,          slot::serial, slot::problem, slot::purchase_date,
                                        slot::service_method, slot::phone,  slot::name};

// Extractors read at most this much of a message: enough for any real answer, and it bounds
// the work a pasted novel or a hostile 1 MiB body can cause.
constexpr std::size_t max_text_bytes = 4000;
constexpr std::size_t max_problem_code_points = 1000;
constexpr std::size_t summary_problem_code_points = 60;
constexpr std::size_t max_attachments = 20;
constexpr std::size_t max_model_options = 8;
// After this many invalid answers in a row for one question, offer a human.
constexpr int offer_human_after = 3;

using params = std::vector<std::pair<std::string, std::string>>;

const catalog& empty_catalog() {
  static const catalog none;
  return none;
}

std::optional<std::string>* value_of(slot_values& v, slot s) {
  switch (s) {
    case slot::service_type: return &v.service_type;
    case slot::model: return &v.model;
    case slot::serial: return &v.serial;
    case slot::problem: return &v.problem;
    case slot::purchase_date: return &v.purchase_date;
    case slot::service_method: return &v.service_method;
    case slot::phone: return &v.phone;
    case slot::name: return &v.name;
    case slot::none:
    case slot::confirm: return nullptr;
  }
  return nullptr;
}

std::string_view ask_key(slot s) {
  switch (s) {
    case slot::model: return "ask_model";
    case slot::serial: return "ask_serial";
    case slot::problem: return "ask_problem";
    case slot::purchase_date: return "ask_purchase_date";
    case slot::service_method: return "ask_service_method";
    case slot::phone: return "ask_phone";
    case slot::name: return "ask_name";
    case slot::confirm: return "confirm_summary";
    case slot::none:
    case slot::service_type: return {};
  }
  return {};
}

bool in_intake(const conversation& c) { return c.state == "collecting" || c.state == "confirming"; }

bool has_letter(std::string_view text) {
  for (char ch : text) {
    if (is_ascii_alpha(ch) || static_cast<unsigned char>(ch) >= 0xC0) return true;
  }
  return false;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

// One step's working state: the conversation being changed and the replies so far.
class intake_step {
 public:
  intake_step(const conversation& current, const inbound& message, const context& ctx)
      : ctx_(ctx), products_(ctx.products != nullptr ? *ctx.products : empty_catalog()), message_(message) {
    out_.next = current;
  }

  outcome run();

 private:
  conversation& conv() { return out_.next; }
  void say(std::string_view key, params p = {}) { out_.replies.push_back({std::string(key), std::move(p)}); }

  const product* current_product() const {
    const auto& model = out_.next.values.model;
    return model ? products_.find_model(*model) : nullptr;
  }

  void start_intake();
  void reset_values();
  void handle_event();
  void handle_text(const std::string& text);
  void handle_confirming(const folded_text& folded, const std::string& source, command cmd);
  void infer_type(std::string_view folded);
  std::vector<slot> extract_all(std::string& work, const folded_text& folded, const std::string& source);
  void take_free_text(slot awaited, const std::string& work, const folded_text& folded,
                      const std::string& source, std::vector<slot>& filled);
  void revalidate_serial();
  void complain_about(slot awaited);
  void ask_next();
  void ask(slot s);
  void show_summary();
  void finish();
  void status_reply(std::string_view folded);
  params with_offer(params p) const;

  const context& ctx_;
  const catalog& products_;
  const inbound& message_;
  outcome out_;
  bool greet_ = false;          // this step started the intake: the first question says hello
  bool safety_first_ = false;   // this step found safety words: safety advice goes out first
  bool said_something_ = false; // a which_model / future_date reply already answered the message
};

params intake_step::with_offer(params p) const {
  if (out_.next.reasks >= offer_human_after) p.emplace_back("offer_human", "1");
  return p;
}

void intake_step::reset_values() {
  conversation& c = conv();
  c.values = {};
  c.attachments.clear();
  c.reasks = 0;
  c.awaiting = slot::none;
}

void intake_step::start_intake() {
  conversation& c = conv();
  reset_values();
  c.state = "collecting";
  c.started_at = ctx_.now;
  greet_ = true;
  // On SMS the sender is a phone number: offer it as the contact phone (the summary shows it,
  // so the customer can still change it).
  if (message_.channel == "sms" && !message_.sender.empty()) {
    const folded_text sender = fold(sanitise_utf8(message_.sender));
    if (auto phone = extract_phone(sender.text, phone_regions(c.language, ctx_.default_region))) {
      c.values.phone = phone->e164;
    }
  }
}

void intake_step::ask(slot s) {
  if (s == slot::confirm) {
    show_summary();
    return;
  }
  conversation& c = conv();
  params p;
  if (greet_) p.emplace_back("greet", "1");
  greet_ = false;
  if (s == slot::model && !products_.products.empty()) p.emplace_back("example", products_.products.front().model);
  if (s == slot::serial) {
    if (const product* prod = current_product()) {
      p.emplace_back("model", prod->model);
      p.emplace_back("prefix", serial_prefix(*prod));
    }
  }
  if (s != c.awaiting) c.reasks = 0;
  c.awaiting = s;
  say(ask_key(s), std::move(p));
}

void intake_step::show_summary() {
  conversation& c = conv();
  const slot_values& v = c.values;
  if (c.awaiting != slot::confirm) c.reasks = 0;
  c.state = "confirming";
  c.awaiting = slot::confirm;
  params p;
  p.emplace_back("model", v.model.value_or(""));
  p.emplace_back("serial", v.serial.value_or(""));
  const std::string problem = v.problem.value_or("");
  const std::string_view shown = first_code_points(problem, summary_problem_code_points);
  p.emplace_back("problem", std::string(shown));
  if (shown.size() < problem.size()) p.emplace_back("problem_truncated", "1");
  p.emplace_back("purchase_date", v.purchase_date.value_or(""));
  if (v.purchase_date_approximate) p.emplace_back("approximate", "1");
  const product* prod = current_product();
  const std::optional<bool> covered =
      prod != nullptr && v.purchase_date ? in_warranty(*v.purchase_date, prod->warranty_months, ctx_.today)
                                         : std::nullopt;
  if (!covered) {
    p.emplace_back("warranty_unknown", "1");
  } else {
    p.emplace_back(*covered ? "in_warranty" : "out_of_warranty", "1");
  }
  p.emplace_back("method_" + v.service_method.value_or("unknown"), "1");
  p.emplace_back("phone", v.phone ? mask_phone(*v.phone) : std::string());
  p.emplace_back("name", v.name.value_or(""));
  if (v.service_type && *v.service_type == "emergency") p.emplace_back("emergency", "1");
  say("confirm_summary", with_offer(std::move(p)));
}

void intake_step::ask_next() {
  conversation& c = conv();
  for (slot s : ask_order) {
    if (!value_of(c.values, s)->has_value()) {
      c.state = "collecting";
      // An invalid_* or which_model reply for this very slot already asked again.
      if (said_something_ && c.awaiting == s) return;
      ask(s);
      return;
    }
  }
  show_summary();
}

void intake_step::finish() {
  conversation& c = conv();
  const slot_values& v = c.values;
  ticket_draft t;
  t.type = v.service_type.value_or("repair");
  t.priority = v.priority.value_or("normal");
  t.language = c.language;
  t.model = v.model.value_or("");
  t.serial = v.serial.value_or("");
  t.problem = v.problem.value_or("");
  t.purchase_date = v.purchase_date.value_or("");
  t.purchase_date_approximate = v.purchase_date_approximate;
  t.service_method = v.service_method.value_or("");
  t.phone = v.phone.value_or("");
  t.name = v.name.value_or("");
  if (const product* prod = current_product(); prod != nullptr && v.purchase_date) {
    t.in_warranty = in_warranty(*v.purchase_date, prod->warranty_months, ctx_.today);
  }
  t.attachments = c.attachments;
  out_.ticket = std::move(t);
  c.state = "completed";
  c.awaiting = slot::none;
  c.reasks = 0;
  // The bot fills ticket_number once the ticket exists (intake.hpp, outcome::replies).
  say("ticket_created", {{"ticket_number", ""}});
}

void intake_step::status_reply(std::string_view folded) {
  std::string number = find_ticket_number(folded);
  if (number.empty()) number = conv().ticket;
  if (number.empty()) {
    say("status_unknown");
  } else {
    say("ticket_status", {{"ticket_number", number}});
  }
}

void intake_step::infer_type(std::string_view folded) {
  slot_values& v = conv().values;
  const service_type_hint hint = infer_service_type(folded);
  if (hint.type == "emergency") {
    if (v.service_type != "emergency") safety_first_ = true;
    v.service_type = "emergency";
  } else if (!hint.type.empty() && v.service_type != "emergency") {
    // A specific type (installation, return, ...) refines a plain repair, never the reverse.
    if (!v.service_type || (*v.service_type == "repair" && hint.type != "repair")) v.service_type = hint.type;
  }
  if (hint.priority == "critical" || v.service_type == "emergency") {
    v.priority = "critical";
  } else if (hint.priority == "urgent" && v.priority != "critical") {
    v.priority = "urgent";
  }
}

std::vector<slot> intake_step::extract_all(std::string& work, const folded_text& folded,
                                           const std::string& source) {
  conversation& c = conv();
  slot_values& v = c.values;
  const slot awaited = c.awaiting;
  std::vector<slot> filled;
  auto mask = [&](span where) {
    for (std::size_t i = where.begin; i < where.end && i < work.size(); ++i) work[i] = masked_byte;
  };
  // The awaited slot reads the text first, so "13800135678" while a numeric serial is awaited
  // is a serial, not a phone. Model numbers are exact catalog entries, so they go before serials
  // even then (a loose serial pattern would otherwise swallow "ABC-2000").
  std::vector<slot> order;
  if (awaited == slot::serial) order.push_back(slot::model);
  if (awaited != slot::none && awaited != slot::confirm && awaited != slot::problem) order.push_back(awaited);
  for (slot s : {slot::model, slot::serial, slot::purchase_date, slot::phone, slot::service_method, slot::name}) {
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }

  for (slot s : order) {
    switch (s) {
      case slot::model: {
        auto m = extract_model(work, products_, awaited == slot::model);
        if (!m) break;
        if (m->products.size() == 1) {
          // A product name does not override a model the customer already gave; a model number does.
          if (m->by_code || !v.model || awaited == slot::model) {
            v.model = m->products.front()->model;
            filled.push_back(slot::model);
            mask(m->where);
          }
        } else if (!v.model || awaited == slot::model) {
          std::string options;
          const bool zh = c.language != "en";
          for (std::size_t k = 0; k < m->products.size() && k < max_model_options; ++k) {
            const product* p = m->products[k];
            if (k > 0) options += zh ? "、" : ", ";
            options += p->model;
            const std::string& label = zh || p->name_en.empty() ? p->name : p->name_en;
            if (!label.empty()) options += zh ? "(" + label + ")" : " (" + label + ")";
          }
          params p;
          if (greet_) p.emplace_back("greet", "1");
          greet_ = false;
          p.emplace_back("options", options);
          say("which_model", std::move(p));
          if (c.awaiting != slot::model) c.reasks = 0;
          c.awaiting = slot::model;
          said_something_ = true;
          mask(m->where);
        }
        break;
      }
      case slot::serial: {
        if (auto m = extract_serial(work, products_, current_product())) {
          v.serial = m->serial;
          filled.push_back(slot::serial);
          mask(m->where);
        }
        break;
      }
      case slot::purchase_date: {
        // Inside a fault description a date is more likely when the fault began; take it as
        // the purchase date only when the customer says so.
        if (awaited == slot::problem || awaited == slot::name) {
          bool cue = false;
          for (std::string_view w : {"买", "购", "bought", "purchase", "purchased"}) {
            cue = cue || find_word(work, w) != std::string_view::npos;
          }
          if (!cue) break;
        }
        auto m = extract_date(work, ctx_.today, c.language);
        if (!m) break;
        mask(m->where);
        if (after(m->date, ctx_.today)) {
          if (awaited == slot::purchase_date) ++c.reasks;
          say("future_date", with_offer({{"date", format_date(m->date)}}));
          if (awaited == slot::purchase_date) said_something_ = true;
          break;
        }
        v.purchase_date = format_date(m->date);
        v.purchase_date_approximate = m->approximate;
        filled.push_back(slot::purchase_date);
        break;
      }
      case slot::phone: {
        if (auto m = extract_phone(work, phone_regions(c.language, ctx_.default_region))) {
          v.phone = m->e164;
          filled.push_back(slot::phone);
          mask(m->where);
        }
        break;
      }
      case slot::service_method: {
        if (auto m = extract_service_method(work, awaited == slot::service_method)) {
          v.service_method = m->method;
          filled.push_back(slot::service_method);
          mask(m->where);
        }
        break;
      }
      case slot::name: {
        if (auto m = extract_name(work)) {
          const std::size_t from = folded.origin[m->value.begin], to = folded.origin[m->value.end];
          std::string name = name_from_answer(std::string_view(source).substr(from, to - from));
          if (!name.empty()) {
            v.name = std::move(name);
            filled.push_back(slot::name);
            mask(m->where);
          }
        }
        break;
      }
      default: break;
    }
  }
  return filled;
}

void intake_step::take_free_text(slot awaited, const std::string& work, const folded_text& folded,
                                 const std::string& source, std::vector<slot>& filled) {
  if (awaited != slot::problem && awaited != slot::name) return;
  // What no extractor used, in the customer's own spelling.
  std::string rest;
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (work[i] == masked_byte) {
      if (!rest.empty() && rest.back() != ' ') rest += ' ';
      continue;
    }
    // A folded byte stands for its whole source character (a full-width letter is 3 bytes).
    rest.append(source, folded.origin[i], folded.origin[i + 1] - folded.origin[i]);
  }
  slot_values& v = conv().values;
  if (awaited == slot::problem) {
    if (!has_letter(rest)) return;
    // The whole message is the description: engineers want the customer's words as sent.
    const std::string_view text = trim_answer(source);
    v.problem = std::string(first_code_points(text, max_problem_code_points));
    filled.push_back(slot::problem);
    return;
  }
  std::string name = name_from_answer(rest);
  if (!name.empty()) {
    v.name = std::move(name);
    filled.push_back(slot::name);
  }
}

void intake_step::revalidate_serial() {
  slot_values& v = conv().values;
  const product* prod = current_product();
  // A corrected model may have another serial format: ask again rather than keep a serial
  // that cannot belong to it.
  if (prod != nullptr && v.serial && !serial_valid(*v.serial, *prod)) v.serial.reset();
}

void intake_step::complain_about(slot awaited) {
  conversation& c = conv();
  ++c.reasks;
  said_something_ = true;
  switch (awaited) {
    case slot::model: {
      params p;
      if (!products_.products.empty()) p.emplace_back("example", products_.products.front().model);
      say("unknown_model", with_offer(std::move(p)));
      break;
    }
    case slot::serial: {
      params p;
      if (const product* prod = current_product()) {
        p.emplace_back("model", prod->model);
        p.emplace_back("prefix", serial_prefix(*prod));
      }
      say("invalid_serial", with_offer(std::move(p)));
      break;
    }
    case slot::purchase_date: say("invalid_date", with_offer({})); break;
    case slot::service_method: say("invalid_service_method", with_offer({})); break;
    case slot::phone: say("invalid_phone", with_offer({})); break;
    case slot::problem: say("ask_problem", with_offer({})); break;
    case slot::name: say("ask_name", with_offer({})); break;
    default: said_something_ = false; break;
  }
}

void intake_step::handle_confirming(const folded_text& folded, const std::string& source, command cmd) {
  conversation& c = conv();
  if (cmd == command::confirm) {
    finish();
    return;
  }
  std::string work = folded.text;
  const std::optional<slot> target = correction_target(folded.text);
  std::vector<slot> filled = extract_all(work, folded, source);
  if (filled.empty() && target) {
    std::optional<std::string>* value = value_of(c.values, *target);
    const std::size_t at = correction_value_at(folded.text, *target);
    if ((*target == slot::problem || *target == slot::name) && at != std::string_view::npos) {
      const std::string_view rest = std::string_view(source).substr(folded.origin[at]);
      if (*target == slot::problem) {
        *value = std::string(first_code_points(trim_answer(rest), max_problem_code_points));
      } else {
        std::string name = name_from_answer(rest);
        if (name.empty()) {
          value->reset();
        } else {
          *value = std::move(name);
        }
      }
    } else {
      // "改一下日期": forget the old answer and ask that question again.
      value->reset();
      if (*target == slot::purchase_date) c.values.purchase_date_approximate = false;
    }
    filled.push_back(*target);
  }
  revalidate_serial();
  if (filled.empty()) {
    if (said_something_) return;  // e.g. a future date: the reply says what is wrong
    ++c.reasks;
    show_summary();
    return;
  }
  c.reasks = 0;
  ask_next();
}

void intake_step::handle_text(const std::string& text) {
  conversation& c = conv();
  const folded_text folded = fold(text);
  const command cmd = detect_command(folded.text);

  switch (cmd) {
    case command::cancel:
      reset_values();
      c.state = "cancelled";
      say("cancelled");
      return;
    case command::restart:
      start_intake();
      greet_ = false;
      say("restarted");
      ask(slot::model);
      return;
    case command::help:
      say("help");
      if (in_intake(c)) ask(c.awaiting == slot::none ? slot::model : c.awaiting);
      return;
    case command::human:
      say("human_handoff");
      return;
    case command::status:
      status_reply(folded.text);
      if (in_intake(c) && c.awaiting != slot::none) ask(c.awaiting);
      return;
    default: break;
  }

  if (!in_intake(c)) start_intake();
  infer_type(folded.text);

  if (c.state == "confirming") {
    handle_confirming(folded, text, cmd);
    return;
  }

  const slot awaited = c.awaiting;
  std::string work = folded.text;
  std::vector<slot> filled = extract_all(work, folded, text);
  take_free_text(awaited, work, folded, text, filled);
  revalidate_serial();

  const bool answered = std::find(filled.begin(), filled.end(), awaited) != filled.end();
  if (answered) {
    c.reasks = 0;
  } else if (awaited != slot::none && filled.empty() && !said_something_) {
    complain_about(awaited);
  }
  ask_next();
}

void intake_step::handle_event() {
  conversation& c = conv();
  const std::string event = lower_ascii(message_.event);
  const std::string key = lower_ascii(message_.event_key);
  if (event == "subscribe") {
    start_intake();
    greet_ = false;
    c.awaiting = slot::model;
    params p;
    if (!products_.products.empty()) p.emplace_back("example", products_.products.front().model);
    say("welcome", std::move(p));
    return;
  }
  if (event == "unsubscribe") {
    // They can no longer read anything we send: end quietly.
    reset_values();
    c.state = "cancelled";
    out_.replies.clear();
    return;
  }
  if (event == "click") {
    if (key == "report_fault") {
      if (!in_intake(c)) start_intake();
      ask(c.awaiting == slot::none ? slot::model : c.awaiting);
      return;
    }
    if (key == "my_tickets" || key == "status") {
      status_reply({});
      return;
    }
  }
  // Other events (menu views, scans, location reports) need no answer.
  out_.replies.clear();
}

outcome intake_step::run() {
  conversation& c = conv();
  if (c.state == "expired" || idle_expired(c, ctx_.now, ctx_.idle_timeout_minutes)) {
    reset_values();
    c.state = "idle";
    say("expired");
  }
  c.last_activity = ctx_.now;

  std::string text = sanitise_utf8(std::string_view(message_.text).substr(0, max_text_bytes));
  if (c.language.empty()) c.language = detect_language(message_.kind == "event" ? "" : text, ctx_.default_language);

  const std::string& kind = message_.kind;
  if (kind == "event") {
    handle_event();
  } else if (kind == "image" || kind == "video" || kind == "voice" || kind == "file" || kind == "location" ||
             !message_.attachments.empty()) {
    if (!in_intake(c)) start_intake();
    for (const attachment& a : message_.attachments) {
      if (c.attachments.size() >= max_attachments) break;
      c.attachments.push_back({sanitise_utf8(a.kind), sanitise_utf8(a.ref)});
    }
    if (kind == "location") {
      say("location_received");
    } else {
      params p;
      const std::string shown = kind == "image" || kind == "video" || kind == "voice" ? kind : "file";
      p.emplace_back(shown, "1");
      say("attachment_received", std::move(p));
    }
    // Voice messages may carry WeChat's speech recognition: that text is an answer too.
    if (kind == "voice" && !trim_answer(text).empty()) {
      handle_text(text);
    } else {
      ask(c.awaiting == slot::none ? slot::model : c.awaiting);
    }
  } else {
    handle_text(text);
  }

  if (safety_first_) out_.replies.insert(out_.replies.begin(), reply{"safety_advice", {}});
  return std::move(out_);
}

}  // namespace

std::string_view to_string(slot s) {
  switch (s) {
    case slot::none: return "null";
    case slot::service_type: return "service_type";
    case slot::model: return "model";
    case slot::serial: return "serial";
    case slot::problem: return "problem";
    case slot::purchase_date: return "purchase_date";
    case slot::service_method: return "service_method";
    case slot::phone: return "phone";
    case slot::name: return "name";
    case slot::confirm: return "confirm";
  }
  return "null";
}

bool idle_expired(const conversation& c, std::int64_t now, int idle_timeout_minutes) {
  if (!in_intake(c) || c.last_activity <= 0 || idle_timeout_minutes <= 0) return false;
  return now - c.last_activity > static_cast<std::int64_t>(idle_timeout_minutes) * 60;
}

std::optional<bool> in_warranty(std::string_view purchase_date, int warranty_months, local_date today) {
  const std::optional<local_date> bought = parse_iso_date(purchase_date);
  if (!bought) return std::nullopt;
  if (warranty_months <= 0) return false;
  using namespace date;
  const year_month_day start = year{bought->year} / month{static_cast<unsigned>(bought->month)} /
                               day{static_cast<unsigned>(bought->day)};
  const year_month_day now = year{today.year} / month{static_cast<unsigned>(today.month)} /
                             day{static_cast<unsigned>(today.day)};
  if (!now.ok()) return std::nullopt;
  // The warranty covers up to, not including, the same day `warranty_months` later.
  const year_month_day target = start + months{warranty_months};
  if (target.ok()) return sys_days{now} < sys_days{target};
  // Jan 31 + 1 month has no such day: the warranty then covers that whole shorter month.
  const year_month_day last{year_month_day_last{target.year(), month_day_last{target.month()}}};
  return sys_days{now} <= sys_days{last};
}

std::vector<std::string_view> template_keys() {
  return {"welcome",        "ask_model",          "which_model",        "unknown_model",
          "ask_serial",     "invalid_serial",     "ask_problem",        "ask_purchase_date",
          "invalid_date",   "future_date",        "ask_service_method", "invalid_service_method",
          "ask_phone",      "invalid_phone",      "ask_name",           "confirm_summary",
          "ticket_created", "cancelled",          "restarted",          "expired",
          "help",           "human_handoff",      "attachment_received", "location_received",
          "safety_advice",  "status_unknown",     "ticket_status",      "generic_retry"};
}

outcome step(const conversation& current, const inbound& message, const context& ctx) {
  try {
    intake_step s(current, message, ctx);
    return s.run();
  } catch (...) {
    // Only resource exhaustion or a bug gets here; keep the state and ask the customer to retry.
    outcome o;
    o.next = current;
    o.next.last_activity = ctx.now;
    o.replies.push_back({"generic_retry", {}});
    return o;
  }
}

}  // namespace dialogs
