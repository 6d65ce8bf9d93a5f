#include "dialogs/intake.hpp"

#include "dialogs/commands.hpp"
#include "dialogs/extract_complaint.hpp"
#include "dialogs/extract_date.hpp"
#include "dialogs/extract_model.hpp"
#include "dialogs/extract_name.hpp"
#include "dialogs/extract_phone.hpp"
#include "dialogs/extract_problem.hpp"
#include "dialogs/extract_requested_date.hpp"
#include "dialogs/extract_serial.hpp"
#include "dialogs/extract_service_method.hpp"
#include "dialogs/extract_service_type.hpp"
#include "dialogs/knowledge.hpp"
#include "dialogs/survey.hpp"
#include "dialogs/text.hpp"

#include <date/date.h>

#include <algorithm>
#include <array>

namespace dialogs {
namespace {

// The order the dialog asks in (product.md's sample conversation, then the name).
constexpr std::array<slot, 7> ask_order{slot::model,          slot::serial, slot::problem, slot::purchase_date,
                                        slot::service_method, slot::phone,  slot::name};
// Emergencies: the engineer has 15 minutes to call back, so the phone comes first; the
// service method is not asked (critical tickets are on-site within 2 hours, product.md).
constexpr std::array<slot, 7> emergency_order{slot::phone,         slot::model,          slot::problem, slot::serial,
                                              slot::purchase_date, slot::service_method, slot::name};

// Extractors read at most this much of a message: enough for any real answer, and it bounds
// the work a pasted novel or a hostile 1 MiB body can cause.
constexpr std::size_t max_text_bytes = 4000;
constexpr std::size_t max_problem_code_points = 1000;
constexpr std::size_t summary_problem_code_points = 60;
constexpr std::size_t max_attachments = 20;
constexpr std::size_t max_model_options = 8;
constexpr std::size_t max_status_tickets = 5;
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
    case slot::complaint_target: return &v.complaint_target;
    case slot::complaint_reason: return &v.complaint_reason;
    default: return nullptr;
  }
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
    case slot::complaint_target: return "ask_complaint_target";
    case slot::complaint_reason: return "ask_complaint_reason";
    case slot::confirm: return "confirm_summary";
    default: return {};
  }
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

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Evidence strong enough to switch a conversation's language mid-way: three Latin words and no
// Chinese for English ("ok" or a name is not enough), two Chinese characters for Chinese.
bool switch_evidence(std::string_view text, std::string_view to) {
  std::size_t cjk = 0, words = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_cjk_at(text, i)) ++cjk;
  }
  if (to == "zh-CN") return cjk >= 2;
  if (cjk > 0) return false;
  for (std::size_t i = 0; i < text.size();) {
    if (!is_ascii_alpha(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    bool digit = false;
    while (j < text.size() && (is_ascii_alnum(text[j]) || text[j] == '\'')) {
      if (is_ascii_digit(text[j])) digit = true;
      ++j;
    }
    if (!digit && j - i >= 2) ++words;
    i = j;
  }
  return words >= 3;
}

// "Try this first" phrases: the customer will test the knowledge-base answer and come back.
bool will_try(std::string_view folded) {
  for (std::string_view w : {"试试", "试一下", "我去试", "先试", "try it", "i'll try", "will try", "let me try",
                             "give it a try", "try that"}) {
    if (find_word(folded, w) != std::string_view::npos) return true;
  }
  return false;
}

// One step's working state: the conversation being changed and the replies so far.
class intake_step {
 public:
  intake_step(const conversation& current, const inbound& message, const context& ctx)
      : ctx_(ctx), products_(ctx.products != nullptr ? *ctx.products : empty_catalog()),
        index_(index_of(products_)), message_(message) {
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
  void update_language(const std::string& text);
  void handle_event();
  void handle_text(const std::string& text);
  bool handle_offer(const folded_text& folded, command cmd);
  bool handle_survey(const std::string& text, const folded_text& folded, command cmd);
  void handle_confirming(const folded_text& folded, const std::string& source, command cmd);
  void collect(const folded_text& folded, const std::string& source);
  void infer_type(std::string_view folded);
  std::vector<slot> extract_all(std::string& work, const folded_text& folded, const std::string& source);
  void take_problem(slot awaited, const std::string& work, const folded_text& folded, const std::string& source,
                    std::vector<slot>& filled);
  void take_free_name(slot awaited, const std::string& work, const folded_text& folded,
                      const std::string& source, std::vector<slot>& filled);
  void ask_which_model(const std::vector<const product*>& options);
  void model_from_serial();
  void revalidate_serial();
  void complain_about(slot awaited);
  bool is_complaint() const { return out_.next.values.service_type == "complaint"; }
  void extract_complaint(std::string& work, slot awaited, std::vector<slot>& filled);
  bool choose_complaint_option(const folded_text& folded, slot awaited);
  bool settle_complaint_target();
  bool complaint_target_needed() const;
  std::vector<slot> complaint_order() const;
  void complaint_params(slot asked, params& p) const;
  std::string numbered(const std::vector<std::string>& labels) const;
  std::string target_label(const std::string& kind, const std::string& target) const;
  bool offer_duplicate();
  bool offer_knowledge();
  void ask_next();
  void ask(slot s);
  void show_summary();
  void finish();
  void deflect(const std::string& knowledge_id);
  void add_to_ticket(const std::string& number);
  void status_reply(std::string_view folded);
  void human_handoff();
  params with_offer(params p) const;

  const context& ctx_;
  const catalog& products_;
  std::shared_ptr<const catalog_index> index_;
  const inbound& message_;
  outcome out_;
  bool greet_ = false;          // this step started the intake: the first question says hello
  bool safety_first_ = false;   // this step found safety words: safety advice goes out first
  bool said_something_ = false; // a which_model / future_date / did-you-mean reply already answered
  bool offered_ = false;        // this step made an offer (kb / duplicate): one per step
  bool took_requested_date_ = false;  // this message named the date the customer wants service by
  std::optional<span> reason_where_;  // where this message named a complaint reason
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
  c.model_options.clear();
  c.offer.clear();
  c.offer_ref.clear();
  c.kb_offered = false;
  c.duplicate_offered = false;
  c.skipped.clear();
  c.knowledge_ids.clear();
  c.location.clear();
  c.human_requested = false;
  c.survey_score.clear();
  c.complaint_options.clear();
}

void intake_step::start_intake() {
  conversation& c = conv();
  reset_values();
  c.state = "collecting";
  c.started_at = ctx_.now;
  c.ticket.clear();
  greet_ = true;
  // On SMS the sender is a phone number; the bot may also know one from the customer record.
  // Offer it as the contact phone (the summary shows it, so the customer can still change it).
  const std::vector<std::string> regions = phone_regions(c.language, ctx_.default_region);
  if (message_.channel == "sms" && !message_.sender.empty()) {
    const folded_text sender = fold(sanitise_utf8(message_.sender));
    if (auto phone = extract_phone(sender.text, regions)) c.values.phone = phone->e164;
  }
  if (!c.values.phone && !ctx_.channel_phone.empty()) {
    const folded_text known = fold(sanitise_utf8(ctx_.channel_phone));
    if (auto phone = extract_phone(known.text, regions)) c.values.phone = phone->e164;
  }
}

void intake_step::update_language(const std::string& text) {
  conversation& c = conv();
  const std::string detected = detect_language(text, "");
  if (!detected.empty()) {
    if (c.language.empty() || !c.language_sure) {
      c.language = detected;
      c.language_sure = true;
    } else if (detected != c.language && c.awaiting != slot::name && switch_evidence(text, detected)) {
      // The customer switched language: answer in theirs from now on (the ticket keeps it too).
      c.language = detected;
    }
  }
  if (c.language.empty()) c.language = ctx_.default_language;
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
  if (s == slot::phone && c.values.service_type == "emergency") p.emplace_back("emergency", "1");
  if (is_complaint() && (s == slot::problem || s == slot::phone || s == slot::name)) p.emplace_back("complaint", "1");
  if (s == slot::complaint_target || s == slot::complaint_reason) complaint_params(s, p);
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
  if (greet_) p.emplace_back("greet", "1");
  greet_ = false;
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
  if (v.requested_date) p.emplace_back("requested_date", *v.requested_date);
  p.emplace_back("phone", v.phone ? mask_phone(*v.phone) : std::string());
  p.emplace_back("name", v.name.value_or(""));
  if (v.service_type && *v.service_type == "emergency") p.emplace_back("emergency", "1");
  if (v.service_type) p.emplace_back("type_" + *v.service_type, "1");
  if (v.priority && (*v.priority == "urgent" || *v.priority == "critical" || *v.priority == "low")) {
    p.emplace_back("priority_" + *v.priority, "1");
  }
  if (v.service_type == "complaint") {
    p.emplace_back("complaint", "1");
    const std::string kind = v.complaint_target_kind.value_or("");
    if (!kind.empty()) p.emplace_back("target_" + kind, "1");
    p.emplace_back("target", target_label(kind, v.complaint_target.value_or("")));
    std::string reason;
    for (const complaint_reason_option& r : ctx_.complaint_reasons) {
      if (v.complaint_reason == r.id) reason = c.language == "en" && !r.label_en.empty() ? r.label_en : r.label_zh;
    }
    if (reason.empty() && v.complaint_reason) reason = *v.complaint_reason;
    p.emplace_back("reason", reason);
  }
  if (c.offer == "kb") p.emplace_back("kb", "1");
  if (c.offer == "duplicate") p.emplace_back("duplicate", "1");
  say("confirm_summary", with_offer(std::move(p)));
}

void intake_step::ask_next() {
  conversation& c = conv();
  const bool emergency = c.values.service_type == "emergency";
  if (emergency && !c.values.service_method) c.values.service_method = "onsite";
  if (!offered_ && offer_duplicate()) offered_ = true;
  if (!offered_ && offer_knowledge()) offered_ = true;
  std::vector<slot> order;
  if (is_complaint()) {
    order = complaint_order();
  } else {
    const auto& fixed = emergency ? emergency_order : ask_order;
    order.assign(fixed.begin(), fixed.end());
  }
  for (slot s : order) {
    if (value_of(c.values, s)->has_value() || contains(c.skipped, to_string(s))) continue;
    c.state = "collecting";
    // An invalid_* / which_model / did-you-mean reply for this very slot already asked again.
    if (said_something_ && c.awaiting == s) return;
    ask(s);
    return;
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
  t.knowledge_ids = c.knowledge_ids;
  t.location = c.location;
  t.human_requested = c.human_requested;
  // A date that went by while the intake waited (over midnight) no longer binds anyone.
  if (const auto wanted = parse_iso_date(v.requested_date.value_or("")); wanted && !after(ctx_.today, *wanted)) {
    t.requested_date = *v.requested_date;
  }
  if (t.type == "complaint") {
    t.complaint_target_kind = v.complaint_target_kind.value_or("");
    t.complaint_target = v.complaint_target.value_or("");
    t.complaint_reason = v.complaint_reason.value_or("");
  }
  out_.ticket = std::move(t);
  c.state = "completed";
  c.awaiting = slot::none;
  c.reasks = 0;
  c.offer.clear();
  c.offer_ref.clear();
  // The bot fills ticket_number once the ticket exists (intake.hpp, outcome::replies).
  params p{{"ticket_number", ""}};
  if (v.service_type == "emergency") p.emplace_back("emergency", "1");
  if (v.service_type == "complaint") p.emplace_back("complaint", "1");
  say("ticket_created", std::move(p));
}

void intake_step::deflect(const std::string& knowledge_id) {
  conversation& c = conv();
  out_.deflected = true;
  out_.knowledge_id = knowledge_id;
  reset_values();
  c.state = "deflected";
  say("kb_resolved");
}

void intake_step::add_to_ticket(const std::string& number) {
  conversation& c = conv();
  ticket_addition a;
  a.ticket = number;
  a.note = c.values.problem.value_or("");
  a.phone = c.values.phone.value_or("");
  a.attachments = c.attachments;
  out_.addition = std::move(a);
  reset_values();
  c.state = "completed";
  c.ticket = number;
  say("duplicate_added", {{"ticket_number", number}});
}

void intake_step::status_reply(std::string_view folded) {
  const std::string number = find_ticket_number(folded);
  auto describe = [&](const ticket_summary& t) {
    params p{{"ticket_number", t.number}};
    if (!t.stage.empty()) p.emplace_back("stage_" + t.stage, "1");
    if (!t.model.empty()) p.emplace_back("model", t.model);
    if (!t.created.empty()) p.emplace_back("created", t.created);
    say("ticket_status", std::move(p));
  };
  if (!number.empty()) {
    for (const ticket_summary& t : ctx_.open_tickets) {
      if (t.number == number) {
        describe(t);
        return;
      }
    }
    say("ticket_status", {{"ticket_number", number}});
    return;
  }
  if (ctx_.open_tickets.size() == 1) {
    describe(ctx_.open_tickets.front());
    return;
  }
  if (ctx_.open_tickets.size() > 1) {
    std::string list;
    const bool zh = conv().language != "en";
    for (std::size_t k = 0; k < ctx_.open_tickets.size() && k < max_status_tickets; ++k) {
      const ticket_summary& t = ctx_.open_tickets[k];
      if (k > 0) list += zh ? "、" : ", ";
      list += t.number;
      if (!t.model.empty()) list += zh ? "(" + t.model + ")" : " (" + t.model + ")";
    }
    say("ticket_status_list", {{"tickets", list}, {"count", std::to_string(ctx_.open_tickets.size())}});
    return;
  }
  if (!conv().ticket.empty()) {
    say("ticket_status", {{"ticket_number", conv().ticket}});
  } else {
    say("status_unknown");
  }
}

void intake_step::human_handoff() {
  conversation& c = conv();
  out_.human_requested = true;
  c.human_requested = true;
  params p;
  if (ctx_.human_wait_minutes > 0) p.emplace_back("wait_minutes", std::to_string(ctx_.human_wait_minutes));
  if (!c.ticket.empty()) p.emplace_back("ticket_number", c.ticket);
  const bool resume = in_intake(c) && c.awaiting != slot::none;
  if (resume) p.emplace_back("resume", "1");
  say("human_handoff", std::move(p));
  // Until a person picks it up, the intake goes on where it was.
  if (resume) ask(c.awaiting);
}

void intake_step::infer_type(std::string_view folded) {
  slot_values& v = conv().values;
  const service_type_hint hint = infer_service_type(folded);
  if (hint.type == "emergency") {
    if (v.service_type != "emergency") safety_first_ = true;
    v.service_type = "emergency";
  } else if (!hint.type.empty() && v.service_type != "emergency") {
    // A specific type (installation, return, ...) refines a plain repair, never the reverse;
    // remote help asked for in a fault report is the service method, not the type.
    if (!v.service_type || (*v.service_type == "repair" && hint.type != "repair" && hint.type != "remote")) {
      v.service_type = hint.type;
    }
  }
  if (hint.priority == "critical" || v.service_type == "emergency") {
    v.priority = "critical";
  } else if (hint.priority == "urgent" && v.priority != "critical") {
    v.priority = "urgent";
  } else if (hint.priority == "low" && !v.priority) {
    v.priority = "low";
  }
}

void intake_step::ask_which_model(const std::vector<const product*>& options) {
  conversation& c = conv();
  std::string text;
  const bool zh = c.language != "en";
  c.model_options.clear();
  for (std::size_t k = 0; k < options.size() && k < max_model_options; ++k) {
    const product* p = options[k];
    if (k > 0) text += zh ? "、" : ", ";
    text += std::to_string(k + 1) + ". " + p->model;
    const std::string& label = zh || p->name_en.empty() ? p->name : p->name_en;
    if (!label.empty()) text += zh ? "(" + label + ")" : " (" + label + ")";
    c.model_options.push_back(p->model);
  }
  params p;
  if (greet_) p.emplace_back("greet", "1");
  greet_ = false;
  p.emplace_back("options", text);
  say("which_model", std::move(p));
  if (c.awaiting != slot::model) c.reasks = 0;
  c.awaiting = slot::model;
  said_something_ = true;
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

  // Complaint targets and reasons first: "李工" or "客服部" must not be read as a name or a problem.
  extract_complaint(work, awaited, filled);

  // The date the customer wants the service by, volunteered in any message ("希望明天上门"):
  // before the purchase date, so "请在11月28日前上门" is not read as one. Not for complaints
  // ("说好周六上门的" recounts what went wrong).
  if (!is_complaint()) {
    if (auto m = extract_requested_date(work, ctx_.today, c.language)) {
      v.requested_date = format_date(m->date);
      took_requested_date_ = true;
      mask(m->where);
    }
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
            c.model_options.clear();
            filled.push_back(slot::model);
          }
          mask(m->where);
        } else if (!v.model || awaited == slot::model) {
          // A serial in the same message may already tell which of them it is.
          std::vector<const product*> options = m->products;
          if (auto serial = extract_serial(work, products_, nullptr)) {
            std::vector<const product*> fits;
            for (const product* p : options) {
              if (serial_valid(serial->serial, *p)) fits.push_back(p);
            }
            if (!fits.empty()) options = fits;
          }
          if (options.size() == 1) {
            v.model = options.front()->model;
            c.model_options.clear();
            filled.push_back(slot::model);
          } else {
            std::vector<std::string> models;
            for (const product* p : options) models.push_back(p->model);
            c.model_options = models;  // asked at the end of the step, once the rest is read
          }
          mask(m->where);
        } else {
          mask(m->where);
        }
        break;
      }
      case slot::serial: {
        if (auto m = extract_serial(work, products_, current_product())) {
          v.serial = m->serial;
          filled.push_back(slot::serial);
          mask(m->where);
        } else if (awaited == slot::serial) {
          // Not valid as typed: a plausible typo gets "did you mean", not a flat rejection.
          if (auto fix = suggest_serial(work, products_, current_product())) {
            c.offer = "serial";
            c.offer_ref = fix->serial;
            mask(fix->where);
            ++c.reasks;
            say("serial_did_you_mean", {{"serial", fix->serial}});
            said_something_ = true;
          }
        }
        break;
      }
      case slot::purchase_date: {
        // Inside a fault description a date is more likely when the fault began; take it as
        // the purchase date only when the customer says so.
        if (awaited != slot::purchase_date && awaited != slot::none && awaited != slot::model &&
            awaited != slot::serial && awaited != slot::confirm) {
          bool cue = false;
          for (std::string_view w : {"买", "购", "入手", "bought", "purchase", "purchased", "got it"}) {
            cue = cue || find_word(work, w) != std::string_view::npos;
          }
          if (!cue) break;
        }
        auto m = extract_date(work, ctx_.today, c.language);
        if (!m) break;
        // Relative dates in a first message ("昨天开始漏水") say when the fault began unless a
        // purchase word is there.
        if (awaited != slot::purchase_date) {
          bool cue = false;
          for (std::string_view w : {"买", "购", "入手", "bought", "purchase", "purchased", "got it", "since"}) {
            cue = cue || find_word(work, w) != std::string_view::npos;
          }
          const std::string_view said = std::string_view(work).substr(m->where.begin, m->where.end - m->where.begin);
          const bool relative_short = said.find("天") != std::string_view::npos ||
                                      said.find("周") != std::string_view::npos ||
                                      said.find("day") != std::string_view::npos ||
                                      said.find("week") != std::string_view::npos;
          if (!cue && relative_short) break;
        }
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
        // "师傅上门迟到" in a complaint is no request for a visit.
        if (is_complaint()) break;
        if (auto m = extract_service_method(work, awaited == slot::service_method)) {
          v.service_method = m->method;
          filled.push_back(slot::service_method);
          mask(m->where);
        }
        break;
      }
      case slot::name: {
        std::optional<name_match> m = extract_name(work);
        if (m) {
          const std::size_t from = folded.origin[m->value.begin], to = folded.origin[m->value.end];
          m->name = name_from_answer(std::string_view(source).substr(from, to - from));
        } else {
          m = extract_name_in_passing(work, folded, source);
        }
        if (m && !m->name.empty()) {
          v.name = m->name;
          filled.push_back(slot::name);
          mask(m->where);
        }
        break;
      }
      default: break;
    }
  }
  return filled;
}

void intake_step::take_problem(slot awaited, const std::string& work, const folded_text& folded,
                               const std::string& source, std::vector<slot>& filled) {
  slot_values& v = conv().values;
  if (awaited == slot::name || awaited == slot::confirm) return;
  if (awaited == slot::problem) {
    std::string described = extract_problem(work, folded, source, *index_, false);
    if (described.empty()) {
      // Whatever they answered to "what is the problem" is the problem ("坏了", "不知道").
      std::string rest;
      for (char ch : work) {
        if (ch != masked_byte) rest += ch;
      }
      if (!has_letter(rest)) return;
      described = std::string(trim_answer(source));
    }
    v.problem = std::string(first_code_points(described, max_problem_code_points));
    filled.push_back(slot::problem);
    return;
  }
  // Before the problem question, a description in an answer is the problem; after it, only
  // clauses that name a symptom are added ("SN5612345,而且还漏水").
  // In a first message any description counts; while answering the model or serial question
  // only a symptom does ("在哪里?" is a question about the serial, not the problem).
  const bool early = !v.problem && awaited == slot::none;
  const std::string described = extract_problem(work, folded, source, *index_, !early);
  if (described.empty()) return;
  if (reason_where_) {
    // A complaint reason alone ("投诉你们售后,乱收费") does not describe what happened: the
    // supervisor needs that, so the description is still asked.
    std::string without_reason = work;
    for (std::size_t i = reason_where_->begin; i < reason_where_->end && i < work.size(); ++i) {
      without_reason[i] = masked_byte;
    }
    if (extract_problem(without_reason, folded, source, *index_, !early).empty()) return;
  }
  if (!v.problem) {
    v.problem = std::string(first_code_points(described, max_problem_code_points));
    filled.push_back(slot::problem);
  } else if (v.problem->find(described) == std::string::npos) {
    const bool zh = conv().language != "en";
    v.problem = std::string(first_code_points(*v.problem + (zh ? "；" : "; ") + described, max_problem_code_points));
  }
}

void intake_step::take_free_name(slot awaited, const std::string& work, const folded_text& folded,
                                 const std::string& source, std::vector<slot>& filled) {
  // A message that answered something else ("不对,电话是139...") has no name in its leftovers.
  if (awaited != slot::name || !filled.empty()) return;
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
  std::string name = name_from_answer(rest);
  if (!name.empty()) {
    conv().values.name = std::move(name);
    filled.push_back(slot::name);
  }
}

void intake_step::model_from_serial() {
  conversation& c = conv();
  slot_values& v = c.values;
  if (v.model || !v.serial) return;
  // A serial's prefix often identifies the product ("KT..." is the air conditioner).
  std::vector<const product*> fits = products_for_serial(*v.serial, products_);
  if (!c.model_options.empty()) {
    std::vector<const product*> narrowed;
    for (const product* p : fits) {
      if (contains(c.model_options, p->model)) narrowed.push_back(p);
    }
    fits = narrowed;
  }
  if (fits.size() == 1) {
    v.model = fits.front()->model;
    c.model_options.clear();
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
    case slot::problem: {
      params p;
      if (is_complaint()) p.emplace_back("complaint", "1");
      say("ask_problem", with_offer(std::move(p)));
      break;
    }
    case slot::name: say("ask_name", with_offer({})); break;
    case slot::complaint_target:
    case slot::complaint_reason: {
      params p;
      complaint_params(awaited, p);
      say(awaited == slot::complaint_target ? "invalid_complaint_target" : "invalid_complaint_reason",
          with_offer(std::move(p)));
      break;
    }
    default: said_something_ = false; break;
  }
}

// Complaints (service type "complaint") ask for whom or what, and why, instead of the product
// details a repair needs.

std::string intake_step::numbered(const std::vector<std::string>& labels) const {
  const bool zh = out_.next.language != "en";
  std::string text;
  for (std::size_t k = 0; k < labels.size(); ++k) {
    if (k > 0) text += zh ? "、" : ", ";
    text += std::to_string(k + 1) + ". " + labels[k];
  }
  return text;
}

std::string intake_step::target_label(const std::string& kind, const std::string& target) const {
  if (kind == "engineer") {
    for (const staff_name& e : ctx_.engineers) {
      if (e.id == target) return e.name;
    }
  }
  return target;
}

void intake_step::complaint_params(slot asked, params& p) const {
  const conversation& c = out_.next;
  const slot_values& v = c.values;
  if (asked == slot::complaint_reason) {
    std::vector<std::string> labels;
    for (const complaint_reason_option& r : ctx_.complaint_reasons) {
      labels.push_back(c.language == "en" && !r.label_en.empty() ? r.label_en : r.label_zh);
    }
    p.emplace_back("options", numbered(labels));
    return;
  }
  if (v.complaint_target_kind) p.emplace_back("kind_" + *v.complaint_target_kind, "1");
  if (!c.complaint_options.empty()) {
    std::vector<std::string> labels;
    for (const std::string& o : c.complaint_options) labels.push_back(target_label(v.complaint_target_kind.value_or(""), o));
    p.emplace_back("options", numbered(labels));
  }
}

void intake_step::extract_complaint(std::string& work, slot awaited, std::vector<slot>& filled) {
  conversation& c = conv();
  slot_values& v = c.values;
  if (v.service_type != "complaint") return;
  auto mask = [&](span where) {
    for (std::size_t i = where.begin; i < where.end && i < work.size(); ++i) work[i] = masked_byte;
  };
  for (span s : complaint_word_spans(work)) mask(s);
  // A later mention replaces a target only when the customer answers that question or corrects
  // the summary; inside a description ("客服让我找售后") it does not.
  const bool replace_target = !v.complaint_target || awaited == slot::complaint_target || awaited == slot::confirm;
  if (auto t = extract_complaint_target(work, ctx_.engineers, ctx_.departments)) {
    // Masked only when taken: "送货" in a later description is part of that description.
    if (replace_target) mask(t->where);
    if (replace_target && !t->target.empty()) {
      v.complaint_target_kind = t->kind;
      v.complaint_target = t->target;
      c.complaint_options.clear();
      filled.push_back(slot::complaint_target);
    } else if (replace_target && !t->options.empty()) {
      // "李工" and there are two: ask which, with their names.
      v.complaint_target_kind = t->kind;
      v.complaint_target.reset();
      c.complaint_options = t->options;
      filled.push_back(slot::complaint_target);
    } else if (replace_target && (!v.complaint_target_kind || awaited == slot::complaint_target ||
                                  awaited == slot::confirm)) {
      // The kind alone ("师傅", "产品"): the next question asks which one.
      if (v.complaint_target_kind != t->kind) {
        v.complaint_target.reset();
        c.complaint_options.clear();
      }
      v.complaint_target_kind = t->kind;
      if (t->kind == "department" && !ctx_.departments.empty()) c.complaint_options = ctx_.departments;
      filled.push_back(slot::complaint_target);
    }
  }
  if (ctx_.complaint_reasons.empty()) return;
  if (v.complaint_reason && awaited != slot::complaint_reason && awaited != slot::confirm) return;
  if (auto r = extract_complaint_reason(work, ctx_.complaint_reasons)) {
    v.complaint_reason = r->id;
    filled.push_back(slot::complaint_reason);
    // Left in the text (the description keeps the customer's words), but remembered: a reason
    // word alone ("乱收费", "态度差") is no description (take_problem).
    reason_where_ = r->where;
    return;
  }
  if (awaited != slot::complaint_reason) return;
  // An answer that fits no listed reason goes to "other" when there is one.
  std::string rest;
  for (char ch : work) {
    if (ch != masked_byte) rest += ch;
  }
  if (!has_letter(rest) || says_unknown(work)) return;
  for (const complaint_reason_option& r : ctx_.complaint_reasons) {
    if (r.id == "other") {
      v.complaint_reason = r.id;
      filled.push_back(slot::complaint_reason);
      return;
    }
  }
}

bool intake_step::choose_complaint_option(const folded_text& folded, slot awaited) {
  conversation& c = conv();
  slot_values& v = c.values;
  if (!is_complaint()) return false;
  if (awaited == slot::complaint_reason && !ctx_.complaint_reasons.empty()) {
    const int choice = option_choice(folded.text);
    if (choice < 1 || static_cast<std::size_t>(choice) > ctx_.complaint_reasons.size()) return false;
    v.complaint_reason = ctx_.complaint_reasons[static_cast<std::size_t>(choice) - 1].id;
    return true;
  }
  if (awaited == slot::complaint_target && !c.complaint_options.empty() && v.complaint_target_kind) {
    const int choice = option_choice(folded.text);
    if (choice < 1 || static_cast<std::size_t>(choice) > c.complaint_options.size()) return false;
    v.complaint_target = c.complaint_options[static_cast<std::size_t>(choice) - 1];
    c.complaint_options.clear();
    return true;
  }
  return false;
}

bool intake_step::settle_complaint_target() {
  slot_values& v = conv().values;
  if (!is_complaint() || !v.model) return false;
  // A complaint naming only a product ("ABC-2000 老是坏,我要投诉") is about that product; a
  // corrected model moves the target with it.
  if (v.complaint_target_kind && *v.complaint_target_kind != "product") return false;
  if (v.complaint_target_kind == "product" && v.complaint_target == v.model) return false;
  v.complaint_target_kind = "product";
  v.complaint_target = v.model;
  conv().complaint_options.clear();
  return true;
}

bool intake_step::complaint_target_needed() const {
  const conversation& c = out_.next;
  const slot_values& v = c.values;
  if (v.complaint_target || contains(c.skipped, to_string(slot::complaint_target))) return false;
  // Nothing configured to choose from: the kind is all there is to know.
  if (v.complaint_target_kind == "department" && ctx_.departments.empty()) return false;
  if (v.complaint_target_kind == "engineer" && ctx_.engineers.empty()) return false;
  return true;
}

std::vector<slot> intake_step::complaint_order() const {
  const conversation& c = out_.next;
  const slot_values& v = c.values;
  std::vector<slot> order;
  // "产品" without a model: the model question is how the product is named.
  if (v.complaint_target_kind == "product" && complaint_target_needed()) order.push_back(slot::model);
  if (complaint_target_needed()) order.push_back(slot::complaint_target);
  if (!ctx_.complaint_reasons.empty()) order.push_back(slot::complaint_reason);
  for (slot s : {slot::problem, slot::phone, slot::name}) order.push_back(s);
  return order;
}

bool intake_step::offer_duplicate() {
  conversation& c = conv();
  const slot_values& v = c.values;
  if (c.duplicate_offered || ctx_.open_tickets.empty() || (!v.serial && !v.model)) return false;
  // A complaint is a ticket of its own, even about a product with an open repair.
  if (v.service_type == "complaint") return false;
  for (const ticket_summary& t : ctx_.open_tickets) {
    const bool same_serial = v.serial && !t.serial.empty() && normalise_code(t.serial) == *v.serial;
    // Same customer (the bot passes this customer's tickets) and same product.
    const bool same_model = v.model && !t.model.empty() && products_.find_model(t.model) == current_product() &&
                            (!v.serial || t.serial.empty());
    if (!same_serial && !same_model) continue;
    c.duplicate_offered = true;
    c.offer = "duplicate";
    c.offer_ref = t.number;
    params p{{"ticket_number", t.number}};
    if (!t.model.empty()) p.emplace_back("model", t.model);
    if (!t.created.empty()) p.emplace_back("created", t.created);
    if (!t.stage.empty()) p.emplace_back("stage_" + t.stage, "1");
    say("duplicate_found", std::move(p));
    return true;
  }
  return false;
}

bool intake_step::offer_knowledge() {
  conversation& c = conv();
  const slot_values& v = c.values;
  if (!v.problem || products_.knowledge.empty()) return false;
  const std::vector<const knowledge_entry*> found = match_knowledge(fold_plain(*v.problem), current_product(), products_);
  c.knowledge_ids.clear();
  for (const knowledge_entry* e : found) c.knowledge_ids.push_back(e->id);
  if (c.kb_offered) return false;
  // Self-service fits faults and questions, never a safety case or a request for a service.
  const std::string type = v.service_type.value_or("repair");
  if (type != "repair" && type != "usage") return false;
  for (const knowledge_entry* e : found) {
    if (!e->self_service || e->solution.empty()) continue;
    c.kb_offered = true;
    c.offer = "kb";
    c.offer_ref = e->id;
    params p{{"solution", e->solution}, {"symptom", e->symptom}, {"knowledge_id", e->id}};
    if (!e->cause.empty()) p.emplace_back("cause", e->cause);
    say("kb_offer", std::move(p));
    return true;
  }
  return false;
}

bool intake_step::handle_offer(const folded_text& folded, command cmd) {
  conversation& c = conv();
  const std::string offer = c.offer, ref = c.offer_ref;
  c.offer.clear();
  c.offer_ref.clear();
  const bool at_summary = c.state == "confirming";
  const offer_answer answer = read_offer_answer(folded.text, offer, at_summary);
  if (offer == "kb") {
    if (answer == offer_answer::yes) {
      deflect(ref);
      return true;
    }
    if (answer == offer_answer::no) {
      say("kb_not_resolved");
      if (at_summary) {
        show_summary();
      } else {
        ask_next();
      }
      return true;
    }
    if (cmd == command::none && will_try(folded.text)) {
      c.offer = offer;  // still open: they will tell us after trying
      c.offer_ref = ref;
      say("kb_wait");
      return true;
    }
    return false;
  }
  if (offer == "duplicate") {
    if (answer == offer_answer::yes && in_intake(c)) {
      add_to_ticket(ref);
      return true;
    }
    if (answer == offer_answer::no) {
      if (at_summary) {
        show_summary();
      } else {
        ask_next();
      }
      return true;
    }
    return false;
  }
  if (offer == "serial" && c.awaiting == slot::serial) {
    if (answer == offer_answer::yes) {
      c.values.serial = ref;
      c.reasks = 0;
      model_from_serial();
      ask_next();
      return true;
    }
    if (answer == offer_answer::no) {
      ask(slot::serial);
      return true;
    }
  }
  return false;
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
  if (!c.model_options.empty() && !c.values.model) {
    // unreachable in practice: the summary has a model; keep the state consistent anyway
    c.model_options.clear();
  }
  if (target && std::find(filled.begin(), filled.end(), *target) == filled.end()) {
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
    } else if (filled.empty() && value != nullptr) {
      // "改一下日期": forget the old answer and ask that question again.
      value->reset();
      if (*target == slot::purchase_date) c.values.purchase_date_approximate = false;
      if (*target == slot::complaint_target) {
        c.values.complaint_target_kind.reset();
        c.complaint_options.clear();
      }
      const std::string name(to_string(*target));
      c.skipped.erase(std::remove(c.skipped.begin(), c.skipped.end(), name), c.skipped.end());
    }
    filled.push_back(*target);
  }
  revalidate_serial();
  if (settle_complaint_target()) filled.push_back(slot::complaint_target);
  if (filled.empty()) {
    if (said_something_) return;  // e.g. a future date: the reply says what is wrong
    // A requested date at the summary ("周六来可以吗") is an answer: the summary shows it.
    if (!took_requested_date_) ++c.reasks;
    show_summary();
    return;
  }
  c.reasks = 0;
  ask_next();
}

void intake_step::collect(const folded_text& folded, const std::string& source) {
  conversation& c = conv();
  const slot awaited = c.awaiting;
  std::vector<slot> filled;
  std::string work = folded.text;

  // "1" / "第二个" / "the first one" after a which_model list.
  if (awaited == slot::model && !c.model_options.empty()) {
    const int choice = option_choice(folded.text);
    if (choice >= 1 && static_cast<std::size_t>(choice) <= c.model_options.size()) {
      c.values.model = c.model_options[static_cast<std::size_t>(choice) - 1];
      c.model_options.clear();
      filled.push_back(slot::model);
      work.assign(work.size(), masked_byte);
    }
  }

  // "2" / "第一个" after ask_complaint_reason (or a list of engineers / departments).
  if (choose_complaint_option(folded, awaited)) {
    filled.push_back(awaited);
    work.assign(work.size(), masked_byte);
  }

  std::vector<slot> extracted = extract_all(work, folded, source);
  filled.insert(filled.end(), extracted.begin(), extracted.end());
  take_problem(awaited, work, folded, source, filled);
  take_free_name(awaited, work, folded, source, filled);
  revalidate_serial();
  model_from_serial();
  if (settle_complaint_target()) filled.push_back(slot::complaint_target);

  // "找不到序列号" / "不记得了": go on without it rather than ask forever.
  const bool answered = std::find(filled.begin(), filled.end(), awaited) != filled.end();
  if (!answered &&
      (awaited == slot::serial || awaited == slot::purchase_date || awaited == slot::name ||
       awaited == slot::complaint_target || awaited == slot::complaint_reason) &&
      says_unknown(folded.text) && c.offer.empty()) {
    c.skipped.emplace_back(to_string(awaited));
    filled.push_back(awaited);
  }

  if (std::find(filled.begin(), filled.end(), awaited) != filled.end()) {
    c.reasks = 0;
  } else if (awaited != slot::none && filled.empty() && !said_something_ && !took_requested_date_) {
    // (Only a requested date: the question is simply asked again, not called a wrong answer.)
    complain_about(awaited);
  }
  // A complaint about a person or a department does not need the product.
  if (is_complaint() && c.values.complaint_target_kind && *c.values.complaint_target_kind != "product") {
    c.model_options.clear();
  }
  // Several products fit the name: ask which, unless the model is known by now.
  if (!c.values.model && !c.model_options.empty() && !said_something_) {
    std::vector<const product*> options;
    for (const std::string& m : c.model_options) {
      if (const product* p = products_.find_model(m)) options.push_back(p);
    }
    if (options.size() > 1) {
      // Offers (duplicates, knowledge) wait for the model; the question goes out now.
      ask_which_model(options);
      return;
    }
  }
  ask_next();
}

bool intake_step::handle_survey(const std::string& text, const folded_text& folded, command cmd) {
  conversation& c = conv();
  if (cmd == command::human) {
    human_handoff();
    return true;
  }
  if (cmd == command::status) {
    status_reply(folded.text);
    return true;
  }
  if (cmd == command::help) {
    say("help");
    say("survey_unclear");
    return true;
  }
  auto leave = [&] {
    c.state = "idle";
    c.awaiting = slot::none;
    c.survey_score.clear();
    c.reasks = 0;
    return false;
  };
  if (cmd == command::cancel || cmd == command::restart) return leave();
  // A new fault report is not a rating: leave the survey and take the report.
  const service_type_hint hint = infer_service_type(folded.text);
  const bool new_report = !hint.type.empty() || extract_model(folded.text, products_, false).has_value();

  if (c.awaiting == slot::survey_comment) {
    const std::string_view comment = trim_answer(text);
    if (comment.empty() || (new_report && hint.type != "complaint")) return leave();
    out_.survey = survey_result{c.ticket, c.survey_score, std::string(first_code_points(comment, max_problem_code_points)),
                                std::nullopt};
    c.state = "completed";
    c.awaiting = slot::none;
    say("survey_thanks", {{"comment", "1"}, {"score_" + c.survey_score, "1"}});
    return true;
  }

  const survey_reply r = parse_survey_reply(text, c.language);
  if (r.score == survey_score::satisfied || r.score == survey_score::neutral ||
      r.score == survey_score::dissatisfied) {
    const std::string score(to_string(r.score));
    out_.survey = survey_result{c.ticket, score, r.comment, r.stars};
    c.survey_score = score;
    c.reasks = 0;
    if (r.comment.empty() && r.score != survey_score::satisfied) {
      // Neutral or dissatisfied without a reason: ask what went wrong (a supervisor follows up).
      c.awaiting = slot::survey_comment;
      say("survey_ask_comment", {{"score_" + score, "1"}});
    } else {
      c.state = "completed";
      c.awaiting = slot::none;
      params p{{"score_" + score, "1"}};
      if (!r.comment.empty()) p.emplace_back("comment", "1");
      say("survey_thanks", std::move(p));
    }
    return true;
  }
  if (new_report) return leave();
  // Unclear or unrelated: asked once more, then the message is handled as a new conversation.
  if (c.reasks == 0) {
    c.reasks = 1;
    say("survey_unclear", r.score == survey_score::ambiguous ? params{{"ambiguous", "1"}} : params{});
    return true;
  }
  return leave();
}

void intake_step::handle_text(const std::string& text) {
  conversation& c = conv();
  const folded_text folded = fold(text);
  const command cmd = detect_command(folded.text);

  if (c.state == "survey" && handle_survey(text, folded, cmd)) return;
  if (!c.offer.empty() && in_intake(c) && handle_offer(folded, cmd)) return;
  c.offer.clear();
  c.offer_ref.clear();

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
      human_handoff();
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
  collect(folded, text);
}

void intake_step::handle_event() {
  conversation& c = conv();
  const std::string event = lower_ascii(message_.event);
  const std::string key = lower_ascii(message_.event_key);
  if (event == "subscribe") {
    start_intake();
    greet_ = false;
    params p;
    if (!products_.products.empty()) p.emplace_back("example", products_.products.front().model);
    say("welcome", std::move(p));
    // The welcome says hello; the first question follows so the customer knows what to send.
    ask(slot::model);
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
  if (message_.kind != "event") update_language(text);
  if (c.language.empty()) c.language = ctx_.default_language;

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
      c.location = std::string(first_code_points(trim_answer(text), 200));
      say("location_received");
    } else {
      params p;
      const std::string shown = kind == "image" || kind == "video" || kind == "voice" ? kind : "file";
      p.emplace_back(shown, "1");
      say("attachment_received", std::move(p));
    }
    // Voice messages may carry WeChat's speech recognition, and a photo a caption: that text
    // is an answer too.
    if (kind != "location" && !trim_answer(text).empty()) {
      handle_text(text);
    } else if (c.state == "confirming") {
      show_summary();
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
    case slot::survey_score: return "survey_score";
    case slot::survey_comment: return "survey_comment";
    case slot::complaint_target: return "complaint_target";
    case slot::complaint_reason: return "complaint_reason";
  }
  return "null";
}

conversation await_survey(const conversation& current, std::string ticket_number, std::int64_t now) {
  conversation c;
  c.language = current.language;
  c.language_sure = current.language_sure;
  c.state = "survey";
  c.awaiting = slot::survey_score;
  c.ticket = sanitise_utf8(ticket_number);
  c.started_at = now;
  c.last_activity = now;
  return c;
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
          "safety_advice",  "status_unknown",     "ticket_status",      "generic_retry",
          "ticket_status_list", "serial_did_you_mean", "kb_offer",        "kb_resolved",
          "kb_not_resolved", "kb_wait",           "duplicate_found",    "duplicate_added",
          "survey_thanks",  "survey_ask_comment", "survey_unclear",     "ask_complaint_target",
          "invalid_complaint_target", "ask_complaint_reason", "invalid_complaint_reason"};
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
