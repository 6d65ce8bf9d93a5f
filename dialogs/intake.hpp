#pragma once
// The intake dialog: a pure function of (conversation state, inbound message, context)
// → (new state, replies, ticket to open). No I/O, no clock reads, no exceptions.

#include "dialogs/catalog.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dialogs {

// What the dialog is waiting for; names are the contract's `awaiting` values.
enum class slot {
  none, service_type, model, serial, problem, purchase_date, service_method, phone, name, confirm,
  survey_score, survey_comment,
  complaint_target, complaint_reason,  // complaints only (service_type "complaint")
};
std::string_view to_string(slot s);  // "model", ..., "survey_score", "complaint_target", "null" for none

struct attachment {
  std::string kind;  // image | voice | video | file
  std::string ref;
};

// Values collected so far. Unset: std::nullopt.
struct slot_values {
  std::optional<std::string> service_type;    // repair|usage|complaint|return|installation|value_added|emergency|remote
  std::optional<std::string> priority;        // low|normal|urgent|critical
  std::optional<std::string> model;           // catalog model, canonical spelling
  std::optional<std::string> serial;          // normalised serial
  std::optional<std::string> problem;
  std::optional<std::string> purchase_date;   // YYYY-MM-DD
  bool purchase_date_approximate = false;     // month-only answers
  std::optional<std::string> service_method;  // remote|onsite|carry_in
  std::optional<std::string> phone;           // E.164
  std::optional<std::string> name;
  // Complaints (service_type "complaint"): whom or what the customer complains about, and why.
  std::optional<std::string> complaint_target_kind;  // product | department | engineer
  std::optional<std::string> complaint_target;  // catalog model | department name (as configured) | staff id
  std::optional<std::string> complaint_reason;  // reason id from context
  // The date the customer wants the service by (YYYY-MM-DD), when they volunteered one ("希望
  // 明天上门", "by Friday"); never asked for (dialogs/extract_requested_date.hpp).
  std::optional<std::string> requested_date;
};

// Everything the dialog remembers between messages; stored as JSON by the bot.
struct conversation {
  // idle | collecting | confirming | completed | cancelled | expired | deflected (a knowledge
  // base answer solved it, no ticket) | survey (the bot set it: a ticket awaits a rating)
  std::string state = "idle";
  slot awaiting = slot::none;
  std::string language;        // zh-CN | en; empty until detected
  bool language_sure = false;  // detected from the customer's words (not the default)
  slot_values values;
  std::vector<attachment> attachments;
  std::int64_t started_at = 0;     // Unix seconds of the first message of this intake
  std::int64_t last_activity = 0;  // Unix seconds of the last inbound message
  int reasks = 0;                  // consecutive invalid answers for `awaiting`
  // Number of the ticket this intake opened (or added to), once there is one. In state
  // "survey": the ticket being rated (the bot sets it).
  std::string ticket;

  // Models offered by the last which_model question, in order, so "1" / "第二个" picks one.
  std::vector<std::string> model_options;
  // A question the last reply asked besides the slot question: "" | "kb" (did this solution
  // help?) | "duplicate" (add to the open ticket `offer_ref`?) | "serial" (did you mean
  // `offer_ref`?). The next message may answer it or simply go on with the intake.
  std::string offer;
  std::string offer_ref;
  bool kb_offered = false;          // a self-service answer was offered in this intake
  bool duplicate_offered = false;   // an open ticket was offered in this intake
  std::vector<std::string> skipped; // slots the customer cannot give ("serial", "purchase_date", "name")
  std::vector<std::string> knowledge_ids;  // knowledge entries matching the problem (for engineers)
  std::string location;             // label of a location message, if any
  bool human_requested = false;     // the customer asked for a person during this intake
  std::string survey_score;         // state "survey": the score already given (for a later comment)
  // Complaint targets offered by the last ask_complaint_target question, in order (staff ids
  // when a surname fits several engineers, department names when the department is asked), so
  // "1" / "第二个" picks one.
  std::vector<std::string> complaint_options;

  // JSON text of this state (stable field names, used by the store and the API).
  std::string to_json() const;
  // Parses to_json() output; nullopt on malformed or foreign JSON (never throws).
  static std::optional<conversation> from_json(std::string_view json);
};

// A customer's message in the dialog's own terms.
struct inbound {
  std::string channel;   // wechat | sms | email
  std::string sender;    // channel identity (SMS: the phone number, offered as default phone)
  std::string kind;      // text | image | voice | video | location | link | event
  std::string text;
  std::string event;     // subscribe | unsubscribe | click | ...
  std::string event_key;
  std::vector<attachment> attachments;
};

// A configured complaint reason (slow response, attitude, repeat failure, billing, ...).
struct complaint_reason_option {
  std::string id;                     // stored on the ticket, counted in reports
  std::string label_zh, label_en;     // shown in ask_complaint_reason and the summary
  std::vector<std::string> keywords;  // words that name it in a message (any language, any case)
};

// A member of staff a customer may name in a complaint.
struct staff_name {
  std::string id;    // staff id (the complaint target)
  std::string name;  // full name as customers know it: 李明, John Li
};

struct local_date {
  int year = 1970, month = 1, day = 1;
};

// One of the customer's open tickets, as the bot knows it (for duplicates and status answers).
struct ticket_summary {
  std::string number;   // SR...
  std::string type;     // repair | ...
  std::string state;    // pending_assignment | assigned | in_progress | ...
  std::string stage;    // accepted | in_progress | awaiting_confirmation | completed
  std::string model;    // catalog model, may be empty
  std::string serial;   // normalised serial, may be empty
  std::string created;  // YYYY-MM-DD
};

// What the bot tells the dialog before each step. Everything is optional: the dialog works
// with a default-constructed context (no catalog: it cannot recognise products).
struct context {
  const catalog* products = nullptr;  // call catalog::prepare() once after loading
  std::int64_t now = 0;          // Unix seconds, from the bot's clock
  local_date today;              // today in the configured time zone
  int idle_timeout_minutes = 30;
  std::string default_language = "zh-CN";
  std::string default_region = "CN";  // libphonenumber region for numbers without +CC
  // The customer's tickets that are not closed/cancelled (same channel identity, or same
  // phone): status questions are answered from them and a new report for the same serial,
  // or the same model, is offered to be added to one instead of opening another.
  std::vector<ticket_summary> open_tickets;
  // A phone the bot already knows for this customer (customer record, or the SMS sender):
  // taken as the contact phone unless the customer gives another (the summary shows it).
  std::string channel_phone;
  // Minutes until a person picks up a handed-over conversation; 0: unknown ("as soon as
  // possible"). Passed to the human_handoff reply as `wait_minutes`.
  int human_wait_minutes = 0;
  // Complaints. Empty lists are fine: no engineer/department can then be named as a target,
  // and with no reasons the reason question is skipped.
  std::vector<staff_name> engineers;  // engineers a customer may name (李工 / 李工程师 / 李师傅 / engineer Li)
  std::vector<std::string> departments;  // e.g. 客服部, 售后部, 配送部
  std::vector<complaint_reason_option> complaint_reasons;
};

// A message to send: a template key (templates/<lang>/<key>.mustache) and its parameters.
struct reply {
  std::string key;
  std::vector<std::pair<std::string, std::string>> params;
};

// What a ticket is opened with, when the customer confirmed the summary.
struct ticket_draft {
  std::string type;      // service type
  std::string priority;  // low|normal|urgent|critical
  std::string language;
  std::string model, serial, problem, purchase_date, service_method, phone, name;
  bool purchase_date_approximate = false;
  std::optional<bool> in_warranty;  // nullopt when it cannot be computed
  std::vector<attachment> attachments;
  std::vector<std::string> knowledge_ids;  // matching knowledge entries, for the engineer
  std::string location;                    // location label the customer sent, if any
  bool human_requested = false;            // flag the ticket for a person
  // Type complaint only (empty otherwise): product | department | engineer, the catalog model /
  // department name / staff id, and the reason id from context::complaint_reasons.
  std::string complaint_target_kind, complaint_target, complaint_reason;
  // YYYY-MM-DD the customer wants the service by (today or later); empty when they named none.
  std::string requested_date;
};

// New information for one of the customer's open tickets (they said it is the same problem).
struct ticket_addition {
  std::string ticket;  // number from context::open_tickets
  std::string note;    // what the customer said this time (problem text), may be empty
  std::string phone;   // E.164, when they gave one
  std::vector<attachment> attachments;
};

// A satisfaction rating for conversation::ticket (state "survey").
struct survey_result {
  std::string ticket;
  std::string score;    // satisfied | neutral | dissatisfied
  std::string comment;  // may be empty
  std::optional<int> stars;
};

struct outcome {
  conversation next;
  // In order. The bot sends the first as the passive reply where the channel has one.
  // A reply may use the parameter "ticket_number": the bot fills it once the ticket exists.
  std::vector<reply> replies;
  std::optional<ticket_draft> ticket;  // set when the customer confirmed
  // The customer asked for a person ("转人工", "human"): flag next.ticket (or the conversation,
  // when no ticket exists yet; the draft also carries human_requested) for staff.
  bool human_requested = false;
  // A knowledge-base answer solved the problem: no ticket; count it as deflected.
  bool deflected = false;
  std::string knowledge_id;  // the entry that solved it (with deflected)
  std::optional<ticket_addition> addition;  // add this to an open ticket instead of a new one
  // A rating to record on next.ticket (may come twice: score first, then a comment; the later
  // one replaces the earlier).
  std::optional<survey_result> survey;
};

// One dialog step. Never throws (any internal failure yields a generic re-ask).
outcome step(const conversation& current, const inbound& message, const context& ctx);

// The state the bot stores when ticket `ticket_number` awaits a rating (it sends the survey
// question itself): the next message from this customer is read as the rating by step(),
// which answers with survey_thanks / survey_ask_comment / survey_unclear and sets
// outcome::survey. A message that is plainly not a rating (a new fault report, a command)
// leaves the survey and is handled as usual. Keeps the language of `current`.
conversation await_survey(const conversation& current, std::string ticket_number, std::int64_t now);

// Every template key step() can emit, so tests can check that each exists in every language.
std::vector<std::string_view> template_keys();

// True when `c` is mid-intake (collecting or confirming) and its last message is more than
// `idle_timeout_minutes` before `now`: the bot may mark it expired from a timer; step() also
// checks it on the next message.
bool idle_expired(const conversation& c, std::int64_t now, int idle_timeout_minutes);

// Warranty: purchase + warranty_months covers `today`. nullopt when the date does not parse.
std::optional<bool> in_warranty(std::string_view purchase_date, int warranty_months, local_date today);

}  // namespace dialogs
