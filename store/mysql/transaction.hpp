#pragma once
// store::transaction on one MySQL session, private to store/mysql/. The connection opens and
// ends the database transaction (see mysql_backend.cpp); this class only runs statements in it.

#include "store/mysql/session.hpp"
#include "store/store.hpp"

namespace store::mysql {

class mysql_transaction final : public transaction {
 public:
  // `writable` is false inside connection::read(): the write methods then throw
  // store_error(internal) instead of reaching the database.
  mysql_transaction(session& db, bool writable) : db_(db), writable_(writable) {}

  bool record_inbound(const inbound_record& r) override;
  std::optional<inbound_record> find_inbound(std::string_view channel, std::string_view provider_id) override;
  void set_inbound_reply(std::string_view channel, std::string_view provider_id, std::string_view reply) override;

  customer_record find_or_create_customer(std::string_view channel, std::string_view channel_id,
                                          std::int64_t now) override;
  void update_customer(const customer_record& c) override;
  std::optional<customer_record> find_customer(std::int64_t id) override;

  std::optional<conversation_record> lock_conversation(std::string_view channel, std::string_view channel_id) override;
  std::int64_t save_conversation(const conversation_record& c) override;

  void append_message(const message_record& m) override;
  void attach_messages(std::int64_t customer_id, std::string_view channel, std::int64_t since,
                       std::string_view ticket) override;
  std::vector<message_record> ticket_messages(std::string_view ticket) override;
  std::int64_t count_messages(std::int64_t customer_id, std::string_view channel, std::string_view ticket,
                              std::int64_t since) override;

  std::string next_ticket_number(std::string_view yyyymmdd) override;
  void insert_ticket(const ticket_record& t) override;
  void update_ticket(const ticket_record& t) override;
  std::optional<ticket_record> find_ticket(std::string_view number) override;
  ticket_page list_tickets(const ticket_filter& f) override;
  void append_event(const ticket_event& e) override;
  std::vector<ticket_event> ticket_events(std::string_view ticket) override;
  std::vector<std::pair<std::string, int>> count_open_by_assignee() override;
  std::vector<std::pair<std::string, std::int64_t>> count_tickets_by_state() override;

  std::int64_t enqueue(const outbox_entry& e) override;
  std::optional<std::int64_t> enqueue_new(const outbox_entry& e) override;
  std::vector<outbox_entry> list_outbox(std::string_view state, int limit) override;

  std::vector<outbox_entry> claim_outbox(std::int64_t now, std::int64_t lease_until, int limit) override;
  void mark_outbox_sent(std::int64_t id, std::int64_t now) override;
  void mark_outbox_failed(std::int64_t id, std::string_view error, std::int64_t next_attempt_at, bool dead) override;
  std::int64_t count_outbox(std::string_view state) override;
  std::optional<outbox_entry> find_outbox(std::int64_t id) override;

  std::optional<std::string> get_setting(std::string_view key, std::int64_t now) override;
  std::vector<std::optional<std::string>> get_settings(std::span<const std::string> keys,
                                                       std::int64_t now) override;
  void put_setting(std::string_view key, std::string_view value, std::int64_t expires_at) override;

  bool use_token_once(std::string_view scope, std::string_view token, std::int64_t expires_at,
                      std::int64_t now) override;

  std::int64_t schedule_timer(const timer_record& t) override;
  std::vector<timer_record> claim_due_timers(std::int64_t now, std::int64_t lease_until, int limit) override;
  void complete_timer(std::int64_t id) override;
  void cancel_timers(std::string_view ticket, std::string_view kind) override;
  std::vector<timer_record> ticket_timers(std::string_view ticket) override;

  void remember_mail(const mail_thread_record& m) override;
  std::optional<mail_thread_record> find_mail(std::string_view message_id) override;

  std::optional<customer_record> find_customer_by_identity(std::string_view channel,
                                                           std::string_view channel_id) override;

 private:
  void require_writable(const char* operation) const;
  void insert_attachments(const ticket_record& t);
  void load_attachments(ticket_record& t);

  session& db_;
  bool writable_;
};

}  // namespace store::mysql
