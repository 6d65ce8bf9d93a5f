#include "bot/intake_flow.hpp"

#include "bot/metrics.hpp"
#include "bot/programs.hpp"
#include "bot/ticket_attributes.hpp"
#include "bot/workflow.hpp"
#include "channels/email_compose.hpp"
#include "dialogs/intake.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

namespace bot {
namespace {

dialogs::inbound to_dialog(const channels::inbound_message& m) {
  dialogs::inbound in;
  in.channel = m.channel;
  in.sender = m.from;
  in.kind = m.kind;
  in.text = m.text;
  in.event = m.event;
  in.event_key = m.event_key;
  for (const auto& a : m.attachments) in.attachments.push_back({a.kind, a.ref});
  if (m.kind == "location" && !m.location_label.empty() && in.text.empty()) in.text = m.location_label;
  return in;
}

// What the transcript shows for a message that is not text.
std::string transcript_text(const channels::inbound_message& m) {
  if (!m.text.empty()) return m.text;
  if (m.kind == "event") return "[event:" + m.event + (m.event_key.empty() ? "" : ":" + m.event_key) + "]";
  if (m.kind == "location") return "[location:" + m.location_label + "]";
  return "[" + m.kind + "]";
}

std::string created_detail(const dialogs::ticket_draft& d, std::string_view channel) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
  w.StartObject();
  w.Key("channel");
  w.String(channel.data(), static_cast<rapidjson::SizeType>(channel.size()));
  w.Key("type");
  w.String(d.type.c_str());
  w.Key("priority");
  w.String(d.priority.c_str());
  w.EndObject();
  return buffer.GetString();
}

store::ticket_record make_ticket(const app& a, const dialogs::ticket_draft& d, const store::customer_record& customer,
                                 const std::string& number, std::int64_t now) {
  store::ticket_record t;
  t.number = number;
  t.type = d.type;
  t.priority = d.priority;
  t.state = "pending_assignment";
  t.stage = "accepted";
  t.channel = customer.channel;
  t.language = d.language;
  t.customer_id = customer.id;
  t.customer_name = d.name;
  t.phone = d.phone;
  t.channel_id = customer.channel_id;
  t.customer_no = customer.customer_no;
  t.model = d.model;
  t.serial = d.serial;
  t.purchase_date = d.purchase_date;
  t.in_warranty = d.in_warranty;
  t.problem = d.problem;
  for (const auto& att : d.attachments) t.attachments.push_back({att.kind, att.ref});
  t.service_method = d.service_method;
  t.created_at = now;
  t.updated_at = now;
  // Complaint target and reason, the covering service agreement, and the SLA deadlines.
  programs::classify(a, t, &d, now);
  return t;
}

// Sends the step's replies: in the webhook answer (passive) or through the outbox, and stores
// the answer body on the inbound record for retries.
void deliver(store::transaction& tx, const app& a, const channels::inbound_message& message,
             const reply_delivery& delivery, const std::string& ticket, const std::string& language, std::int64_t now,
             inbound_outcome& out) {
  if (delivery.passive) {
    out.reply_body = delivery.passive(out.replies);
  } else {
    // E-mail: one mail per step (all replies in it); other channels: one message per reply.
    std::vector<std::string> texts = out.replies;
    if (delivery.outbox.channel == "email" && texts.size() > 1) {
      std::string joined;
      for (const auto& t : texts) joined += (joined.empty() ? "" : "\n\n") + t;
      texts = {joined};
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      outbound_text m = delivery.outbox;
      m.text = texts[i];
      m.ticket = ticket;
      m.language = language;
      if (m.channel == "email") {
        if (!ticket.empty() && m.subject.find(ticket) == std::string::npos)
          m.subject += " [" + ticket + "]";  // contract: the ticket number in the subject
        m.message_id = channels::make_message_id(workflow::mail_domain(a));
        tx.remember_mail({m.message_id, m.recipient, ticket, now});
      }
      // Keyed on the inbound message, so a replayed unit can never enqueue a reply twice.
      enqueue_text(tx, m, "reply:" + message.channel + ":" + message.provider_id + ":" + std::to_string(i), now);
    }
    out.reply_body = delivery.answer_body;
  }
  tx.set_inbound_reply(message.channel, message.provider_id, out.reply_body);
}

// Appends to one transcript up to limits.transcript_max_messages; later messages are still
// processed and answered, only not stored (a flooding customer cannot grow a ticket without
// bound). The count is read once per step.
class capped_transcript {
 public:
  capped_transcript(store::transaction& tx, const app& a, std::int64_t customer_id, const std::string& channel,
                    const std::string& ticket, std::int64_t since)
      : tx_(tx), room_(a.cfg.limits.transcript_max_messages - tx.count_messages(customer_id, channel, ticket, since)) {}

  void append(const store::message_record& m) {
    if (room_-- > 0) {
      tx_.append_message(m);
      return;
    }
    if (room_ == -1) spdlog::warn("event=transcript_full channel={} ticket={}", m.channel, m.ticket);
    metrics::transcript_capped();
  }

 private:
  store::transaction& tx_;
  std::int64_t room_;
};

}  // namespace

void send_after_commit(const app& a, inbound_outcome& outcome) {
  if (!outcome.direct.empty() && a.send_outbox_now) {
    a.send_outbox_now(std::move(outcome.direct));
    outcome.direct.clear();
    return;
  }
  if (a.on_outbox_enqueued) a.on_outbox_enqueued();
}

inbound_outcome handle_inbound(store::transaction& tx, const app& a, const channels::inbound_message& message,
                               const reply_delivery& delivery) {
  const auto now = a.clock.now();
  inbound_outcome out;
  // Outbox entries enqueued by this step (replies, workflow notifications) carry the request id.
  request_scope scope{delivery.request_id};
  // One snapshot of the data files for the whole unit, whatever a SIGHUP does meanwhile (app.hpp).
  const files_pin pin{a};
  const auto files = a.files();

  // Dedupe first: a gateway retry (possibly overlapping the first delivery) replays the answer.
  if (!tx.record_inbound({message.channel, message.provider_id, message.from, now, ""})) {
    auto previous = tx.find_inbound(message.channel, message.provider_id);
    out.duplicate = true;
    out.reply_body = previous ? previous->reply : "";
    return out;
  }
  // Whatever this step enqueues is sent by the webhook right after the commit (outbound.hpp).
  std::optional<direct_send_scope> direct;
  if (a.send_outbox_now) direct.emplace(now + a.outbox_lease_seconds, &out.direct);

  auto customer = tx.find_or_create_customer(message.channel, message.from, now);
  auto record = tx.lock_conversation(message.channel, message.from);
  dialogs::conversation state;
  if (record) {
    if (auto parsed = dialogs::conversation::from_json(record->state_json)) {
      state = std::move(*parsed);
    } else {
      spdlog::warn("event=conversation_state_unreadable channel={} action=restart", message.channel);
    }
  }

  // A survey reply may come days later while another conversation is going: it goes to the
  // customer's resolved ticket on this channel, not into the dialog (workflow.hpp). So do the
  // answers to a maintenance reminder and to a complaint follow-up (programs.hpp).
  // The customer's newest tickets, listed once: the survey looks for a resolved one to rate, the
  // dialog for open ones (duplicate reports and status questions refer to them).
  store::ticket_filter mine;
  mine.customer_id = customer.id;
  mine.limit = workflow::recent_ticket_limit;
  const auto recent = tx.list_tickets(mine).tickets;
  auto answer = programs::take_reply(tx, a, customer, message, now);
  if (!answer) answer = workflow::take_survey_reply(tx, a, customer, message, state, now, &recent);
  if (answer) {
    capped_transcript transcript{tx, a, customer.id, message.channel, answer->ticket, 0};
    transcript.append({customer.id, message.channel, answer->ticket, now, "in", transcript_text(message)});
    out.replies = std::move(answer->replies);
    for (const auto& text : out.replies)
      transcript.append({customer.id, message.channel, answer->ticket, now, "out", text});
    deliver(tx, a, message, delivery, answer->ticket, answer->language, now, out);
    spdlog::info("event=reply_taken channel={} ticket={}", message.channel, answer->ticket);
    return out;
  }

  dialogs::context ctx;
  ctx.products = &files->catalog;
  ctx.now = now;
  ctx.today = a.clock.local_day(now);
  ctx.idle_timeout_minutes = files->rules.dialog_idle_timeout_minutes;
  ctx.default_language = a.cfg.default_language;
  if (!customer.phone.empty()) ctx.channel_phone = customer.phone;
  // Complaints may name an engineer, a department or a product, for one of the reasons.
  for (const auto& s : files->staff)
    if (s.role == "engineer") ctx.engineers.push_back({s.id, s.name});
  ctx.departments = files->rules.complaints.departments;
  for (const auto& r : files->rules.complaints.reasons)
    ctx.complaint_reasons.push_back({r.id, r.label, r.label_en, r.keywords});
  for (const auto& t : recent) {
    if (t.state == "closed" || t.state == "cancelled") continue;
    ctx.open_tickets.push_back({t.number, t.type, t.state, t.stage, t.model, t.serial, a.clock.local_date(t.created_at)});
  }
  auto result = dialogs::step(state, to_dialog(message), ctx);
  if (result.addition) {
    // Same problem as an open ticket: the new information goes onto it, not into a new ticket.
    const auto& add = *result.addition;
    if (auto existing = tx.find_ticket(add.ticket); existing && existing->customer_id == customer.id) {
      for (const auto& att : add.attachments) existing->attachments.push_back({att.kind, att.ref});
      existing->updated_at = now;
      tx.update_ticket(*existing);
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w{buffer};
      w.StartObject();
      w.Key("note");
      w.String(add.note.c_str());
      w.Key("attachments");
      w.Uint(static_cast<unsigned>(add.attachments.size()));
      w.EndObject();
      tx.append_event({add.ticket, now, "customer", "customer_addition", buffer.GetString()});
    }
  }
  if (result.human_requested && !result.next.ticket.empty() && !result.ticket)
    tx.append_event({result.next.ticket, now, "customer", "human_requested", "{}"});

  out.deflected = result.deflected;
  capped_transcript transcript{tx, a, customer.id, message.channel, "",
                               result.next.started_at ? result.next.started_at : now};
  transcript.append({customer.id, message.channel, "", now, "in", transcript_text(message)});

  const std::string language = result.next.language.empty() ? a.cfg.default_language : result.next.language;
  templates::params extra;
  if (result.ticket) {
    const auto& draft = *result.ticket;
    out.ticket = tx.next_ticket_number(a.clock.yyyymmdd(now));
    auto ticket = make_ticket(a, draft, customer, out.ticket, now);
    // Chosen before the insert, so the row is written once with its engineer.
    const auto assignment = workflow::preassign(tx, a, ticket, now);
    tx.insert_ticket(ticket);
    tx.append_event({out.ticket, now, "bot", "created", created_detail(draft, message.channel)});
    if (draft.human_requested) tx.append_event({out.ticket, now, "customer", "human_requested", "{}"});
    tx.attach_messages(customer.id, message.channel, result.next.started_at, out.ticket);
    customer.name = draft.name;
    customer.phone = draft.phone;
    customer.language = draft.language;
    tx.update_customer(customer);
    // SLA timers, then assignment by rule (or supervisors told nobody is eligible).
    workflow::on_ticket_created(tx, a, ticket, now, &assignment);
    programs::after_created(tx, a, ticket, now);
    result.next.ticket = out.ticket;
    extra.emplace_back("ticket_number", out.ticket);
    // The customer hears that their service agreement covers it (issue 9).
    extra.emplace_back("agreement", attributes_of(ticket).agreement);
    if (ticket.respond_by) {
      auto minutes = (*ticket.respond_by - now) / 60;
      extra.emplace_back("respond_minutes", std::to_string(minutes));
      if (minutes % 60 == 0) extra.emplace_back("respond_hours", std::to_string(minutes / 60));
    }
    spdlog::info("event=ticket_created ticket={} channel={} type={} priority={}", out.ticket, message.channel,
                 draft.type, draft.priority);
  }

  const std::string_view variant = message.channel == "sms" ? "sms" : "";
  for (const auto& reply : result.replies) {
    templates::params values = reply.params;
    values.insert(values.end(), extra.begin(), extra.end());
    out.replies.push_back(a.texts.render(language, reply.key, values, variant));
    transcript.append({customer.id, message.channel, out.ticket, now, "out", out.replies.back()});
  }

  store::conversation_record saved;
  saved.channel = message.channel;
  saved.channel_id = message.from;
  saved.customer_id = customer.id;
  saved.state_json = result.next.to_json();
  saved.version = record ? record->version : 0;
  saved.updated_at = now;
  tx.save_conversation(saved);

  if (result.deflected) {
    // Solved by a knowledge-base answer, no ticket: counted per local day for the reports.
    const auto key = "deflected." + a.clock.yyyymmdd(now);
    std::int64_t count = 0;
    if (auto v = tx.get_setting(key, now)) count = std::stoll(*v);
    tx.put_setting(key, std::to_string(count + 1), 0);
  }

  deliver(tx, a, message, delivery, out.ticket, language, now, out);
  return out;
}

}  // namespace bot
