#pragma once
// Outbound messages as outbox entries: every message the bot sends, on any channel, is
// enqueued here inside the transaction of the change that caused it, and leaves through the
// outbox worker. The payload is channel-neutral JSON; senders read it back with parse_payload.

#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bot {

struct outbound_text {
  std::string channel;    // wechat | sms | email
  std::string recipient;  // OpenID / E.164 / e-mail address
  std::string text;
  std::string ticket;     // may be empty
  std::string hint = "reply";  // reply | progress | survey | staff: the WeChat planner's template choice
  std::string language;
  // E-mail only.
  std::string subject;
  std::string message_id;               // our Message-ID for this mail, without <> (made at enqueue)
  std::string in_reply_to;              // Message-ID we answer, without <>
  std::vector<std::string> references;  // without <>
  std::string phone;                    // customer's phone, the WeChat planner's SMS fallback
  std::string plan;                     // WeChat: cs | template | sms, chosen at enqueue (may be empty)
  // WeChat: a customer-service `msgmenu` (the survey): tappable options under `menu_head`;
  // `text` stays the complete message for the template and SMS fallbacks. Empty: plain text.
  struct menu_option {
    std::string id, content;
  };
  std::string menu_head, menu_tail;
  std::vector<menu_option> menu;
  // The HTTP request whose effects enqueued it, for the logs; empty: the current request_scope's.
  std::string request_id;
};

// While alive, entries enqueued on this thread without a request_id get `id` (a store unit
// run for one request opens one, so notifications the workflow enqueues carry it too).
class request_scope {
 public:
  explicit request_scope(std::string id);
  ~request_scope();
  request_scope(const request_scope&) = delete;
  request_scope& operator=(const request_scope&) = delete;

 private:
  std::string previous_;
};

// While alive, enqueue_text on this thread writes each NEW entry already leased to this process
// (state sending, attempts 1, lease_until) and appends it to `sink`, so the request whose unit
// enqueued it can send it right after the commit instead of waiting for the outbox worker's next
// claim (issue 7: one claim transaction and a worker round trip less per reply). The lease is the
// crash guarantee: should the process die before the send is recorded, the worker claims the
// entry once the lease has run out, as for any send cut short. An entry whose key was already
// queued is left to the worker and not collected. Opened inside a store unit; when the unit is
// rolled back, whoever opened the scope must drop `sink`.
class direct_send_scope {
 public:
  direct_send_scope(std::int64_t lease_until, std::vector<store::outbox_entry>* sink);
  ~direct_send_scope();
  direct_send_scope(const direct_send_scope&) = delete;
  direct_send_scope& operator=(const direct_send_scope&) = delete;

 private:
  std::int64_t previous_lease_;
  std::vector<store::outbox_entry>* previous_sink_;
};

// Enqueues `m`. SMS texts are cut on segment boundaries (channels::split_sms), one entry per
// body, keys key_base + ":" + index, so a retry never resends a part already delivered.
// Returns the ids. Runs on a store thread inside a unit; throws store::store_error.
std::vector<std::int64_t> enqueue_text(store::transaction& tx, const outbound_text& m, const std::string& key_base,
                                       std::int64_t now);

// The payload JSON of an entry back as a message (channel, recipient, ticket from the entry).
// nullopt when the payload is not ours.
std::optional<outbound_text> parse_payload(const store::outbox_entry& e);

}  // namespace bot
