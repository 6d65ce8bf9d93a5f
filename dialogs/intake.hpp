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
enum class slot { none, service_type, model, serial, problem, purchase_date, service_method, phone, name, confirm };
std::string_view to_string(slot s);  // "model", ..., "null" for none

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
};

// Everything the dialog remembers between messages; stored as JSON by the bot.
struct conversation {
  std::string state = "idle";  // idle | collecting | confirming | completed | cancelled | expired
  slot awaiting = slot::none;
  std::string language;        // zh-CN | en; empty until detected
  slot_values values;
  std::vector<attachment> attachments;
  std::int64_t started_at = 0;     // Unix seconds of the first message of this intake
  std::int64_t last_activity = 0;  // Unix seconds of the last inbound message
  int reasks = 0;                  // consecutive invalid answers for `awaiting`
  std::string ticket;              // number of the ticket this intake opened, once opened

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

struct local_date {
  int year = 1970, month = 1, day = 1;
};

struct context {
  const catalog* products = nullptr;
  std::int64_t now = 0;          // Unix seconds, from the bot's clock
  local_date today;              // today in the configured time zone
  int idle_timeout_minutes = 30;
  std::string default_language = "zh-CN";
  std::string default_region = "CN";  // libphonenumber region for numbers without +CC
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
};

struct outcome {
  conversation next;
  // In order. The bot sends the first as the passive reply where the channel has one.
  // A reply may use the parameter "ticket_number": the bot fills it once the ticket exists.
  std::vector<reply> replies;
  std::optional<ticket_draft> ticket;  // set when the customer confirmed
};

// One dialog step. Never throws (any internal failure yields a generic re-ask).
outcome step(const conversation& current, const inbound& message, const context& ctx);

// Every template key step() can emit, so tests can check that each exists in every language.
std::vector<std::string_view> template_keys();

// True when `c` is mid-intake (collecting or confirming) and its last message is more than
// `idle_timeout_minutes` before `now`: the bot may mark it expired from a timer; step() also
// checks it on the next message.
bool idle_expired(const conversation& c, std::int64_t now, int idle_timeout_minutes);

// Warranty: purchase + warranty_months covers `today`. nullopt when the date does not parse.
std::optional<bool> in_warranty(std::string_view purchase_date, int warranty_months, local_date today);

}  // namespace dialogs
