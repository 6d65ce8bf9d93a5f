#pragma once
// The config file and the data files it names (contract: "Config file", "Data files").
// Loading is strict: unknown keys and wrong types are errors naming the key path
// (e.g. "channels.wechat.cs_quota: expected integer"). The config file is loaded once at start;
// the data files at start and again on SIGHUP (load_data_files).

#include "dialogs/catalog.hpp"

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bot {

// Thrown for every config or data-file problem; what() is one line naming file and key path.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct store_config {
  std::string driver = "sqlite";            // sqlite | mysql
  std::string path = "var/servicebot.db";   // sqlite
  std::string host = "127.0.0.1";           // mysql
  int port = 3306;
  std::string user, password, database = "servicebot";
  int pool_size = 8;
};

struct wechat_config {
  std::string token, app_id, app_secret, encoding_aes_key;  // aes key empty: plain mode only
  std::string api_base = "https://api.weixin.qq.com";
  int cs_quota = 5;
  std::map<std::string, std::string> template_ids;         // progress, survey, ...
};

struct sms_config {
  std::string provider = "twilio";
  std::string account_sid, auth_token, from;
  std::string api_base = "https://api.twilio.com";
  // How the reply to a customer's SMS goes out (beyond the contract, docs/config.md): "rest"
  // through the outbox and Messages.json, or "twiml" as <Message> in the webhook's answer
  // (Twilio sends it; no outbox entry and no REST call). Later messages always use REST.
  std::string reply = "rest";
};

struct email_config {
  std::string provider = "mailgun";
  std::string signing_key, from;
  std::string smtp_url = "smtp://127.0.0.1:2525";
  std::string smtp_user, smtp_password;
  std::string starttls = "auto";  // auto | required | off
};

// Beyond the contract: outbox retry policy (docs/config.md).
struct outbox_config {
  int max_attempts = 8;
  int base_backoff_seconds = 10;   // attempt n waits base * 2^(n-1), jittered, capped below
  int max_backoff_seconds = 1800;
  int lease_seconds = 120;         // a claimed entry is re-sent after this if its worker died
};

// Beyond the contract: limits that keep one client from taking the service down
// (docs/config.md "limits", docs/operations.md). A rate of 0 turns that limit off.
struct limits_config {
  // Per customer (channel + sender): a token bucket of `sender_burst` messages refilled at
  // `sender_per_minute`; the first message over it gets the slow_down reply, then every message
  // from that sender is dropped for `sender_cooldown_seconds`.
  int sender_per_minute = 30;
  int sender_burst = 30;
  int sender_cooldown_seconds = 300;
  // Per client IP on /webhooks/ and /api/: over the bucket, 429.
  int ip_per_second = 200;
  int ip_burst = 1000;
  // Take the client IP from the last X-Forwarded-For hop (only behind a proxy that sets it).
  bool trust_forwarded_for = false;
  // Inbound connections and their deadlines (bot/http_server.hpp server_limits).
  int max_connections = 1000;
  int header_timeout_seconds = 10;  // from a request's first byte to the end of its headers
  int body_timeout_seconds = 30;
  int idle_timeout_seconds = 60;    // keep-alive wait for the next request
  // Messages kept per transcript (one intake, one ticket); later ones are not stored.
  int transcript_max_messages = 500;
};

struct config {
  std::string listen_address = "127.0.0.1";
  int listen_port = 8080;                  // 0: any free port (the bound port is logged)
  std::string public_base_url = "http://127.0.0.1:8080";
  std::string default_language = "zh-CN";  // zh-CN | en
  std::string timezone;                    // IANA name; empty: the host's local zone
  store_config store;
  std::optional<wechat_config> wechat;
  std::optional<sms_config> sms;
  std::optional<email_config> email;
  std::string catalog_file = "demo/catalog.json";
  std::string staff_file = "demo/staff.json";
  std::string rules_file = "demo/rules.json";
  std::string agreements_file;             // optional
  bool test_clock = false;
  std::string log_level = "info";          // beyond the contract: trace|debug|info|warn|error
  outbox_config outbox;                    // beyond the contract
  limits_config limits;                    // beyond the contract
};

struct staff_member {
  std::string id, name, role;  // role: engineer | supervisor | admin
  std::vector<std::string> skills;
  bool on_duty = true;
  int max_open = 10;
  std::string notify_channel, notify_address;  // wechat|sms|email + OpenID / E.164 / address
  std::string phone;                           // optional E.164: critical SMS alerts (else notify sms)
  std::string api_token_sha256;                // lower-case hex, may be empty (no API access)
};

struct assignment_rule {
  std::map<std::string, std::string> when;  // type, line, model, priority, channel
  std::vector<std::string> skills;
  bool alert_sms = false;
  std::string role = "engineer";  // who is chosen: engineer | supervisor (complaints) (ours)
};

struct sla_policy {
  std::optional<int> respond, resolve, onsite;  // minutes
};

// A complaint reason customers can pick (rules "complaints.reasons"); labels are what the
// dialog shows, keywords what it recognises.
struct complaint_reason {
  std::string id, label, label_en;
  std::vector<std::string> keywords;
};

struct complaint_policy {
  std::vector<complaint_reason> reasons;  // empty: the dialog does not ask for a reason
  std::vector<std::string> departments;   // targets a complaint may name besides products and engineers
  int respond_minutes = 60;               // first contact: the customer is called and apologised to
  int follow_up_after_hours = 48;         // the follow-up visit (回访) after closing, at most 72
};

struct maintenance_policy {
  int remind_days_before = 7;  // the reminder goes out this many days before a cycle falls due
  int offer_valid_days = 7;    // how long "需要" / "不需要" is read as the answer to it
};

struct rules {
  std::vector<assignment_rule> assignment;
  std::map<std::string, sla_policy> sla_minutes;  // by priority
  int survey_remind_after_hours = 24;
  int survey_expire_after_hours = 168;
  int dialog_idle_timeout_minutes = 30;
  complaint_policy complaints;
  maintenance_policy maintenance;
};

// A service agreement (agreements_file, format in docs/config.md).
struct visit_plan {
  int every_days = 0;          // a visit every N days from first_visit
  std::string first_visit;     // YYYY-MM-DD
  int lead_days = 7;           // the proactive ticket is created this many days ahead
  std::string type = "value_added";
  std::string problem;         // what the visit is for, shown on the ticket
};

struct agreement {
  std::string id;
  std::string customer_phone, customer_no, customer_name;  // phone (E.164) and/or number
  std::vector<std::string> models, serials;  // covered products; both empty: all the customer's
  std::string valid_from, valid_to;          // YYYY-MM-DD, inclusive
  std::map<std::string, sla_policy> sla_minutes;  // overrides by priority
  std::vector<std::string> covered_services;      // ticket types covered; empty: all
  std::vector<std::string> covered_parts;         // free parts; "*": every part
  int parts_discount_percent = 0;                 // on parts that are charged
  std::vector<std::string> engineers;             // preferred engineers (staff ids), in order
  std::optional<visit_plan> visits;
};

// Loads the config file at `path`: JSON, ${ENV} substitution in string values (an unset
// variable is an error naming it), strict keys and types, relative data-file paths resolved
// against the current directory. Throws config_error.
config load_config(const std::string& path);

// The same from JSON text in memory; `origin` names the source in error messages (the fuzz
// target and tests load config without a file). Throws config_error.
config load_config_text(std::string_view text, const std::string& origin);

// Load and validate the data files (extra fields allowed, missing required ones are errors
// naming the entry, e.g. "catalog products[2] (XYZ-100): serial_pattern: bad regex ...").
// Throw config_error.
dialogs::catalog load_catalog(const std::string& path);
std::vector<staff_member> load_staff(const std::string& path);  // duplicate ids are errors
rules load_rules(const std::string& path);
// Empty path: no agreements. Ids must be unique; dates valid and from <= to.
std::vector<agreement> load_agreements(const std::string& path);
// Every agreement model must be a catalog model (a typo would cover nothing). Throws config_error.
void check_agreements_against_catalog(const std::vector<agreement>& list, const dialogs::catalog& catalog,
                                      const std::string& path);
// Every preferred engineer of an agreement must be an engineer in the staff file.
void check_agreements_against_staff(const std::vector<agreement>& list, const std::vector<staff_member>& staff,
                                    const std::string& path);

// Cross-checks loaded rules against the loaded catalog: every `when.model` must be a catalog
// model and every `when.line` a line some product has, since a typo there would make the
// rule never match. `rules_path` is the file named in the message. Throws config_error.
void check_rules_against_catalog(const rules& r, const dialogs::catalog& catalog, const std::string& rules_path);

// The four data files as one set (contract: "Data files"): what every handler and unit of work
// reads, replaced whole on SIGHUP (bot/app.hpp), never changed in place.
struct data_files {
  dialogs::catalog catalog;  // prepared (catalog::prepare)
  std::vector<staff_member> staff;
  bot::rules rules;
  std::vector<agreement> agreements;  // empty without agreements_file
};

// A data-file problem found by load_data_files; file() is the file to fix (for a cross-check,
// the file that refers to something missing: rules or agreements, not the catalog).
class data_file_error : public config_error {
 public:
  data_file_error(std::string file, const std::string& what) : config_error(what), file_(std::move(file)) {}
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

// Loads every data file `cfg` names and cross-checks them (rules and agreements against the
// catalog, agreements against the staff), then prepares the catalog: the same steps at start and
// on SIGHUP. Throws data_file_error on the first problem. Blocking (reads files); any thread.
data_files load_data_files(const config& cfg);

}  // namespace bot
