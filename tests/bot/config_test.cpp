// bot/config: the shipped demo files load, and every malformed input is refused with a
// message that names the file, the entry and the key path (docs/config.md).
#include "bot/config.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "sb-config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }

  // Writes `content` byte for byte to `name` in this directory and returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << content;
    return file.string();
  }

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Sets an environment variable for the test's duration; unset again afterwards.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() { ::unsetenv(name_); }

 private:
  const char* name_;
};

std::string source_file(const std::string& relative) { return (fs::path(SB_SOURCE_DIR) / relative).string(); }

const char* const wechat_ok = R"("token": "t", "app_id": "wx1", "app_secret": "s")";
const char* const sms_ok = R"("account_sid": "AC1", "auth_token": "tok", "from": "+15005550006")";
const char* const email_ok = R"("signing_key": "k", "from": "service@example.com")";

std::string with_wechat(const std::string& extra) {
  return std::string(R"({"channels": {"wechat": {)") + wechat_ok + extra + "}}}";
}
std::string with_sms(const std::string& extra) {
  return std::string(R"({"channels": {"sms": {)") + sms_ok + extra + "}}}";
}
std::string with_email(const std::string& extra) {
  return std::string(R"({"channels": {"email": {)") + email_ok + extra + "}}}";
}

const char* const product_ok =
    R"({"model": "ABC-1", "name": "洗衣机", "serial_pattern": "^SN[0-9]+$", "warranty_months": 12})";

std::string catalog_with(const std::string& products, const std::string& knowledge = "") {
  std::string out = R"({"products": [)" + products + "]";
  if (!knowledge.empty()) out += R"(, "knowledge": [)" + knowledge + "]";
  return out + "}";
}

std::string staff_with(const std::string& members) { return R"({"staff": [)" + members + "]}"; }

const char* const engineer_ok =
    R"({"id": "E1", "name": "李工", "role": "engineer", "notify": {"channel": "sms", "address": "+8613900000001"})";

std::string engineer(const std::string& extra) { return std::string(engineer_ok) + extra + "}"; }

std::string rules_with(const std::string& extra) {
  return R"({"assignment": [{"when": {}, "skills": []}])" + extra + "}";
}

const std::string hex_a(64, 'a');

}  // namespace

TEST_CASE("the shipped demo config loads with the documented values", "[config][demo]") {
  const bot::config cfg = bot::load_config(source_file("demo/servicebot.json"));
  CHECK(cfg.listen_address == "127.0.0.1");
  CHECK(cfg.listen_port == 8080);
  CHECK(cfg.public_base_url == "http://127.0.0.1:8080");
  CHECK(cfg.default_language == "zh-CN");
  CHECK(cfg.timezone == "Asia/Shanghai");
  CHECK(cfg.store.driver == "sqlite");
  CHECK(cfg.store.path == "var/servicebot.db");
  REQUIRE(cfg.wechat);
  CHECK(cfg.wechat->token == "demotoken");
  CHECK(cfg.wechat->app_id == "wxdemo0000000000");
  CHECK(cfg.wechat->encoding_aes_key.size() == 43);
  CHECK(cfg.wechat->api_base == "http://127.0.0.1:9");
  CHECK(cfg.wechat->template_ids.count("progress") == 1);
  CHECK(cfg.wechat->template_ids.count("survey") == 1);
  // Every gateway the demo could call is on loopback: nothing external is contacted.
  REQUIRE(cfg.sms);
  CHECK(cfg.sms->api_base == "http://127.0.0.1:9");
  CHECK(cfg.sms->reply == "rest");  // the default: replies through the outbox and REST
  REQUIRE(cfg.email);
  CHECK(cfg.email->smtp_url == "smtp://127.0.0.1:2525");
  CHECK(cfg.catalog_file == "demo/catalog.json");
  CHECK(cfg.staff_file == "demo/staff.json");
  CHECK(cfg.rules_file == "demo/rules.json");
  CHECK(cfg.agreements_file == "demo/agreements.json");
  CHECK_FALSE(cfg.test_clock);
  CHECK(cfg.log_level == "info");
}

TEST_CASE("the shipped demo data files load and fit together", "[config][demo]") {
  const bot::config cfg = bot::load_config(source_file("demo/servicebot.json"));
  const dialogs::catalog catalog = bot::load_catalog(source_file(cfg.catalog_file));
  const std::vector<bot::staff_member> staff = bot::load_staff(source_file(cfg.staff_file));
  const bot::rules rules = bot::load_rules(source_file(cfg.rules_file));

  SECTION("catalog") {
    REQUIRE(catalog.products.size() >= 5);
    const dialogs::product* washer = catalog.find_model("ABC-2000");
    REQUIRE(washer != nullptr);
    CHECK(washer->name == "滚筒洗衣机");
    CHECK(washer->line == "laundry");
    CHECK(washer->warranty_months == 24);
    CHECK(std::regex_match("SN5612345", washer->serial_regex));
    CHECK_FALSE(std::regex_match("5612345", washer->serial_regex));

    // "洗衣机" must be ambiguous, so the dialog has to ask which washer.
    const auto washers = std::count_if(catalog.products.begin(), catalog.products.end(), [](const auto& p) {
      return std::find(p.aliases.begin(), p.aliases.end(), "洗衣机") != p.aliases.end();
    });
    CHECK(washers >= 2);
    for (const char* line : {"hvac", "tv", "water"}) {
      CAPTURE(line);
      CHECK(std::any_of(catalog.products.begin(), catalog.products.end(),
                        [&](const auto& p) { return p.line == line; }));
    }
    CHECK(std::any_of(catalog.products.begin(), catalog.products.end(),
                      [](const auto& p) { return p.line == "water" && p.maintenance_cycle_days == 180; }));

    CHECK(catalog.knowledge.size() >= 6);
    CHECK(std::any_of(catalog.knowledge.begin(), catalog.knowledge.end(),
                      [](const auto& k) { return k.self_service; }));
    CHECK(std::any_of(catalog.knowledge.begin(), catalog.knowledge.end(),
                      [](const auto& k) { return !k.self_service; }));
  }

  SECTION("staff") {
    const auto count = [&](const char* role) {
      return std::count_if(staff.begin(), staff.end(), [&](const auto& s) { return s.role == role; });
    };
    CHECK(count("engineer") >= 3);
    CHECK(count("supervisor") == 1);
    CHECK(count("admin") == 1);
    for (const auto& s : staff) {
      CAPTURE(s.id);
      CHECK(s.api_token_sha256.size() == 64);
      if (s.role == "engineer") CHECK_FALSE(s.skills.empty());
    }
    // printf %s demo-engineer-E001 | sha256sum, as demo/README.md documents.
    CHECK(staff.front().api_token_sha256 == "dc5037da5f88737defaf261a63d289ac1cce5da159056b54122a62c01395962e");
  }

  SECTION("rules") {
    for (const char* priority : {"low", "normal", "urgent", "critical"}) {
      CAPTURE(priority);
      CHECK(rules.sla_minutes.count(priority) == 1);
    }
    REQUIRE_FALSE(rules.assignment.empty());
    CHECK(rules.assignment.front().when.at("priority") == "critical");
    CHECK(rules.assignment.front().alert_sms);
    CHECK(rules.sla_minutes.at("critical").onsite == 120);
    CHECK(rules.survey_remind_after_hours == 24);
    CHECK(rules.survey_expire_after_hours == 168);
    CHECK(rules.dialog_idle_timeout_minutes == 30);
    CHECK_NOTHROW(bot::check_rules_against_catalog(rules, catalog, cfg.rules_file));
  }
}

TEST_CASE("an empty config object gives the documented defaults", "[config]") {
  const temp_dir dir;
  const bot::config cfg = bot::load_config(dir.write("c.json", "{}"));
  CHECK(cfg.listen_address == "127.0.0.1");
  CHECK(cfg.listen_port == 8080);
  CHECK(cfg.public_base_url == "http://127.0.0.1:8080");
  CHECK(cfg.default_language == "zh-CN");
  CHECK(cfg.timezone.empty());
  CHECK(cfg.store.driver == "sqlite");
  CHECK(cfg.store.path == "var/servicebot.db");
  CHECK_FALSE(cfg.wechat);
  CHECK_FALSE(cfg.sms);
  CHECK_FALSE(cfg.email);
  CHECK(cfg.log_level == "info");
}

TEST_CASE("config values are normalised as documented", "[config]") {
  const temp_dir dir;

  SECTION("public_base_url loses its trailing slashes") {
    const auto cfg = bot::load_config(dir.write("c.json", R"({"public_base_url": "https://bot.example.com/sb//"})"));
    CHECK(cfg.public_base_url == "https://bot.example.com/sb");
  }
  SECTION("without public_base_url it follows listen") {
    const auto cfg = bot::load_config(dir.write("c.json", R"({"listen": {"address": "::1", "port": 9000}})"));
    CHECK(cfg.public_base_url == "http://[::1]:9000");
  }
  SECTION("port 0 means any free port") {
    CHECK(bot::load_config(dir.write("c.json", R"({"listen": {"port": 0}})")).listen_port == 0);
  }
  SECTION("a mysql store keeps its keys and defaults") {
    const auto cfg = bot::load_config(
        dir.write("c.json", R"({"store": {"driver": "mysql", "user": "sb", "password": "pw", "pool_size": 4}})"));
    CHECK(cfg.store.driver == "mysql");
    CHECK(cfg.store.host == "127.0.0.1");
    CHECK(cfg.store.port == 3306);
    CHECK(cfg.store.user == "sb");
    CHECK(cfg.store.password == "pw");
    CHECK(cfg.store.database == "servicebot");
    CHECK(cfg.store.pool_size == 4);
  }
  SECTION("api_base loses its trailing slash") {
    const auto cfg = bot::load_config(dir.write("c.json", with_wechat(R"(, "api_base": "https://api.example.com/")")));
    CHECK(cfg.wechat->api_base == "https://api.example.com");
  }
  SECTION("an empty encoding_aes_key means plain mode only") {
    const auto cfg = bot::load_config(dir.write("c.json", with_wechat(R"(, "encoding_aes_key": "")")));
    CHECK(cfg.wechat->encoding_aes_key.empty());
  }
  SECTION("smtp:// to a remote host is accepted when STARTTLS is required") {
    const auto cfg = bot::load_config(
        dir.write("c.json", with_email(R"(, "smtp_url": "smtp://mail.example.com:587", "starttls": "required")")));
    CHECK(cfg.email->smtp_url == "smtp://mail.example.com:587");
    CHECK(cfg.email->starttls == "required");
  }
  SECTION("a UTF-8 byte order mark is ignored") {
    CHECK(bot::load_config(dir.write("c.json", "\xEF\xBB\xBF{\"test_clock\": true}")).test_clock);
  }
}

TEST_CASE("channels.sms.reply chooses TwiML or REST for the replies", "[config]") {
  CHECK(bot::load_config_text(with_sms(R"(, "reply": "twiml")"), "c.json").sms->reply == "twiml");
  CHECK(bot::load_config_text(with_sms(R"(, "reply": "rest")"), "c.json").sms->reply == "rest");
  CHECK(bot::load_config_text(with_sms(""), "c.json").sms->reply == "rest");
}

TEST_CASE("malformed config values are refused naming the key path", "[config]") {
  const temp_dir dir;
  const auto [json, expected] = GENERATE(table<std::string, std::string>({
      // unknown keys, top level and nested, with a suggestion for near misses
      {R"({"listn": {}})", "listn: unknown key"},
      {R"({"templates_dir": "x"})", "templates_dir: unknown key"},
      {R"({"listen": {"adress": "x"}})", "listen.adress: unknown key (did you mean \"address\"?)"},
      {R"({"channels": {"wechat": {"tokn": "x"}}})", "channels.wechat.tokn: unknown key (did you mean \"token\"?)"},
      {R"({"channels": {"telegram": {}}})", "channels.telegram: unknown key"},
      {R"({"store": {"driver": "sqlite", "pth": "x"}})", "store.pth: unknown key"},
      {with_wechat(R"(, "cs_quote": 3)"), "channels.wechat.cs_quote: unknown key"},
      {with_sms(R"(, "sender": "x")"), "channels.sms.sender: unknown key"},
      {with_email(R"(, "tls": "off")"), "channels.email.tls: unknown key"},
      // wrong types
      {R"({"listen": {"port": "8080"}})", "listen.port: expected integer"},
      {R"({"listen": {"port": 8080.0}})", "listen.port: expected integer"},
      {R"({"listen": {"port": 8e3}})", "listen.port: expected integer"},
      {R"({"listen": {"port": null}})", "listen.port: expected integer"},
      {R"({"listen": {"address": 127}})", "listen.address: expected string"},
      {R"({"listen": []})", "listen: expected object"},
      {R"({"timezone": 8})", "timezone: expected string"},
      {R"({"test_clock": "yes"})", "test_clock: expected boolean"},
      {R"({"test_clock": 1})", "test_clock: expected boolean"},
      {R"({"channels": []})", "channels: expected object"},
      {R"({"channels": {"wechat": "x"}})", "channels.wechat: expected object"},
      {with_wechat(R"(, "cs_quota": "5")"), "channels.wechat.cs_quota: expected integer"},
      {with_wechat(R"(, "template_ids": {"progress": 1})"), "channels.wechat.template_ids.progress: expected string"},
      {with_wechat(R"(, "template_ids": ["x"])"), "channels.wechat.template_ids: expected object"},
      {R"({"store": "sqlite"})", "store: expected object"},
      {R"({"catalog_file": ["a"]})", "catalog_file: expected string"},
      {R"({"store": {"driver": "mysql", "user": "u", "port": "3306"}})", "store.port: expected integer"},
      // values out of range or not in their set
      {R"({"listen": {"port": 65536}})", "listen.port: must be between 0 and 65535, not 65536"},
      {R"({"listen": {"port": -1}})", "listen.port: must be between 0 and 65535"},
      {R"({"listen": {"port": 18446744073709551615}})", "listen.port: must be between 0 and 65535"},
      {R"({"listen": {"address": ""}})", "listen.address: must not be empty"},
      {R"({"default_language": "fr"})", "default_language: must be one of zh-CN, en, not \"fr\""},
      {R"({"default_language": "zh-cn"})", "default_language: must be one of"},
      {R"({"log_level": "verbose"})", "log_level: must be one of trace, debug, info, warn, error"},
      {R"({"catalog_file": ""})", "catalog_file: must not be empty"},
      {R"({"staff_file": ""})", "staff_file: must not be empty"},
      {R"({"rules_file": ""})", "rules_file: must not be empty"},
      {R"({"public_base_url": "bot.example.com"})", "public_base_url: must be a URL starting with http:// or https://"},
      {R"({"public_base_url": "ftp://bot.example.com"})", "public_base_url: must be a URL"},
      {R"({"public_base_url": "https://"})", "public_base_url: must be a URL"},
      {R"({"public_base_url": "https://bot.example.com:99999"})", "public_base_url: must be a URL"},
      {R"({"public_base_url": "https://bot.example.com/?a=1"})", "public_base_url: must not contain a query"},
      // store drivers and their keys
      {R"({"store": {"driver": "postgres"}})", "store.driver: must be one of sqlite, mysql"},
      {R"({"store": {"driver": "sqlite", "host": "db"}})", "store.host: only valid with driver mysql"},
      {R"({"store": {"host": "db"}})", "store.host: only valid with driver mysql"},
      {R"({"store": {"driver": "sqlite", "pool_size": 4}})", "store.pool_size: only valid with driver mysql"},
      {R"({"store": {"driver": "mysql", "user": "u", "path": "x.db"}})", "store.path: only valid with driver sqlite"},
      {R"({"store": {"driver": "mysql"}})", "store.user: required key missing"},
      {R"({"store": {"driver": "mysql", "user": ""}})", "store.user: must not be empty"},
      {R"({"store": {"driver": "mysql", "user": "u", "pool_size": 0}})", "store.pool_size: must be between 1 and"},
      {R"({"store": {"driver": "mysql", "user": "u", "port": 0}})", "store.port: must be between 1 and 65535"},
      {R"({"store": {"driver": "sqlite", "path": ""}})", "store.path: must not be empty"},
      // channels
      {R"({"channels": {"wechat": {"app_id": "wx", "app_secret": "s"}}})", "channels.wechat.token: required key missing"},
      {R"({"channels": {"wechat": {"token": "t", "app_secret": "s"}}})", "channels.wechat.app_id: required key missing"},
      {R"({"channels": {"wechat": {"token": "t", "app_id": "wx"}}})", "channels.wechat.app_secret: required key missing"},
      {with_wechat(R"(, "cs_quota": 0)"), "channels.wechat.cs_quota: must be at least 1, not 0"},
      {with_wechat(R"(, "encoding_aes_key": "tooshort")"), "channels.wechat.encoding_aes_key: must be 43 Base64"},
      {with_wechat(R"(, "encoding_aes_key": "7GSul7oUFvOdFNkKFgXO45wAAgvGZWrYAd22ShgWjj=")"),
       "channels.wechat.encoding_aes_key: must be 43 Base64"},
      {with_wechat(R"(, "api_base": "http://api.weixin.qq.com")"),
       "channels.wechat.api_base: http:// is only allowed towards a loopback host"},
      {with_wechat(R"(, "api_base": "api.weixin.qq.com")"), "channels.wechat.api_base: must be a URL starting with"},
      {with_sms(R"(, "provider": "nexmo")"), "channels.sms.provider: must be one of twilio"},
      {with_sms(R"(, "reply": "xml")"), "channels.sms.reply: must be one of rest, twiml"},
      {with_sms(R"(, "reply": true)"), "channels.sms.reply: "},
      {with_sms(R"(, "api_base": "http://10.0.0.1:8080")"), "channels.sms.api_base: http:// is only allowed"},
      {R"({"channels": {"sms": {"account_sid": "AC1", "auth_token": "t"}}})", "channels.sms.from: required key missing"},
      {with_email(R"(, "provider": "sendgrid")"), "channels.email.provider: must be one of mailgun"},
      {with_email(R"(, "starttls": "maybe")"), "channels.email.starttls: must be one of auto, required, off"},
      {with_email(R"(, "smtp_url": "smtp://mail.example.com")"),
       "channels.email.smtp_url: smtp:// is only allowed towards a loopback host unless \"starttls\" is \"required\""},
      {with_email(R"(, "smtp_url": "http://127.0.0.1:2525")"), "channels.email.smtp_url: must be a URL starting with"},
      {with_email(R"(, "smtp_password": "pw")"), "channels.email.smtp_password: is set but smtp_user is empty"},
      {R"({"channels": {"email": {"signing_key": "k", "from": "nobody"}}})", "channels.email.from: must be an e-mail"},
      // duplicate keys, which RapidJSON alone would accept
      {R"({"test_clock": true, "test_clock": false})", "test_clock: duplicate key"},
      {R"({"listen": {"port": 1, "port": 2}})", "listen.port: duplicate key"},
      // valid JSON, but a NUL would truncate the value at the first C API
      {R"({"timezone": "Asia\u0000Shanghai"})", "timezone: contains a NUL character"},
      // the root must be an object
      {R"([])", "expected a JSON object at the top level"},
      {R"("servicebot")", "expected a JSON object at the top level"},
  }));
  CAPTURE(json);
  const std::string path = dir.write("servicebot.json", json);
  CHECK_THROWS_AS(bot::load_config(path), bot::config_error);
  CHECK_THROWS_WITH(bot::load_config(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("files that are not valid JSON are refused with a position", "[config]") {
  const temp_dir dir;
  const auto [text, expected] = GENERATE(table<std::string, std::string>({
      {"", "invalid JSON at line 1, column 1 (offset 0): The document is empty."},
      {"  \n\t", "The document is empty."},
      {"{", "invalid JSON at line 1"},
      {"{\n  \"test_clock\": true\n  \"log_level\": \"info\"\n}", "line 3, column 3"},
      {"{} x", "The document root must not be followed by other values."},
      {"{}{}", "The document root must not be followed by other values."},
      {"{}\n// trailing comment", "The document root must not be followed by other values."},
      {"{ // comment\n}", "invalid JSON at line 1, column 3"},
      {"{ /* comment */ }", "invalid JSON at line 1, column 3"},
      {"{\"test_clock\": true,}", "invalid JSON at line 1"},
      {"{\"listen\": {\"port\": NaN}}", "invalid JSON"},
      {"{'test_clock': true}", "invalid JSON"},
      {"{\"timezone\": \"\xff\xfe\"}", "Invalid encoding in string."},
      {"{\"timezone\": \"\xe4\xb8\"}", "Invalid encoding in string."},
      {"{\"\xc3\x28\": 1}", "Invalid encoding in string."},
      {std::string("{}\0{\"x\": 1}", 11), "NUL byte"},
  }));
  CAPTURE(text);
  const std::string path = dir.write("bad.json", text);
  CHECK_THROWS_WITH(bot::load_config(path), StartsWith(path + ": ") && Contains(expected));
  // The data files share the parser.
  CHECK_THROWS_WITH(bot::load_catalog(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("a missing or unreadable file is a config error naming it", "[config]") {
  const temp_dir dir;
  SECTION("missing") {
    const std::string path = dir.file("nope.json");
    CHECK_THROWS_WITH(bot::load_config(path), StartsWith(path) && Contains("cannot open: No such file"));
    CHECK_THROWS_WITH(bot::load_staff(path), StartsWith(path) && Contains("cannot open"));
    CHECK_THROWS_WITH(bot::load_rules(path), StartsWith(path) && Contains("cannot open"));
  }
  SECTION("a directory") {
    const std::string path = dir.file("");
    CHECK_THROWS_AS(bot::load_config(path), bot::config_error);
    CHECK_THROWS_WITH(bot::load_config(path), StartsWith(path) && Contains("cannot"));
  }
}

TEST_CASE("${NAME} string values come from the environment", "[config][env]") {
  const temp_dir dir;

  SECTION("a set variable replaces the whole value") {
    const scoped_env secret("SB_CONFIG_TEST_SECRET", "s3cr3t");
    const scoped_env driver("SB_CONFIG_TEST_DRIVER", "mysql");
    const auto cfg = bot::load_config(dir.write("c.json", R"({
      "store": {"driver": "${SB_CONFIG_TEST_DRIVER}", "user": "sb", "password": "${SB_CONFIG_TEST_SECRET}"},
      "channels": {"wechat": {"token": "t", "app_id": "wx", "app_secret": "${SB_CONFIG_TEST_SECRET}",
                              "template_ids": {"progress": "${SB_CONFIG_TEST_SECRET}"}}}})"));
    CHECK(cfg.store.driver == "mysql");
    CHECK(cfg.store.password == "s3cr3t");
    CHECK(cfg.wechat->app_secret == "s3cr3t");
    CHECK(cfg.wechat->template_ids.at("progress") == "s3cr3t");
  }
  SECTION("a substituted value is validated like a literal one") {
    const scoped_env driver("SB_CONFIG_TEST_DRIVER", "postgres");
    CHECK_THROWS_WITH(bot::load_config(dir.write("c.json", R"({"store": {"driver": "${SB_CONFIG_TEST_DRIVER}"}})")),
                      Contains("store.driver: must be one of sqlite, mysql, not \"postgres\""));
  }
  SECTION("a variable set to the empty string is used as such") {
    const scoped_env empty("SB_CONFIG_TEST_EMPTY", "");
    CHECK(bot::load_config(dir.write("c.json", R"({"timezone": "${SB_CONFIG_TEST_EMPTY}"})")).timezone.empty());
  }
  SECTION("an unset variable is an error naming the key and the variable") {
    ::unsetenv("SB_CONFIG_TEST_UNSET");
    const std::string path = dir.write("c.json", with_wechat(R"(, "encoding_aes_key": "${SB_CONFIG_TEST_UNSET}")"));
    CHECK_THROWS_WITH(bot::load_config(path),
                      StartsWith(path) && Contains("channels.wechat.encoding_aes_key") &&
                          Contains("environment variable SB_CONFIG_TEST_UNSET is not set"));
  }
  SECTION("a malformed reference is an error") {
    CHECK_THROWS_WITH(bot::load_config(dir.write("c.json", R"({"timezone": "${1BAD}"})")),
                      Contains("timezone: \"${1BAD}\" is not a valid ${NAME} reference"));
    CHECK_THROWS_WITH(bot::load_config(dir.write("c.json", R"({"timezone": "${}"})")),
                      Contains("is not a valid ${NAME} reference"));
  }
  SECTION("only the whole-value form is substituted") {
    const scoped_env secret("SB_CONFIG_TEST_SECRET", "s3cr3t");
    const auto cfg = bot::load_config(dir.write("c.json", with_wechat(R"(, "template_ids": {"survey": "a${SB_CONFIG_TEST_SECRET}"})")));
    CHECK(cfg.wechat->template_ids.at("survey") == "a${SB_CONFIG_TEST_SECRET}");
  }
  SECTION("numbers are not strings, so they cannot be substituted") {
    const scoped_env port("SB_CONFIG_TEST_PORT", "9000");
    CHECK_THROWS_WITH(bot::load_config(dir.write("c.json", R"({"listen": {"port": "${SB_CONFIG_TEST_PORT}"}})")),
                      Contains("listen.port: expected integer"));
  }
  SECTION("data files are taken literally") {
    const scoped_env name("SB_CONFIG_TEST_SECRET", "s3cr3t");
    const auto catalog = bot::load_catalog(dir.write(
        "catalog.json", catalog_with(R"({"model": "A-1", "name": "${SB_CONFIG_TEST_SECRET}",
                                         "serial_pattern": "^S$", "warranty_months": 1})")));
    CHECK(catalog.products.at(0).name == "${SB_CONFIG_TEST_SECRET}");
  }
}

TEST_CASE("a valid catalog loads with optional fields defaulted", "[config][catalog]") {
  const temp_dir dir;
  const auto catalog = bot::load_catalog(dir.write(
      "catalog.json",
      catalog_with(std::string(product_ok) + R"(, {"model": "XYZ-100", "name": "空调", "line": "hvac",
        "aliases": ["空调"], "serial_pattern": "^X", "warranty_months": 0, "maintenance_cycle_days": 90,
        "operator_note": "extra fields are the operator's"})",
                   R"({"id": "KB1", "models": ["abc 1"], "keywords": ["噪音"], "self_service": true, "solution": "调平",
                       "internal_ref": 42},
                      {"id": "KB2", "keywords": ["remote"]})")));
  REQUIRE(catalog.products.size() == 2);
  CHECK(catalog.products[0].name_en.empty());
  CHECK(catalog.products[0].line.empty());
  CHECK(catalog.products[0].maintenance_cycle_days == 0);
  CHECK(catalog.products[1].maintenance_cycle_days == 90);
  CHECK(catalog.products[1].warranty_months == 0);
  REQUIRE(catalog.knowledge.size() == 2);
  // Models in knowledge entries take the catalog's spelling.
  CHECK(catalog.knowledge[0].models == std::vector<std::string>{"ABC-1"});
  CHECK(catalog.knowledge[1].models.empty());
  CHECK_FALSE(catalog.knowledge[1].self_service);
}

TEST_CASE("malformed catalogs are refused naming the entry", "[config][catalog]") {
  const temp_dir dir;
  const std::string p = product_ok;
  const auto [json, expected] = GENERATE_COPY(table<std::string, std::string>({
      {R"({})", "products: required key missing"},
      {R"({"products": {}})", "products: expected array"},
      {catalog_with("42"), "products[0]: expected object"},
      {catalog_with(R"({"name": "x", "serial_pattern": "^S", "warranty_months": 1})"),
       "products[0]: model: required key missing"},
      {catalog_with(R"({"model": 7, "name": "x", "serial_pattern": "^S", "warranty_months": 1})"),
       "products[0]: model: expected string"},
      {catalog_with(R"({"model": "ABC-1", "serial_pattern": "^S", "warranty_months": 1})"),
       "products[0] (ABC-1): name: required key missing"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "warranty_months": 1})"),
       "products[0] (ABC-1): serial_pattern: required key missing"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S"})"),
       "products[0] (ABC-1): warranty_months: required key missing"},
      {catalog_with(p + R"(, {"model": "XYZ-100", "name": "x", "serial_pattern": "^SN[0-9", "warranty_months": 1})"),
       "products[1] (XYZ-100): serial_pattern: invalid regex: "},
      {catalog_with(R"({"model": "XYZ-100", "name": "x", "serial_pattern": "(", "warranty_months": 1})"),
       "products[0] (XYZ-100): serial_pattern: invalid regex: "},
      {catalog_with(R"({"model": "XYZ-100", "name": "x", "serial_pattern": "", "warranty_months": 1})"),
       "products[0] (XYZ-100): serial_pattern: must not be empty"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": "24"})"),
       "products[0] (ABC-1): warranty_months: expected integer"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": -1})"),
       "products[0] (ABC-1): warranty_months: must be between 0 and"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": 1,
                        "maintenance_cycle_days": 1.5})"),
       "products[0] (ABC-1): maintenance_cycle_days: expected integer"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": 1,
                        "aliases": "washer"})"),
       "products[0] (ABC-1): aliases: expected array"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": 1,
                        "aliases": ["washer", 3]})"),
       "products[0] (ABC-1): aliases[1]: expected string"},
      {catalog_with(R"({"model": "ABC-1", "name": "x", "serial_pattern": "^S", "warranty_months": 1, "line": 3})"),
       "products[0] (ABC-1): line: expected string"},
      {catalog_with(p + ", " + p), "products[1] (ABC-1): model: duplicate of products[0] (ABC-1)"},
      {catalog_with(p + R"(, {"model": "abc 1", "name": "x", "serial_pattern": "^S", "warranty_months": 1})"),
       "products[1] (abc 1): model: duplicate of products[0] (ABC-1)"},
      // knowledge
      {catalog_with(p, R"({"keywords": ["x"]})"), "knowledge[0]: id: required key missing"},
      {catalog_with(p, R"({"id": "KB1"})"), "knowledge[0] (KB1): keywords: required key missing"},
      {catalog_with(p, R"({"id": "KB1", "keywords": []})"), "knowledge[0] (KB1): keywords: must not be empty"},
      {catalog_with(p, R"({"id": "KB1", "keywords": [""]})"), "knowledge[0] (KB1): keywords[0]: must not be empty"},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"], "models": ["XYZ-9"]})"),
       "knowledge[0] (KB1): models[0]: unknown model \"XYZ-9\""},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"], "models": "ABC-1"})"),
       "knowledge[0] (KB1): models: expected array"},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"], "self_service": true})"),
       "knowledge[0] (KB1): solution: required when self_service is true"},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"], "self_service": "yes"})"),
       "knowledge[0] (KB1): self_service: expected boolean"},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"], "symptom": ["x"]})"),
       "knowledge[0] (KB1): symptom: expected string"},
      {catalog_with(p, R"({"id": "KB1", "keywords": ["x"]}, {"id": "KB1", "keywords": ["y"]})"),
       "knowledge[1] (KB1): id: duplicate of knowledge[0]"},
      {R"({"products": [], "knowledge": {}})", "knowledge: expected array"},
      {R"({"products": [], "products": []})", "products: duplicate key"},
  }));
  CAPTURE(json);
  const std::string path = dir.write("catalog.json", json);
  CHECK_THROWS_WITH(bot::load_catalog(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("a valid staff file loads with defaults and normalised tokens", "[config][staff]") {
  const temp_dir dir;
  std::string upper = hex_a;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return c == 'a' ? 'A' : c; });
  const auto staff = bot::load_staff(dir.write(
      "staff.json", staff_with(engineer(R"(, "api_token_sha256": ")" + upper + R"(", "desk": "3F")") +
                               R"(, {"id": "A1", "name": "admin", "role": "admin"},
                                    {"id": "S1", "name": "主管", "role": "supervisor", "api_token_sha256": "",
                                     "notify": {"channel": "email", "address": "boss@example.com"}},
                                    {"id": "E2", "name": "王工", "role": "engineer", "on_duty": false, "max_open": 3,
                                     "skills": ["hvac"], "notify": {"channel": "wechat", "address": "oAbc_12-3"}})")));
  REQUIRE(staff.size() == 4);
  CHECK(staff[0].api_token_sha256 == hex_a);
  CHECK(staff[0].on_duty);
  CHECK(staff[0].max_open == 10);
  CHECK(staff[0].skills.empty());
  CHECK(staff[0].notify_channel == "sms");
  CHECK(staff[0].notify_address == "+8613900000001");
  CHECK(staff[1].notify_channel.empty());
  CHECK(staff[2].api_token_sha256.empty());
  CHECK_FALSE(staff[3].on_duty);
  CHECK(staff[3].max_open == 3);
  CHECK(staff[3].skills == std::vector<std::string>{"hvac"});
}

TEST_CASE("malformed staff files are refused naming the entry", "[config][staff]") {
  const temp_dir dir;
  const auto [json, expected] = GENERATE_COPY(table<std::string, std::string>({
      {R"({})", "staff: required key missing"},
      {R"({"staff": "E1"})", "staff: expected array"},
      {staff_with(R"({"name": "x", "role": "admin"})"), "staff[0]: id: required key missing"},
      {staff_with(R"({"id": "E1", "role": "admin"})"), "staff[0] (E1): name: required key missing"},
      {staff_with(R"({"id": "E1", "name": "x"})"), "staff[0] (E1): role: required key missing"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "manager"})"),
       "staff[0] (E1): role: must be one of engineer, supervisor, admin, not \"manager\""},
      {staff_with(R"({"id": "E 1", "name": "x", "role": "admin"})"), "staff[0] (E 1): id: must be at most 64"},
      {staff_with(R"({"id": "bot", "name": "x", "role": "admin"})"), "staff[0] (bot): id: \"bot\" is reserved"},
      {staff_with(engineer("") + ", " + engineer("")), "staff[1] (E1): id: duplicate of staff[0]"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer"})"), "staff[0] (E1): notify: required key missing"},
      {staff_with(R"({"id": "S1", "name": "x", "role": "supervisor"})"), "staff[0] (S1): notify: required key missing"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": "sms"})"),
       "staff[0] (E1): notify: expected object"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": {"channel": "fax", "address": "1"}})"),
       "staff[0] (E1): notify.channel: must be one of wechat, sms, email, not \"fax\""},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": {"channel": "sms"}})"),
       "staff[0] (E1): notify.address: required key missing"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": {"channel": "sms", "address": "13900000001"}})"),
       "staff[0] (E1): notify.address: must be an E.164 number"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": {"channel": "email", "address": "li"}})"),
       "staff[0] (E1): notify.address: must be an e-mail address"},
      {staff_with(R"({"id": "E1", "name": "x", "role": "engineer", "notify": {"channel": "wechat", "address": "o a"}})"),
       "staff[0] (E1): notify.address: must be a WeChat OpenID"},
      {staff_with(engineer(R"(, "phone": "13900000001")")), "staff[0] (E1): phone: must be an E.164 number"},
      {staff_with(engineer(R"(, "phone": 8613900000001)")), "staff[0] (E1): phone: expected string"},
      {staff_with(engineer(R"(, "skills": "laundry")")), "staff[0] (E1): skills: expected array"},
      {staff_with(engineer(R"(, "on_duty": "yes")")), "staff[0] (E1): on_duty: expected boolean"},
      {staff_with(engineer(R"(, "max_open": 0)")), "staff[0] (E1): max_open: must be between 1 and"},
      {staff_with(engineer(R"(, "max_open": "10")")), "staff[0] (E1): max_open: expected integer"},
      {staff_with(engineer(R"(, "api_token_sha256": "abc")")), "staff[0] (E1): api_token_sha256: must be 64 hex digits"},
      {staff_with(engineer(R"(, "api_token_sha256": ")" + std::string(63, 'a') + "g\"")),
       "staff[0] (E1): api_token_sha256: must be 64 hex digits"},
      {staff_with(engineer(R"(, "api_token_sha256": ")" + std::string(65, 'a') + "\"")),
       "staff[0] (E1): api_token_sha256: must be 64 hex digits"},
      {staff_with(engineer(R"(, "api_token_sha256": 1)")), "staff[0] (E1): api_token_sha256: expected string"},
      {staff_with(engineer(R"(, "api_token_sha256": ")" + hex_a + "\"") +
                  R"(, {"id": "A1", "name": "x", "role": "admin", "api_token_sha256": ")" + hex_a + "\"}"),
       "staff[1] (A1): api_token_sha256: same token as staff[0] (E1)"},
  }));
  CAPTURE(json);
  const std::string path = dir.write("staff.json", json);
  CHECK_THROWS_WITH(bot::load_staff(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("a minimal rules file gets the documented defaults", "[config][rules]") {
  const temp_dir dir;
  const auto rules = bot::load_rules(dir.write("rules.json", rules_with(R"(, "note": "extra fields are fine")")));
  REQUIRE(rules.assignment.size() == 1);
  CHECK(rules.assignment[0].when.empty());
  CHECK_FALSE(rules.assignment[0].alert_sms);
  CHECK(rules.survey_remind_after_hours == 24);
  CHECK(rules.survey_expire_after_hours == 168);
  CHECK(rules.dialog_idle_timeout_minutes == 30);
  // Without sla_minutes the product brief's service levels apply.
  CHECK(rules.sla_minutes.at("normal").respond == 240);
  CHECK(rules.sla_minutes.at("urgent").resolve == 1440);
  CHECK(rules.sla_minutes.at("critical").onsite == 120);

  SECTION("a given sla_minutes replaces the defaults entirely") {
    const auto given = bot::load_rules(dir.write("rules.json", rules_with(R"(, "sla_minutes": {"urgent": {"respond": 60}})")));
    CHECK(given.sla_minutes.size() == 1);
    CHECK(given.sla_minutes.at("urgent").respond == 60);
    CHECK_FALSE(given.sla_minutes.at("urgent").resolve);
  }
}

TEST_CASE("malformed rules files are refused naming the entry", "[config][rules]") {
  const temp_dir dir;
  const auto [json, expected] = GENERATE(table<std::string, std::string>({
      {R"({})", "assignment: required key missing"},
      {R"({"assignment": {}})", "assignment: expected array"},
      {R"({"assignment": [{"skills": []}]})", "assignment[0]: when: required key missing"},
      {R"({"assignment": [{"when": [], "skills": []}]})", "assignment[0]: when: expected object"},
      {R"({"assignment": [{"when": {"prio": "critical"}, "skills": []}]})",
       "assignment[0]: when.prio: unknown key (did you mean \"priority\"?)"},
      {R"({"assignment": [{"when": {"region": "north"}, "skills": []}]})", "assignment[0]: when.region: unknown key"},
      {R"({"assignment": [{"when": {"priority": "high"}, "skills": []}]})",
       "assignment[0]: when.priority: must be one of low, normal, urgent, critical, not \"high\""},
      {R"({"assignment": [{"when": {"type": "fault"}, "skills": []}]})", "assignment[0]: when.type: must be one of repair"},
      {R"({"assignment": [{"when": {"channel": "phone"}, "skills": []}]})", "assignment[0]: when.channel: must be one of"},
      {R"({"assignment": [{"when": {"line": 1}, "skills": []}]})", "assignment[0]: when.line: expected string"},
      {R"({"assignment": [{"when": {"model": ""}, "skills": []}]})", "assignment[0]: when.model: must not be empty"},
      {R"({"assignment": [{"when": {}}]})", "assignment[0]: skills: required key missing"},
      {R"({"assignment": [{"when": {}, "skills": "laundry"}]})", "assignment[0]: skills: expected array"},
      {R"({"assignment": [{"when": {}, "skills": [1]}]})", "assignment[0]: skills[0]: expected string"},
      {R"({"assignment": [{"when": {}, "skills": [], "alert_sms": "true"}]})", "assignment[0]: alert_sms: expected boolean"},
      {R"({"assignment": [{"when": {}, "skills": []}, {"when": {"line": "tv"}, "skills": ["tv"]}]})",
       "assignment[1]: never used: assignment[0] comes first"},
      {R"({"assignment": [{"when": {"line": "tv"}, "skills": []}, {"when": {"line": "tv", "type": "repair"}, "skills": []}]})",
       "assignment[1]: never used: assignment[0] comes first"},
      {rules_with(R"(, "sla_minutes": [])"), "sla_minutes: expected object"},
      {rules_with(R"(, "sla_minutes": {"high": {"respond": 5}})"), "sla_minutes.high: unknown key"},
      {rules_with(R"(, "sla_minutes": {"normal": {"respnd": 5}})"),
       "sla_minutes.normal.respnd: unknown key (did you mean \"respond\"?)"},
      {rules_with(R"(, "sla_minutes": {"normal": {"respond": 0}})"), "sla_minutes.normal.respond: must be between 1 and"},
      {rules_with(R"(, "sla_minutes": {"urgent": {"resolve": "24h"}})"), "sla_minutes.urgent.resolve: expected integer"},
      {rules_with(R"(, "sla_minutes": {"critical": {"onsite": -5}})"), "sla_minutes.critical.onsite: must be between 1"},
      {rules_with(R"(, "sla_minutes": {"low": 480})"), "sla_minutes.low: expected object"},
      {rules_with(R"(, "survey": {"remind_after": 24})"), "survey.remind_after: unknown key"},
      {rules_with(R"(, "survey": {"remind_after_hours": 0})"), "survey.remind_after_hours: must be between 1 and"},
      {rules_with(R"(, "survey": {"remind_after_hours": 200})"),
       "survey.expire_after_hours: must be greater than remind_after_hours (200)"},
      {rules_with(R"(, "survey": "daily")"), "survey: expected object"},
      {rules_with(R"(, "dialog": {"idle_timeout_minutes": 0})"), "dialog.idle_timeout_minutes: must be between 1 and"},
      {rules_with(R"(, "dialog": {"idle_timeout": 30})"), "dialog.idle_timeout: unknown key"},
      {R"({"assignment": [{"when": {}, "skills": [], "role": "admin"}]})",
       "assignment[0]: role: must be one of engineer, supervisor, not \"admin\""},
      {rules_with(R"(, "complaints": [])"), "complaints: expected object"},
      {rules_with(R"(, "complaints": {"reason": []})"), "complaints.reason: unknown key (did you mean \"reasons\"?)"},
      {rules_with(R"(, "complaints": {"reasons": [{"label": "慢"}]})"), "complaints.reasons[0]: id: required key missing"},
      {rules_with(R"(, "complaints": {"reasons": [{"id": "slow"}]})"), "(slow): label: required key missing"},
      {rules_with(R"(, "complaints": {"reasons": [{"id": "a", "label": "x"}, {"id": "a", "label": "y"}]})"),
       "id: duplicate reason \"a\""},
      {rules_with(R"(, "complaints": {"reasons": [{"id": "a", "label": "x", "keywords": "slow"}]})"),
       "keywords: expected array"},
      {rules_with(R"(, "complaints": {"reasons": [{"id": "a", "label": "x", "colour": "red"}]})"), "colour: unknown key"},
      {rules_with(R"(, "complaints": {"departments": [""]})"), "complaints.departments[0]: must not be empty"},
      {rules_with(R"(, "complaints": {"respond_minutes": 0})"), "complaints.respond_minutes: must be between 1 and"},
      {rules_with(R"(, "complaints": {"follow_up_after_hours": 96})"),
       "complaints.follow_up_after_hours: must be between 1 and 72"},
      {rules_with(R"(, "maintenance": {"remind_days": 7})"), "maintenance.remind_days: unknown key"},
      {rules_with(R"(, "maintenance": {"remind_days_before": -1})"), "maintenance.remind_days_before: must be between 0"},
      {rules_with(R"(, "maintenance": {"offer_valid_days": 0})"), "maintenance.offer_valid_days: must be between 1"},
  }));
  CAPTURE(json);
  const std::string path = dir.write("rules.json", json);
  CHECK_THROWS_WITH(bot::load_rules(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("rules are cross-checked against the catalog", "[config][rules]") {
  const temp_dir dir;
  const auto catalog = bot::load_catalog(dir.write(
      "catalog.json", catalog_with(R"({"model": "ABC-1", "name": "x", "line": "laundry", "serial_pattern": "^S",
                                       "warranty_months": 1})")));
  const auto [when, expected] = GENERATE(table<std::string, std::string>({
      {R"({"model": "XYZ-9"})", "rules.json: assignment[1]: when.model: unknown model \"XYZ-9\""},
      {R"({"line": "hvac"})", "rules.json: assignment[1]: when.line: no catalog product has line \"hvac\""},
  }));
  CAPTURE(when);
  const auto rules = bot::load_rules(dir.write(
      "rules.json", R"({"assignment": [{"when": {"priority": "critical"}, "skills": []}, {"when": )" + when +
                        R"(, "skills": []}]})"));
  CHECK_THROWS_WITH(bot::check_rules_against_catalog(rules, catalog, "rules.json"), StartsWith(expected));

  SECTION("known models (in any spelling) and lines pass") {
    const auto ok = bot::load_rules(dir.write(
        "ok.json", R"({"assignment": [{"when": {"model": "abc 1"}, "skills": []}, {"when": {"line": "laundry"}, "skills": []}]})"));
    CHECK_NOTHROW(bot::check_rules_against_catalog(ok, catalog, "ok.json"));
  }
}

TEST_CASE("complaint and maintenance settings load with defaults", "[config][rules]") {
  const temp_dir dir;
  const auto plain = bot::load_rules(dir.write("plain.json", rules_with("")));
  CHECK(plain.complaints.reasons.empty());
  CHECK(plain.complaints.respond_minutes == 60);
  CHECK(plain.complaints.follow_up_after_hours == 48);
  CHECK(plain.maintenance.remind_days_before == 7);
  CHECK(plain.assignment[0].role == "engineer");
  const auto given = bot::load_rules(dir.write(
      "given.json",
      R"({"assignment": [{"when": {"type": "complaint"}, "skills": [], "role": "supervisor"}],
          "complaints": {"reasons": [{"id": "attitude", "label": "态度差", "keywords": ["态度"]},
                                     {"id": "billing", "label": "收费", "label_en": "billing"}],
                         "departments": ["客服部"], "respond_minutes": 30, "follow_up_after_hours": 72},
          "maintenance": {"remind_days_before": 10, "offer_valid_days": 3}})"));
  CHECK(given.assignment[0].role == "supervisor");
  REQUIRE(given.complaints.reasons.size() == 2);
  CHECK(given.complaints.reasons[0].label_en == "态度差");  // defaults to the label
  CHECK(given.complaints.reasons[1].label_en == "billing");
  CHECK(given.complaints.reasons[0].keywords == std::vector<std::string>{"态度"});
  CHECK(given.complaints.departments == std::vector<std::string>{"客服部"});
  CHECK(given.complaints.respond_minutes == 30);
  CHECK(given.maintenance.remind_days_before == 10);
  CHECK(given.maintenance.offer_valid_days == 3);
}

namespace {
std::string agreement_with(const std::string& members) {
  return R"({"agreements": [{"id": "AG1", "customer": {"phone": "+8613800135678"}, "valid_from": "2026-01-01",
             "valid_to": "2026-12-31")" + members + "}]}";
}
}  // namespace

TEST_CASE("an agreements file loads; none configured means none", "[config][agreements]") {
  const temp_dir dir;
  CHECK(bot::load_agreements("").empty());
  const auto list = bot::load_agreements(dir.write("a.json", agreement_with(R"(, "models": ["ABC-2000"],
      "serials": ["SN5612345"], "sla_minutes": {"normal": {"respond": 60}}, "covered_services": ["repair"],
      "covered_parts": ["滤芯"], "parts_discount_percent": 15, "note": "operator's own field",
      "visit_plan": {"every_days": 90, "first_visit": "2026-03-01", "problem": "季度巡检"})")));
  REQUIRE(list.size() == 1);
  const auto& a = list[0];
  CHECK(a.id == "AG1");
  CHECK(a.customer_phone == "+8613800135678");
  CHECK(a.models == std::vector<std::string>{"ABC-2000"});
  CHECK(a.sla_minutes.at("normal").respond == 60);
  CHECK_FALSE(a.sla_minutes.at("normal").resolve);
  CHECK(a.covered_parts == std::vector<std::string>{"滤芯"});
  CHECK(a.parts_discount_percent == 15);
  REQUIRE(a.visits);
  CHECK(a.visits->every_days == 90);
  CHECK(a.visits->lead_days == 7);
  CHECK(a.visits->type == "value_added");

  const auto catalog = bot::load_catalog(dir.write(
      "catalog.json", catalog_with(R"({"model": "ABC-1", "name": "x", "line": "laundry", "serial_pattern": "^S",
                                       "warranty_months": 1})")));
  CHECK_THROWS_WITH(bot::check_agreements_against_catalog(list, catalog, "a.json"),
                    StartsWith("a.json: agreements[0] (AG1): models: unknown model \"ABC-2000\""));

  auto with_engineers = list;
  with_engineers[0].engineers = {"E1", "S1"};
  const auto staff = bot::load_staff(dir.write(
      "staff.json", staff_with(engineer("") + R"(, {"id": "S1", "name": "王", "role": "supervisor",
                                                   "notify": {"channel": "sms", "address": "+8613900000009"}})")));
  CHECK_THROWS_WITH(bot::check_agreements_against_staff(with_engineers, staff, "a.json"),
                    StartsWith("a.json: agreements[0] (AG1): engineers: \"S1\" is not an engineer"));
  with_engineers[0].engineers = {"E1"};
  CHECK_NOTHROW(bot::check_agreements_against_staff(with_engineers, staff, "a.json"));
}

// What SIGHUP and the start run (bot/main.cpp): every file, the cross-checks, all or nothing,
// and the file to fix named apart, for the reload_failed log line.
TEST_CASE("load_data_files loads the whole set or names the file at fault", "[config][data_files]") {
  const temp_dir dir;
  bot::config cfg;
  cfg.catalog_file = dir.write("catalog.json", catalog_with(R"({"model": "ABC-1", "name": "x", "line": "laundry",
                                                               "serial_pattern": "^S", "warranty_months": 1})"));
  cfg.staff_file = dir.write("staff.json", staff_with(engineer("")));
  cfg.rules_file = dir.write("rules.json", R"({"assignment": [{"when": {"line": "laundry"}, "skills": []}]})");
  cfg.agreements_file = dir.write("agreements.json", agreement_with(R"(, "models": ["ABC-1"], "engineers": ["E1"])"));

  const auto files = bot::load_data_files(cfg);
  CHECK(files.catalog.products.size() == 1);
  CHECK(files.catalog.index != nullptr);  // prepared
  REQUIRE(files.staff.size() == 1);
  CHECK(files.staff[0].id == "E1");
  CHECK(files.rules.assignment.size() == 1);
  CHECK(files.agreements.size() == 1);

  // The file the error names; its message starts with that path like every config_error.
  const auto file_at_fault = [](const bot::config& c) -> std::string {
    try {
      bot::load_data_files(c);
    } catch (const bot::data_file_error& e) {
      CHECK_THAT(e.what(), StartsWith(e.file() + ": "));
      return e.file();
    }
    return "<loaded>";
  };
  bot::config broken = cfg;
  SECTION("a file that is not JSON") {
    broken.staff_file = dir.write("staff-bad.json", R"({"staff": [)");
    CHECK(file_at_fault(broken) == broken.staff_file);
  }
  SECTION("a missing file") {
    broken.catalog_file = dir.file("nowhere.json");
    CHECK(file_at_fault(broken) == broken.catalog_file);
  }
  SECTION("a rule for a line no product has: the rules file, not the catalog") {
    broken.rules_file = dir.write("rules-bad.json", R"({"assignment": [{"when": {"line": "hvac"}, "skills": []}]})");
    CHECK(file_at_fault(broken) == broken.rules_file);
  }
  SECTION("an agreement naming an unknown model or a non-engineer: the agreements file") {
    broken.agreements_file = dir.write("a-bad.json", agreement_with(R"(, "models": ["XYZ-9"])"));
    CHECK(file_at_fault(broken) == broken.agreements_file);
    broken.agreements_file = dir.write("a-bad2.json", agreement_with(R"(, "engineers": ["E9"])"));
    CHECK(file_at_fault(broken) == broken.agreements_file);
  }
}

TEST_CASE("malformed agreements files are refused naming the entry", "[config][agreements]") {
  const temp_dir dir;
  const auto [json, expected] = GENERATE(table<std::string, std::string>({
      {R"({})", "agreements: required key missing"},
      {R"({"agreements": {}})", "agreements: expected array"},
      {R"({"agreements": [{"customer": {"phone": "+8613800135678"}}]})", "agreements[0]: id: required key missing"},
      {agreement_with("").replace(agreement_with("").find("+86"), 14, "13800135678"), "customer.phone: must be an E.164"},
      {R"({"agreements": [{"id": "A", "customer": {}, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}]})",
       "(A): customer: needs a phone or a customer_no"},
      {R"({"agreements": [{"id": "A", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}]})",
       "(A): customer: required key missing"},
      {agreement_with("").replace(agreement_with("").find("2026-12-31"), 10, "2026-02-30"),
       "valid_to: must be a date written YYYY-MM-DD, not \"2026-02-30\""},
      {agreement_with("").replace(agreement_with("").find("2026-12-31"), 10, "2025-12-31"),
       "valid_to: is before valid_from 2026-01-01"},
      {agreement_with("").replace(agreement_with("").find("2026-01-01"), 10, "2026/01/01"), "valid_from: must be a date"},
      {agreement_with(R"(, "sla_minutes": {"high": {"respond": 5}})"), "sla_minutes.high: unknown key"},
      {agreement_with(R"(, "sla_minutes": {"normal": {"respond": 0}})"), "sla_minutes.normal.respond: must be between 1"},
      {agreement_with(R"(, "covered_services": ["cleaning"])"), "covered_services[0]: must be one of repair"},
      {agreement_with(R"(, "covered_parts": "all")"), "covered_parts: expected array"},
      {agreement_with(R"(, "engineers": "E001")"), "engineers: expected array"},
      {agreement_with(R"(, "parts_discount_percent": 120)"), "parts_discount_percent: must be between 0 and 100"},
      {agreement_with(R"(, "visit_plan": {"every_days": 90, "first_visit": "2026-03-01"})"),
       "visit_plan.problem: required key missing"},
      {agreement_with(R"(, "visit_plan": {"every_days": 0, "first_visit": "2026-03-01", "problem": "x"})"),
       "visit_plan.every_days: must be between 1"},
      {agreement_with(R"(, "visit_plan": {"every": 90, "first_visit": "2026-03-01", "problem": "x"})"),
       "visit_plan.every: unknown key"},
      {R"({"agreements": [{"id": "AG1", "customer": {"customer_no": "C1"}, "valid_from": "2026-01-01",
                           "valid_to": "2026-12-31"},
                          {"id": "AG1", "customer": {"customer_no": "C2"}, "valid_from": "2026-01-01",
                           "valid_to": "2026-12-31"}]})",
       "agreements[1] (AG1): id: duplicate of agreements[0]"},
  }));
  CAPTURE(json);
  const std::string path = dir.write("agreements.json", json);
  CHECK_THROWS_WITH(bot::load_agreements(path), StartsWith(path + ": ") && Contains(expected));
}

TEST_CASE("the limits section has documented defaults and is strict", "[config][limits]") {
  SECTION("defaults without the section") {
    const auto cfg = bot::load_config_text("{}", "mem.json");
    CHECK(cfg.limits.sender_per_minute == 30);
    CHECK(cfg.limits.sender_burst == 30);
    CHECK(cfg.limits.sender_cooldown_seconds == 300);
    CHECK(cfg.limits.ip_per_second == 200);
    CHECK(cfg.limits.ip_burst == 1000);
    CHECK_FALSE(cfg.limits.trust_forwarded_for);
    CHECK(cfg.limits.max_connections == 1000);
    CHECK(cfg.limits.header_timeout_seconds == 10);
    CHECK(cfg.limits.body_timeout_seconds == 30);
    CHECK(cfg.limits.idle_timeout_seconds == 60);
    CHECK(cfg.limits.transcript_max_messages == 500);
  }
  SECTION("every key is read") {
    const auto cfg = bot::load_config_text(R"({"limits": {"sender_per_minute": 0, "sender_burst": 3,
        "sender_cooldown_seconds": 0, "ip_per_second": 7, "ip_burst": 9, "trust_forwarded_for": true,
        "max_connections": 5, "header_timeout_seconds": 2, "body_timeout_seconds": 3, "idle_timeout_seconds": 4,
        "transcript_max_messages": 10}})",
                                           "mem.json");
    CHECK(cfg.limits.sender_per_minute == 0);
    CHECK(cfg.limits.sender_burst == 3);
    CHECK(cfg.limits.sender_cooldown_seconds == 0);
    CHECK(cfg.limits.ip_per_second == 7);
    CHECK(cfg.limits.ip_burst == 9);
    CHECK(cfg.limits.trust_forwarded_for);
    CHECK(cfg.limits.max_connections == 5);
    CHECK(cfg.limits.header_timeout_seconds == 2);
    CHECK(cfg.limits.body_timeout_seconds == 3);
    CHECK(cfg.limits.idle_timeout_seconds == 4);
    CHECK(cfg.limits.transcript_max_messages == 10);
  }
  SECTION("malformed values name the key path") {
    const auto [json, expected] = GENERATE(table<std::string, std::string>({
        {R"({"limits": []})", "limits: expected object"},
        {R"({"limits": {"sender_rate": 1}})", "limits.sender_rate: unknown key"},
        {R"({"limits": {"ip_burst": 0}})", "limits.ip_burst: must be between 1 and 1000000, not 0"},
        {R"({"limits": {"sender_per_minute": -1}})", "limits.sender_per_minute: must be between 0 and 100000"},
        {R"({"limits": {"max_connections": "10"}})", "limits.max_connections: expected integer"},
        {R"({"limits": {"header_timeout_seconds": 0}})", "limits.header_timeout_seconds: must be between 1 and 3600"},
        {R"({"limits": {"transcript_max_messages": 5}})", "limits.transcript_max_messages: must be between 10"},
        {R"({"limits": {"trust_forwarded_for": "yes"}})", "limits.trust_forwarded_for: expected boolean"},
    }));
    CAPTURE(json);
    CHECK_THROWS_WITH(bot::load_config_text(json, "mem.json"), StartsWith("mem.json: ") && Contains(expected));
  }
}

TEST_CASE("load_config_text reads JSON from memory with the file loader's rules", "[config]") {
  CHECK(bot::load_config_text(R"({"listen": {"port": 9000}})", "inline").listen_port == 9000);
  CHECK_THROWS_WITH(bot::load_config_text("{\"a\": 1} x", "inline"), StartsWith("inline: invalid JSON at line 1"));
  CHECK_THROWS_WITH(bot::load_config_text(std::string("{}\0", 3), "inline"), Contains("NUL byte"));
  CHECK_THROWS_WITH(bot::load_config_text(R"({"listn": {}})", "inline"), Contains("listn: unknown key"));
}
