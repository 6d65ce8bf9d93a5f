#pragma once
// The channel-neutral inbound path: one customer message in, durable effects and the replies
// out. Every channel adapter calls handle_inbound inside one store write unit, so the message,
// the dialog state, the ticket, the transcript and the reply commit together or not at all.

#include "bot/app.hpp"
#include "bot/outbound.hpp"
#include "channels/message.hpp"
#include "store/store.hpp"

#include <functional>
#include <string>
#include <vector>

namespace bot {

struct inbound_outcome {
  bool duplicate = false;            // a gateway retry of a message already processed
  std::string reply_body;            // the channel's answer body (stored, replayed on retries)
  std::vector<std::string> replies;  // rendered reply texts (empty for duplicates)
  std::string ticket;                // ticket opened by this message, if any
  bool deflected = false;            // a knowledge-base answer solved it (no ticket)
  // Outbox entries this step enqueued leased to this process: the webhook hands them to
  // send_after_commit once its unit is committed.
  std::vector<store::outbox_entry> direct;
};

// Turns the rendered reply texts into the channel's answer body (e.g. WeChat passive XML).
using reply_encoder = std::function<std::string(const std::vector<std::string>& texts)>;

// How the replies of a step reach the customer.
struct reply_delivery {
  // Set: the replies go back in the webhook answer (WeChat's passive reply).
  reply_encoder passive;
  // Otherwise every reply is enqueued in the outbox like `outbox` (channel, recipient,
  // e-mail subject and threading; text and ticket are filled in), and the webhook is answered
  // with `answer_body` (e.g. empty TwiML).
  outbound_text outbox;
  std::string answer_body;
  // The HTTP request this step runs for: stamped on every outbox entry it enqueues (logs).
  std::string request_id;
};

// Runs on a store thread inside a write unit. Dedupe on (channel, provider_id): a retry gets
// the stored body and changes nothing. Throws store::store_error (the unit is rolled back).
inbound_outcome handle_inbound(store::transaction& tx, const app& a, const channels::inbound_message& message,
                               const reply_delivery& delivery);

// After the unit that produced `outcome` committed: sends its direct entries now (app
// send_outbox_now), or wakes the outbox worker for whatever the unit queued otherwise.
void send_after_commit(const app& a, inbound_outcome& outcome);

}  // namespace bot
