// Config and data-file loading (contract: "Config file", "Data files"; reference: docs/config.md).
#include "bot/config.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <set>
#include <span>
#include <string_view>
#include <utility>

namespace bot {
namespace {

namespace rj = rapidjson;

// Encoding validation so a file saved in the wrong encoding fails here rather than in a
// customer's message. Comments, NaN and trailing commas stay off: the file is plain JSON.
// Without kParseStopWhenDoneFlag RapidJSON rejects anything after the root value, which is the
// trailing-garbage check. No kParseFullPrecisionFlag: every number we accept is an integer
// (parsed exactly either way; a fraction or exponent is refused as "expected integer"), and
// RapidJSON 1.1.0's full-precision path calls clz(0) on inputs like "0e77" (undefined
// behaviour; found by tests/fuzz, kept in tests/fuzz/regressions/config/).
constexpr unsigned parse_flags = rj::kParseValidateEncodingFlag;

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

constexpr std::array<std::string_view, 8> ticket_types{
    "repair", "usage", "complaint", "return", "installation", "value_added", "emergency", "remote"};
constexpr std::array<std::string_view, 4> priorities{"low", "normal", "urgent", "critical"};
constexpr std::array<std::string_view, 4> ticket_channels{"wechat", "sms", "email", "api"};

// Upper bounds that only exist so a typo (an extra digit) cannot overflow time arithmetic.
constexpr int max_minutes = 10 * 365 * 24 * 60;
constexpr int max_hours = 10 * 365 * 24;

bool contains(std::span<const std::string_view> set, std::string_view value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

std::string join(std::span<const std::string_view> values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Messages must stay one line (they end up in a log line and an exit reason), whatever
// control characters a key or value contains.
std::string one_line(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return text;
}

// Levenshtein distance, to suggest the key an unknown key was probably meant to be.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view key, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits away is a different word, not a typo
  for (auto k : known) {
    // An abbreviation ("prio" for "priority") is as likely a slip as a misspelling.
    const bool abbreviation = key.size() >= 3 && k.starts_with(key);
    const std::size_t d = abbreviation ? 1 : edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean \"" + std::string(best) + "\"?)";
}

std::string quoted(std::string_view value) {
  // Enough of a wrong value to recognise it; enum-like values are never secrets.
  constexpr std::size_t limit = 40;
  std::string out = "\"" + std::string(value.substr(0, limit));
  if (value.size() > limit) out += "...";
  return out + "\"";
}

// ---------------------------------------------------------------------------------------
// Reading the file

std::string read_file(const std::string& path) {
  struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw config_error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  std::array<char, 65536> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) text.append(buffer.data(), n);
  // fopen succeeds on a directory; the read is what fails (EISDIR).
  if (std::ferror(file.get())) throw config_error(path + ": cannot read: " + std::strerror(errno));
  return text;
}

std::string position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1) +
         " (offset " + std::to_string(offset) + ")";
}

std::string join_key(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string join_index(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// RapidJSON keeps duplicate keys and FindMember returns the first, so a second "port" further
// down would be silently ignored; reject them everywhere, config and data files alike.
void reject_duplicate_keys(const rj::Value& value, const std::string& path, const std::string& file) {
  if (value.IsObject()) {
    std::set<std::string_view> seen;
    for (auto m = value.MemberBegin(); m != value.MemberEnd(); ++m) {
      const std::string_view key(m->name.GetString(), m->name.GetStringLength());
      const std::string child = join_key(path, key);
      if (!seen.insert(key).second) throw config_error(one_line(file + ": " + child + ": duplicate key"));
      reject_duplicate_keys(m->value, child, file);
    }
  } else if (value.IsArray()) {
    for (rj::SizeType i = 0; i < value.Size(); ++i) reject_duplicate_keys(value[i], join_index(path, i), file);
  }
}

// Parses `text` (read from `path`, which only names it in messages) into `doc`.
void parse_json_text(std::string_view text, const std::string& path, rj::Document& doc) {
  // Editors on some systems save UTF-8 with a BOM; it carries no meaning, so accept it.
  const std::size_t start = std::string_view(text).starts_with(utf8_bom) ? utf8_bom.size() : 0;
  // RapidJSON's memory stream reads a NUL byte as end of input, which would hide whatever
  // follows it from the trailing-garbage check.
  if (const auto nul = text.find('\0', start); nul != std::string::npos)
    throw config_error(path + ": invalid JSON at " + position(text, nul) + ": NUL byte");
  doc.Parse<parse_flags>(text.data() + start, text.size() - start);
  if (doc.HasParseError())
    throw config_error(path + ": invalid JSON at " + position(text, start + doc.GetErrorOffset()) + ": " +
                       rj::GetParseError_En(doc.GetParseError()));
  reject_duplicate_keys(doc, "", path);
}

void parse_json(const std::string& path, rj::Document& doc) { parse_json_text(read_file(path), path, doc); }

// ---------------------------------------------------------------------------------------
// Walking the document

// What is true of the whole file being read.
struct origin {
  std::string file;
  bool expand_env = false;  // ${NAME} substitution: the config file only, not the data files
};

// A JSON value with where it sits, so every error can say "<file>: <entry>: <key path>: ...".
// `entry` labels a data-file entry ("products[2] (XYZ-100)"); `path` is the key path within.
class node {
 public:
  node(const origin& from, const rj::Value& value) : from_(&from), value_(&value) {}

  const rj::Value& json() const { return *value_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(std::string_view what) const { fail_at(path_, what); }
  [[noreturn]] void fail_member(std::string_view key, std::string_view what) const {
    fail_at(join_key(path_, key), what);
  }

  void expect_object() const {
    if (!value_->IsObject()) fail("expected object");
  }

  std::size_t size() const {
    if (!value_->IsArray()) fail("expected array");
    return value_->Size();
  }

  std::vector<std::string_view> keys() const {
    expect_object();
    std::vector<std::string_view> out;
    for (auto m = value_->MemberBegin(); m != value_->MemberEnd(); ++m)
      out.emplace_back(m->name.GetString(), m->name.GetStringLength());
    return out;
  }

  // The member `key`, or nullopt when absent. Fails when this is not an object.
  std::optional<node> find(std::string_view key) const {
    expect_object();
    for (auto m = value_->MemberBegin(); m != value_->MemberEnd(); ++m) {
      if (std::string_view(m->name.GetString(), m->name.GetStringLength()) != key) continue;
      node child(*from_, m->value);
      child.entry_ = entry_;
      child.path_ = join_key(path_, key);
      return child;
    }
    return std::nullopt;
  }

  node require(std::string_view key) const {
    if (auto child = find(key)) return *child;
    fail_member(key, "required key missing");
  }

  node element(std::size_t index) const {
    const std::size_t n = size();
    if (index >= n) fail("index out of range");
    node child(*from_, (*value_)[static_cast<rj::SizeType>(index)]);
    child.entry_ = entry_;
    child.path_ = join_index(path_, index);
    return child;
  }

  // This value as the root of a data-file entry: errors inside name `label`, then the key.
  node as_entry(std::string label) const {
    node out(*from_, *value_);
    out.entry_ = std::move(label);
    return out;
  }

  // Strict objects: every key must be one of `known`.
  void allow_keys(std::span<const std::string_view> known) const {
    for (auto key : keys())
      if (!contains(known, key)) fail_member(key, "unknown key" + suggestion(key, known));
  }
  void allow_keys(std::initializer_list<std::string_view> known) const {
    allow_keys(std::span<const std::string_view>(known.begin(), known.size()));
  }

  // A string value; in the config file "${NAME}" is replaced by the environment variable.
  std::string text() const {
    if (!value_->IsString()) fail("expected string");
    std::string s(value_->GetString(), value_->GetStringLength());
    // "\u0000" is valid JSON but would truncate the value wherever it meets a C API.
    if (s.find('\0') != std::string::npos) fail("contains a NUL character");
    return from_->expand_env ? expand(std::move(s)) : s;
  }

  std::string non_empty_text() const {
    std::string s = text();
    if (s.empty()) fail("must not be empty");
    return s;
  }

  std::string one_of(std::span<const std::string_view> allowed) const {
    std::string s = text();
    if (!contains(allowed, s)) fail("must be one of " + join(allowed) + ", not " + quoted(s));
    return s;
  }
  std::string one_of(std::initializer_list<std::string_view> allowed) const {
    return one_of(std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }

  int integer(int min, int max) const {
    // RapidJSON types 8080.0 and 1e3 as doubles: both are refused, a count is written as one.
    if (!value_->IsInt64() && !value_->IsUint64()) fail("expected integer");
    const bool in_range = value_->IsInt64() && value_->GetInt64() >= min && value_->GetInt64() <= max;
    if (!in_range) {
      const std::string got = value_->IsInt64() ? std::to_string(value_->GetInt64())
                                                : std::to_string(value_->GetUint64());
      fail((max == INT_MAX ? "must be at least " + std::to_string(min)
                           : "must be between " + std::to_string(min) + " and " + std::to_string(max)) +
           ", not " + got);
    }
    return static_cast<int>(value_->GetInt64());
  }

  bool boolean() const {
    if (!value_->IsBool()) fail("expected boolean");
    return value_->GetBool();
  }

  // An array of non-empty strings.
  std::vector<std::string> text_list() const {
    std::vector<std::string> out;
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) out.push_back(element(i).non_empty_text());
    return out;
  }

 private:
  [[noreturn]] void fail_at(const std::string& path, std::string_view what) const {
    std::string message = from_->file + ": ";
    if (!entry_.empty()) message += entry_ + ": ";
    if (!path.empty()) message += path + ": ";
    message += what;
    throw config_error(one_line(std::move(message)));
  }

  // Only the whole-value form is substituted: a password that merely contains "${" must
  // stay as written, and the contract promises no more.
  std::string expand(std::string s) const {
    if (s.size() < 3 || !s.starts_with("${") || !s.ends_with("}")) return s;
    const std::string name = s.substr(2, s.size() - 3);
    const bool valid = !name.empty() && !is_digit(name[0]) &&
                       std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_'; });
    if (!valid) fail(quoted(s) + " is not a valid ${NAME} reference");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) fail("environment variable " + name + " is not set");
    return value;
  }

  const origin* from_;
  const rj::Value* value_;
  std::string entry_, path_;
};

node top_level(const origin& from, const rj::Document& doc) {
  node root(from, doc);
  if (!doc.IsObject()) throw config_error(from.file + ": expected a JSON object at the top level");
  return root;
}

// Element `index` of a data-file list as an entry labelled "products[2] (XYZ-100)", the id
// taken from `id_key` when it is a non-empty string.
node entry_at(const node& list, std::size_t index, std::string_view id_key) {
  const node item = list.element(index);
  std::string label = item.path();
  if (!id_key.empty() && item.json().IsObject()) {
    const auto& v = item.json();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      if (std::string_view(m->name.GetString(), m->name.GetStringLength()) != id_key) continue;
      if (m->value.IsString() && m->value.GetStringLength() > 0)
        label += " (" + std::string(m->value.GetString(), m->value.GetStringLength()) + ")";
    }
  }
  node entry = item.as_entry(std::move(label));
  entry.expect_object();
  return entry;
}

// ---------------------------------------------------------------------------------------
// URLs

struct url_parts {
  std::string scheme;  // lower case
  std::string host;    // "[::1]" kept in brackets
};

// Splits scheme://[userinfo@]host[:port][/path]; nullopt when it is not of that shape.
std::optional<url_parts> split_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; }))
    return std::nullopt;
  url_parts out{lower_ascii(url.substr(0, sep)), {}};
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(0, close + 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":") || rest.size() == 1) return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = lower_ascii(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (out.host.empty() || out.host == "[]") return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) return std::nullopt;
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
  }
  return out;
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  return host.starts_with("127.") &&
         std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
}

struct url_rule {
  std::vector<std::string_view> any_host;  // schemes allowed towards any host
  std::string_view loopback_only;          // scheme allowed only towards loopback
  std::string_view loopback_hint;          // why, and what to use instead
};

// A URL checked against `rule`, returned without trailing slashes so callers can append
// "/path" without doubling it.
std::string read_url(const node& n, const url_rule& rule) {
  std::string url = n.non_empty_text();
  std::vector<std::string_view> schemes = rule.any_host;
  if (!rule.loopback_only.empty()) schemes.push_back(rule.loopback_only);
  std::string expected;
  for (auto s : schemes) expected += (expected.empty() ? "" : " or ") + std::string(s) + "://";
  const auto parts = split_url(url);
  if (!parts || !contains(schemes, parts->scheme)) n.fail("must be a URL starting with " + expected);
  if (url.find_first_of("?#") != std::string::npos) n.fail("must not contain a query or fragment");
  if (parts->scheme == rule.loopback_only && !contains(rule.any_host, parts->scheme) && !is_loopback(parts->host))
    n.fail(std::string(rule.loopback_only) + ":// is only allowed towards a loopback host" +
           std::string(rule.loopback_hint));
  while (url.ends_with("/")) url.pop_back();
  return url;
}

// ---------------------------------------------------------------------------------------
// The config file

void read_listen(const node& n, config& cfg) {
  n.allow_keys({"address", "port"});
  if (auto v = n.find("address")) cfg.listen_address = v->non_empty_text();
  if (auto v = n.find("port")) cfg.listen_port = v->integer(0, 65535);
}

store_config read_store(const node& n) {
  static constexpr std::array<std::string_view, 2> sqlite_keys{"driver", "path"};
  static constexpr std::array<std::string_view, 7> mysql_keys{"driver",   "host",     "port",     "user",
                                                              "password", "database", "pool_size"};
  store_config s;
  n.expect_object();
  if (auto v = n.find("driver")) s.driver = v->one_of({"sqlite", "mysql"});
  const bool sqlite = s.driver == "sqlite";
  const std::span<const std::string_view> own = sqlite ? std::span<const std::string_view>(sqlite_keys)
                                                       : std::span<const std::string_view>(mysql_keys);
  const std::span<const std::string_view> other = sqlite ? std::span<const std::string_view>(mysql_keys)
                                                         : std::span<const std::string_view>(sqlite_keys);
  // A key of the other driver is most likely a half-finished switch; say that, not "unknown".
  for (auto key : n.keys())
    if (!contains(own, key) && contains(other, key))
      n.fail_member(key, std::string("only valid with driver ") + (sqlite ? "mysql" : "sqlite"));
  n.allow_keys(own);

  if (sqlite) {
    if (auto v = n.find("path")) s.path = v->non_empty_text();
    return s;
  }
  s.path.clear();
  if (auto v = n.find("host")) s.host = v->non_empty_text();
  if (auto v = n.find("port")) s.port = v->integer(1, 65535);
  // An empty user would connect as the anonymous account and fail later with a vaguer error.
  s.user = n.require("user").non_empty_text();
  if (auto v = n.find("password")) s.password = v->text();
  if (auto v = n.find("database")) s.database = v->non_empty_text();
  if (auto v = n.find("pool_size")) s.pool_size = v->integer(1, 1024);
  return s;
}

bool is_base64_char(char c) { return is_alnum(c) || c == '+' || c == '/'; }

const url_rule api_base_rule{{"https"}, "http", "; use https://"};

wechat_config read_wechat(const node& n) {
  n.allow_keys({"token", "app_id", "app_secret", "encoding_aes_key", "api_base", "cs_quota", "template_ids"});
  wechat_config w;
  w.token = n.require("token").non_empty_text();
  w.app_id = n.require("app_id").non_empty_text();
  w.app_secret = n.require("app_secret").non_empty_text();
  if (auto v = n.find("encoding_aes_key")) {
    // WeChat's EncodingAESKey is 43 Base64 characters (32 bytes without the "=" padding);
    // the value itself is a secret, so the message does not repeat it.
    w.encoding_aes_key = v->text();
    const auto& k = w.encoding_aes_key;
    if (!k.empty() && (k.size() != 43 || !std::all_of(k.begin(), k.end(), is_base64_char)))
      v->fail("must be 43 Base64 characters (or empty for plain mode only), got " + std::to_string(k.size()) +
              " characters");
  }
  if (auto v = n.find("api_base")) w.api_base = read_url(*v, api_base_rule);
  if (auto v = n.find("cs_quota")) w.cs_quota = v->integer(1, INT_MAX);
  if (auto v = n.find("template_ids"))
    for (auto key : v->keys()) w.template_ids[std::string(key)] = v->find(key)->non_empty_text();
  return w;
}

sms_config read_sms(const node& n) {
  n.allow_keys({"provider", "account_sid", "auth_token", "from", "api_base", "reply"});
  sms_config s;
  if (auto v = n.find("provider")) s.provider = v->one_of({"twilio"});
  s.account_sid = n.require("account_sid").non_empty_text();
  s.auth_token = n.require("auth_token").non_empty_text();
  s.from = n.require("from").non_empty_text();
  if (auto v = n.find("api_base")) s.api_base = read_url(*v, api_base_rule);
  if (auto v = n.find("reply")) s.reply = v->one_of({"rest", "twiml"});
  return s;
}

email_config read_email(const node& n) {
  n.allow_keys({"provider", "signing_key", "from", "smtp_url", "smtp_user", "smtp_password", "starttls"});
  email_config e;
  if (auto v = n.find("provider")) e.provider = v->one_of({"mailgun"});
  e.signing_key = n.require("signing_key").non_empty_text();
  const node from = n.require("from");
  e.from = from.non_empty_text();
  if (e.from.find('@') == std::string::npos) from.fail("must be an e-mail address");
  if (auto v = n.find("starttls")) e.starttls = v->one_of({"auto", "required", "off"});
  if (auto v = n.find("smtp_url")) {
    // Plain smtp:// to a remote host is fine only when STARTTLS cannot be skipped: with
    // "auto" a man in the middle could strip the STARTTLS offer and read the mail.
    e.smtp_url = e.starttls == "required"
                     ? read_url(*v, {{"smtps", "smtp"}, "", ""})
                     : read_url(*v, {{"smtps"}, "smtp", " unless \"starttls\" is \"required\"; or use smtps://"});
  }
  if (auto v = n.find("smtp_user")) e.smtp_user = v->text();
  if (auto v = n.find("smtp_password")) e.smtp_password = v->text();
  if (e.smtp_user.empty() && !e.smtp_password.empty())
    n.fail_member("smtp_password", "is set but smtp_user is empty (AUTH is used only when smtp_user is set)");
  return e;
}

void read_channels(const node& n, config& cfg) {
  n.allow_keys({"wechat", "sms", "email"});
  if (auto v = n.find("wechat")) cfg.wechat = read_wechat(*v);
  if (auto v = n.find("sms")) cfg.sms = read_sms(*v);
  if (auto v = n.find("email")) cfg.email = read_email(*v);
}

// ---------------------------------------------------------------------------------------
// The data files

bool is_e164(std::string_view s) {
  return s.size() >= 8 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
         std::all_of(s.begin() + 1, s.end(), is_digit);
}

bool is_email_address(std::string_view s) {
  const auto at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() && s.find('@', at + 1) == std::string_view::npos &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
}

bool is_openid(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

dialogs::product read_product(const node& e) {
  dialogs::product p;
  p.model = e.require("model").non_empty_text();
  p.name = e.require("name").non_empty_text();
  if (auto v = e.find("name_en")) p.name_en = v->text();
  if (auto v = e.find("line")) p.line = v->text();
  if (auto v = e.find("aliases")) p.aliases = v->text_list();
  const node pattern = e.require("serial_pattern");
  p.serial_pattern = pattern.non_empty_text();
  try {
    p.serial_regex = std::regex(p.serial_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& err) {
    pattern.fail(std::string("invalid regex: ") + err.what());
  }
  p.warranty_months = e.require("warranty_months").integer(0, 1200);
  if (auto v = e.find("maintenance_cycle_days")) p.maintenance_cycle_days = v->integer(0, 36500);
  return p;
}

dialogs::knowledge_entry read_knowledge(const node& e, const dialogs::catalog& cat) {
  dialogs::knowledge_entry k;
  k.id = e.require("id").non_empty_text();
  if (auto list = e.find("models")) {
    const std::size_t n = list->size();
    for (std::size_t i = 0; i < n; ++i) {
      const node item = list->element(i);
      const dialogs::product* p = cat.find_model(item.non_empty_text());
      if (p == nullptr) item.fail("unknown model " + quoted(item.text()) + " (not in products)");
      // The catalog's spelling, so later comparisons can be plain string equality.
      k.models.push_back(p->model);
    }
  }
  const node keywords = e.require("keywords");
  k.keywords = keywords.text_list();
  if (k.keywords.empty()) keywords.fail("must not be empty");
  if (auto v = e.find("symptom")) k.symptom = v->text();
  if (auto v = e.find("cause")) k.cause = v->text();
  if (auto v = e.find("solution")) k.solution = v->text();
  if (auto v = e.find("self_service")) k.self_service = v->boolean();
  if (k.self_service && k.solution.empty())
    e.fail_member("solution", "required when self_service is true (it is what the customer is offered)");
  return k;
}

staff_member read_staff_member(const node& e) {
  staff_member s;
  const node id = e.require("id");
  s.id = id.non_empty_text();
  // The id shows up in API paths and query strings and as the actor in ticket history,
  // where "bot" and "customer" already mean something else.
  if (s.id.size() > 64 ||
      !std::all_of(s.id.begin(), s.id.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; }))
    id.fail("must be at most 64 letters, digits, '_', '-' or '.'");
  if (s.id == "bot" || s.id == "customer") id.fail(quoted(s.id) + " is reserved (it is an actor in ticket history)");
  s.name = e.require("name").non_empty_text();
  s.role = e.require("role").one_of({"engineer", "supervisor", "admin"});
  if (auto v = e.find("skills")) s.skills = v->text_list();
  if (auto v = e.find("on_duty")) s.on_duty = v->boolean();
  if (auto v = e.find("max_open")) s.max_open = v->integer(1, 100000);

  // Engineers are told about assignments and supervisors about unassignable tickets, so
  // both need a way to be reached; an admin may have none.
  std::optional<node> notify = s.role == "admin" ? e.find("notify") : std::optional<node>(e.require("notify"));
  if (notify) {
    notify->expect_object();
    s.notify_channel = notify->require("channel").one_of({"wechat", "sms", "email"});
    const node address = notify->require("address");
    s.notify_address = address.non_empty_text();
    if (s.notify_channel == "sms" && !is_e164(s.notify_address))
      address.fail("must be an E.164 number such as +8613900000001");
    if (s.notify_channel == "email" && !is_email_address(s.notify_address)) address.fail("must be an e-mail address");
    if (s.notify_channel == "wechat" && !is_openid(s.notify_address))
      address.fail("must be a WeChat OpenID (letters, digits, '_' and '-')");
  }

  // Optional: a mobile number for critical alerts by SMS when the notify channel is another one.
  if (auto v = e.find("phone")) {
    s.phone = v->non_empty_text();
    if (!is_e164(s.phone)) v->fail("must be an E.164 number such as +8613900000001");
  }

  if (auto v = e.find("api_token_sha256")) {
    std::string hex = lower_ascii(v->text());
    const bool valid = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                         return is_digit(c) || (c >= 'a' && c <= 'f');
                       });
    // Empty means "no API access", so a token can be revoked by blanking it.
    if (!hex.empty() && !valid) v->fail("must be 64 hex digits (the SHA-256 of the bearer token)");
    s.api_token_sha256 = std::move(hex);
  }
  return s;
}

assignment_rule read_assignment_rule(const node& e) {
  assignment_rule r;
  // `when` is strict even though the file is not: a misspelt condition would be dropped and
  // the rule would match every ticket. It is also required, for the same reason.
  const node when = e.require("when");
  when.allow_keys({"type", "line", "model", "priority", "channel"});
  for (auto key : when.keys()) {
    const node value = *when.find(key);
    std::string v = key == "type"       ? value.one_of(ticket_types)
                    : key == "priority" ? value.one_of(priorities)
                    : key == "channel"  ? value.one_of(ticket_channels)
                                        : value.non_empty_text();
    r.when.emplace(std::string(key), std::move(v));
  }
  // Required: a misspelt "skills" would otherwise mean "any engineer".
  r.skills = e.require("skills").text_list();
  if (auto v = e.find("alert_sms")) r.alert_sms = v->boolean();
  if (auto v = e.find("role")) r.role = v->one_of({"engineer", "supervisor"});
  return r;
}

// A calendar date written YYYY-MM-DD that exists (2026-02-30 does not).
std::string read_date(const node& n) {
  std::string text = n.text();
  int y = 0, m = 0, d = 0;
  char tail = 0;
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!shaped || !ymd.ok()) n.fail("must be a date written YYYY-MM-DD, not " + quoted(text));
  return text;
}

complaint_policy read_complaint_policy(const node& n) {
  n.allow_keys({"reasons", "departments", "respond_minutes", "follow_up_after_hours"});
  complaint_policy p;
  if (auto reasons = n.find("reasons")) {
    std::set<std::string> ids;
    for (std::size_t i = 0, count = reasons->size(); i < count; ++i) {
      const node e = entry_at(*reasons, i, "id");
      e.allow_keys({"id", "label", "label_en", "keywords"});
      complaint_reason r;
      r.id = e.require("id").non_empty_text();
      if (!ids.insert(r.id).second) e.fail_member("id", "duplicate reason " + quoted(r.id));
      r.label = e.require("label").non_empty_text();
      r.label_en = e.find("label_en") ? e.find("label_en")->non_empty_text() : r.label;
      if (auto v = e.find("keywords")) r.keywords = v->text_list();
      p.reasons.push_back(std::move(r));
    }
  }
  if (auto v = n.find("departments")) p.departments = v->text_list();
  if (auto v = n.find("respond_minutes")) p.respond_minutes = v->integer(1, max_minutes);
  // product.md: complaint customers get their follow-up visit within 3 days.
  if (auto v = n.find("follow_up_after_hours")) p.follow_up_after_hours = v->integer(1, 72);
  return p;
}

// A later rule whose conditions include all of an earlier rule's is never reached, since
// the first matching rule wins; that is always a mistake in the file's order.
void reject_shadowed_rules(const std::vector<assignment_rule>& list, const node& assignment) {
  for (std::size_t later = 0; later < list.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const auto& e = list[earlier].when;
      const auto& l = list[later].when;
      const bool covered = std::all_of(e.begin(), e.end(), [&](const auto& kv) {
        const auto it = l.find(kv.first);
        return it != l.end() && it->second == kv.second;
      });
      if (covered)
        entry_at(assignment, later, "")
            .fail("never used: assignment[" + std::to_string(earlier) +
                  "] comes first and matches every ticket this rule matches");
    }
  }
}

sla_policy read_sla_policy(const node& n) {
  n.allow_keys({"respond", "resolve", "onsite"});
  sla_policy p;
  if (auto v = n.find("respond")) p.respond = v->integer(1, max_minutes);
  if (auto v = n.find("resolve")) p.resolve = v->integer(1, max_minutes);
  if (auto v = n.find("onsite")) p.onsite = v->integer(1, max_minutes);
  return p;
}

// The product brief's service levels (and the contract example's "low"), used when the
// rules file has no sla_minutes at all.
std::map<std::string, sla_policy> default_sla() {
  return {{"low", {480, std::nullopt, std::nullopt}},
          {"normal", {240, std::nullopt, std::nullopt}},
          {"urgent", {120, 1440, std::nullopt}},
          {"critical", {15, std::nullopt, 120}}};
}

// Beyond the contract: the "limits" section (docs/config.md).
limits_config read_limits(const node& n) {
  n.allow_keys({"sender_per_minute", "sender_burst", "sender_cooldown_seconds", "ip_per_second", "ip_burst",
                "trust_forwarded_for", "max_connections", "header_timeout_seconds", "body_timeout_seconds",
                "idle_timeout_seconds", "transcript_max_messages"});
  limits_config l;
  if (auto v = n.find("sender_per_minute")) l.sender_per_minute = v->integer(0, 100000);
  if (auto v = n.find("sender_burst")) l.sender_burst = v->integer(1, 100000);
  if (auto v = n.find("sender_cooldown_seconds")) l.sender_cooldown_seconds = v->integer(0, 86400);
  if (auto v = n.find("ip_per_second")) l.ip_per_second = v->integer(0, 1000000);
  if (auto v = n.find("ip_burst")) l.ip_burst = v->integer(1, 1000000);
  if (auto v = n.find("trust_forwarded_for")) l.trust_forwarded_for = v->boolean();
  // Each connection is a file descriptor; the process limit (ulimit -n) must be above this.
  if (auto v = n.find("max_connections")) l.max_connections = v->integer(1, 1000000);
  if (auto v = n.find("header_timeout_seconds")) l.header_timeout_seconds = v->integer(1, 3600);
  if (auto v = n.find("body_timeout_seconds")) l.body_timeout_seconds = v->integer(1, 3600);
  if (auto v = n.find("idle_timeout_seconds")) l.idle_timeout_seconds = v->integer(1, 3600);
  if (auto v = n.find("transcript_max_messages")) l.transcript_max_messages = v->integer(10, 1000000);
  return l;
}

config config_from_document(const rj::Document& doc, const std::string& path);

}  // namespace

config load_config(const std::string& path) {
  rj::Document doc;
  parse_json(path, doc);
  return config_from_document(doc, path);
}

config load_config_text(std::string_view text, const std::string& origin_name) {
  rj::Document doc;
  parse_json_text(text, origin_name, doc);
  return config_from_document(doc, origin_name);
}

namespace {

config config_from_document(const rj::Document& doc, const std::string& path) {
  const origin from{path, true};
  const node root = top_level(from, doc);
  root.allow_keys({"listen", "public_base_url", "default_language", "timezone", "store", "channels", "catalog_file",
                   "staff_file", "rules_file", "agreements_file", "test_clock", "log_level", "outbox", "limits"});

  config cfg;
  if (auto v = root.find("listen")) read_listen(*v, cfg);
  if (auto v = root.find("public_base_url")) {
    cfg.public_base_url = read_url(*v, {{"http", "https"}, "", ""});
  } else {
    // Without one, gateways are assumed to call the listening address directly.
    const bool ipv6 = cfg.listen_address.find(':') != std::string::npos;
    cfg.public_base_url = "http://" + (ipv6 ? "[" + cfg.listen_address + "]" : cfg.listen_address) + ":" +
                          std::to_string(cfg.listen_port);
  }
  if (auto v = root.find("default_language")) cfg.default_language = v->one_of({"zh-CN", "en"});
  if (auto v = root.find("timezone")) cfg.timezone = v->text();  // the caller checks the zone exists
  if (auto v = root.find("store")) cfg.store = read_store(*v);
  if (auto v = root.find("channels")) read_channels(*v, cfg);
  if (auto v = root.find("catalog_file")) cfg.catalog_file = v->non_empty_text();
  if (auto v = root.find("staff_file")) cfg.staff_file = v->non_empty_text();
  if (auto v = root.find("rules_file")) cfg.rules_file = v->non_empty_text();
  if (auto v = root.find("agreements_file")) cfg.agreements_file = v->text();
  if (auto v = root.find("test_clock")) cfg.test_clock = v->boolean();
  if (auto v = root.find("log_level")) cfg.log_level = v->one_of({"trace", "debug", "info", "warn", "error"});
  if (auto v = root.find("outbox")) {
    v->allow_keys({"max_attempts", "base_backoff_seconds", "max_backoff_seconds", "lease_seconds"});
    if (auto x = v->find("max_attempts")) cfg.outbox.max_attempts = x->integer(1, 100);
    if (auto x = v->find("base_backoff_seconds")) cfg.outbox.base_backoff_seconds = x->integer(1, 86400);
    if (auto x = v->find("max_backoff_seconds")) cfg.outbox.max_backoff_seconds = x->integer(1, 7 * 86400);
    if (auto x = v->find("lease_seconds")) cfg.outbox.lease_seconds = x->integer(5, 86400);
    if (cfg.outbox.max_backoff_seconds < cfg.outbox.base_backoff_seconds)
      v->fail_member("max_backoff_seconds", "must not be below base_backoff_seconds");
  }
  if (auto v = root.find("limits")) cfg.limits = read_limits(*v);
  return cfg;
}

}  // namespace

dialogs::catalog load_catalog(const std::string& path) {
  rj::Document doc;
  parse_json(path, doc);
  const origin from{path, false};
  const node root = top_level(from, doc);

  dialogs::catalog cat;
  const node products = root.require("products");
  for (std::size_t i = 0, n = products.size(); i < n; ++i) {
    const node entry = entry_at(products, i, "model");
    dialogs::product p = read_product(entry);
    // find_model compares normalised models, so "ABC-2000" and "abc 2000" are the same one.
    if (const dialogs::product* earlier = cat.find_model(p.model)) {
      const auto index = static_cast<std::size_t>(earlier - cat.products.data());
      entry.fail_member("model", "duplicate of products[" + std::to_string(index) + "] (" + earlier->model + ")");
    }
    cat.products.push_back(std::move(p));
  }

  if (auto knowledge = root.find("knowledge")) {
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0, n = knowledge->size(); i < n; ++i) {
      const node entry = entry_at(*knowledge, i, "id");
      dialogs::knowledge_entry k = read_knowledge(entry, cat);
      if (auto [it, fresh] = ids.emplace(k.id, i); !fresh)
        entry.fail_member("id", "duplicate of knowledge[" + std::to_string(it->second) + "]");
      cat.knowledge.push_back(std::move(k));
    }
  }
  return cat;
}

std::vector<staff_member> load_staff(const std::string& path) {
  rj::Document doc;
  parse_json(path, doc);
  const origin from{path, false};
  const node root = top_level(from, doc);

  std::vector<staff_member> staff;
  std::map<std::string, std::size_t> ids, tokens;
  const node list = root.require("staff");
  for (std::size_t i = 0, n = list.size(); i < n; ++i) {
    const node entry = entry_at(list, i, "id");
    staff_member s = read_staff_member(entry);
    if (auto [it, fresh] = ids.emplace(s.id, i); !fresh)
      entry.fail_member("id", "duplicate of staff[" + std::to_string(it->second) + "]");
    // One bearer token must identify one person, or the API could not tell who acted.
    if (!s.api_token_sha256.empty())
      if (auto [it, fresh] = tokens.emplace(s.api_token_sha256, i); !fresh)
        entry.fail_member("api_token_sha256", "same token as staff[" + std::to_string(it->second) + "] (" +
                                                  staff[it->second].id + ")");
    staff.push_back(std::move(s));
  }
  return staff;
}

rules load_rules(const std::string& path) {
  rj::Document doc;
  parse_json(path, doc);
  const origin from{path, false};
  const node root = top_level(from, doc);

  rules r;
  const node assignment = root.require("assignment");
  for (std::size_t i = 0, n = assignment.size(); i < n; ++i)
    r.assignment.push_back(read_assignment_rule(entry_at(assignment, i, "")));
  reject_shadowed_rules(r.assignment, assignment);

  if (auto sla = root.find("sla_minutes")) {
    sla->allow_keys(priorities);
    for (auto key : sla->keys()) r.sla_minutes[std::string(key)] = read_sla_policy(*sla->find(key));
  } else {
    r.sla_minutes = default_sla();
  }

  // Unlike the entries, these settings objects are strict: a misspelt key would silently
  // leave the default in force.
  if (auto survey = root.find("survey")) {
    survey->allow_keys({"remind_after_hours", "expire_after_hours"});
    if (auto v = survey->find("remind_after_hours")) r.survey_remind_after_hours = v->integer(1, max_hours);
    if (auto v = survey->find("expire_after_hours")) r.survey_expire_after_hours = v->integer(1, max_hours);
    if (r.survey_expire_after_hours <= r.survey_remind_after_hours)
      survey->fail_member("expire_after_hours", "must be greater than remind_after_hours (" +
                                                    std::to_string(r.survey_remind_after_hours) + ")");
  }
  if (auto dialog = root.find("dialog")) {
    dialog->allow_keys({"idle_timeout_minutes"});
    if (auto v = dialog->find("idle_timeout_minutes")) r.dialog_idle_timeout_minutes = v->integer(1, max_minutes);
  }
  if (auto complaints = root.find("complaints")) r.complaints = read_complaint_policy(*complaints);
  if (auto maintenance = root.find("maintenance")) {
    maintenance->allow_keys({"remind_days_before", "offer_valid_days"});
    if (auto v = maintenance->find("remind_days_before")) r.maintenance.remind_days_before = v->integer(0, 365);
    if (auto v = maintenance->find("offer_valid_days")) r.maintenance.offer_valid_days = v->integer(1, 365);
  }
  return r;
}

std::vector<agreement> load_agreements(const std::string& path) {
  if (path.empty()) return {};
  rj::Document doc;
  parse_json(path, doc);
  const origin from{path, false};
  const node root = top_level(from, doc);

  std::vector<agreement> out;
  std::map<std::string, std::size_t> ids;
  const node list = root.require("agreements");
  for (std::size_t i = 0, n = list.size(); i < n; ++i) {
    const node e = entry_at(list, i, "id");
    agreement a;
    a.id = e.require("id").non_empty_text();
    if (auto [it, fresh] = ids.emplace(a.id, i); !fresh)
      e.fail_member("id", "duplicate of agreements[" + std::to_string(it->second) + "]");
    const node customer = e.require("customer");
    customer.expect_object();
    if (auto v = customer.find("phone")) {
      a.customer_phone = v->non_empty_text();
      if (!is_e164(a.customer_phone)) v->fail("must be an E.164 number such as +8613800135678");
    }
    if (auto v = customer.find("customer_no")) a.customer_no = v->non_empty_text();
    if (auto v = customer.find("name")) a.customer_name = v->text();
    if (a.customer_phone.empty() && a.customer_no.empty())
      customer.fail("needs a phone or a customer_no to recognise the customer");
    if (auto v = e.find("models")) a.models = v->text_list();
    if (auto v = e.find("serials")) a.serials = v->text_list();
    a.valid_from = read_date(e.require("valid_from"));
    a.valid_to = read_date(e.require("valid_to"));
    if (a.valid_to < a.valid_from) e.fail_member("valid_to", "is before valid_from " + a.valid_from);
    if (auto sla = e.find("sla_minutes")) {
      sla->allow_keys(priorities);
      for (auto key : sla->keys()) a.sla_minutes[std::string(key)] = read_sla_policy(*sla->find(key));
    }
    if (auto v = e.find("covered_services")) {
      for (std::size_t k = 0, count = v->size(); k < count; ++k)
        a.covered_services.push_back(v->element(k).one_of(ticket_types));
    }
    if (auto v = e.find("covered_parts")) a.covered_parts = v->text_list();
    if (auto v = e.find("parts_discount_percent")) a.parts_discount_percent = v->integer(0, 100);
    if (auto v = e.find("engineers")) a.engineers = v->text_list();
    if (auto plan = e.find("visit_plan")) {
      // Strict: a misspelt key would silently drop visits the customer paid for.
      plan->allow_keys({"every_days", "first_visit", "lead_days", "type", "problem"});
      visit_plan p;
      p.every_days = plan->require("every_days").integer(1, 3660);
      p.first_visit = read_date(plan->require("first_visit"));
      if (auto v = plan->find("lead_days")) p.lead_days = v->integer(0, 365);
      if (auto v = plan->find("type")) p.type = v->one_of(ticket_types);
      p.problem = plan->require("problem").non_empty_text();
      a.visits = std::move(p);
    }
    out.push_back(std::move(a));
  }
  return out;
}

void check_rules_against_catalog(const rules& r, const dialogs::catalog& catalog, const std::string& rules_path) {
  std::set<std::string> lines;
  for (const auto& p : catalog.products) lines.insert(p.line);
  for (std::size_t i = 0; i < r.assignment.size(); ++i) {
    const auto& when = r.assignment[i].when;
    const std::string where = rules_path + ": assignment[" + std::to_string(i) + "]: when.";
    if (auto it = when.find("model"); it != when.end() && catalog.find_model(it->second) == nullptr)
      throw config_error(one_line(where + "model: unknown model " + quoted(it->second) + " (not in the catalog)"));
    if (auto it = when.find("line"); it != when.end() && !lines.contains(it->second))
      throw config_error(one_line(where + "line: no catalog product has line " + quoted(it->second)));
  }
}

void check_agreements_against_catalog(const std::vector<agreement>& list, const dialogs::catalog& catalog,
                                      const std::string& path) {
  for (std::size_t i = 0; i < list.size(); ++i)
    for (const auto& model : list[i].models)
      if (catalog.find_model(model) == nullptr)
        throw config_error(one_line(path + ": agreements[" + std::to_string(i) + "] (" + list[i].id +
                                    "): models: unknown model " + quoted(model) + " (not in the catalog)"));
}

void check_agreements_against_staff(const std::vector<agreement>& list, const std::vector<staff_member>& staff,
                                    const std::string& path) {
  for (std::size_t i = 0; i < list.size(); ++i)
    for (const auto& id : list[i].engineers) {
      const bool engineer = std::any_of(staff.begin(), staff.end(),
                                        [&](const staff_member& s) { return s.id == id && s.role == "engineer"; });
      if (!engineer)
        throw config_error(one_line(path + ": agreements[" + std::to_string(i) + "] (" + list[i].id +
                                    "): engineers: " + quoted(id) + " is not an engineer in the staff file"));
    }
}

data_files load_data_files(const config& cfg) {
  data_files files;
  // Each step names the file its problem is in, so a reload that fails can say which to fix.
  auto step = [](const std::string& file, auto&& load) {
    try {
      load();
    } catch (const std::exception& e) {
      throw data_file_error(file, e.what());
    }
  };
  step(cfg.catalog_file, [&] { files.catalog = load_catalog(cfg.catalog_file); });
  step(cfg.staff_file, [&] { files.staff = load_staff(cfg.staff_file); });
  step(cfg.rules_file, [&] {
    files.rules = load_rules(cfg.rules_file);
    check_rules_against_catalog(files.rules, files.catalog, cfg.rules_file);
  });
  step(cfg.agreements_file, [&] {
    files.agreements = load_agreements(cfg.agreements_file);
    check_agreements_against_catalog(files.agreements, files.catalog, cfg.agreements_file);
    check_agreements_against_staff(files.agreements, files.staff, cfg.agreements_file);
  });
  files.catalog.prepare();  // normalised model/alias keys, computed once instead of per message
  return files;
}

}  // namespace bot
