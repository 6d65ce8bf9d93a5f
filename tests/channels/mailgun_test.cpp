// Mailgun inbound routes: the published signature vector (channels.md §4 M1), freshness,
// urlencoded and multipart payloads, threading ids, loop detection, and the address helpers.
#include "channels/mailgun.hpp"

#include <catch2/catch.hpp>

#include <string>

using channels::form_fields;
using channels::input_error;
using channels::mailgun_message;

namespace {

const std::string m1_key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
const std::string m1_timestamp = "1403645220";
const std::string m1_token = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6";
const std::string m1_signature = "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33";
const std::string m1_negative_token = "owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr";

mailgun_message parse_ok(const form_fields& f, const std::vector<channels::multipart_file>& files = {}) {
  auto r = channels::parse_mailgun(f, files);
  if (auto* e = std::get_if<input_error>(&r)) FAIL("parse error: " << channels::to_string(*e));
  return std::get<mailgun_message>(r);
}

input_error parse_err(const form_fields& f, const std::vector<channels::multipart_file>& files = {}) {
  auto r = channels::parse_mailgun(f, files);
  REQUIRE(std::holds_alternative<input_error>(r));
  return std::get<input_error>(r);
}

std::string encode(const form_fields& f) {
  std::string out;
  for (const auto& [k, v] : f) out += (out.empty() ? "" : "&") + channels::form_encode(k) + "=" + channels::form_encode(v);
  return out;
}

// A reply from a customer, as Mailgun's forward() posts it.
form_fields reply_fields() {
  return {
      {"recipient", "support@mg.example.com"},
      {"sender", "bob@example.net"},
      {"from", "Bob Li <Bob.Li@Example.NET>"},
      {"subject", "Re: 您的维修单 [SR20260512001]"},
      {"body-plain", "序列号是 SN12345678\r\n\r\n> 请回复序列号\r\n> 售后服务\r\n\r\n-- \r\nBob"},
      {"stripped-text", "序列号是 SN12345678"},
      {"stripped-signature", "-- \r\nBob"},
      {"timestamp", m1_timestamp},
      {"token", m1_token},
      {"signature", m1_signature},
      {"message-headers",
       R"([["Received", "by mx.example.net"], ["Message-Id", "<CAF=abc123@mail.example.net>"],)"
       R"( ["In-Reply-To", "<sb.0123@support.example.com>"],)"
       R"( ["References", "<first@support.example.com>\r\n\t<sb.0123@support.example.com> <CAF=prev@mail.example.net>"],)"
       R"( ["Subject", "Re: =?UTF-8?B?5oKo55qE57u05L+u5Y2V?= [SR20260512001]"], ["Date", "Tue, 12 May 2026 10:00:00 +0800"]])"},
      {"Message-Id", "<CAF=abc123@mail.example.net>"},
      {"In-Reply-To", "<sb.0123@support.example.com>"},
      {"X-Mailgun-Sflag", "No"},
      {"Date", "Tue, 12 May 2026 10:00:00 +0800"},
  };
}

}  // namespace

TEST_CASE("Mailgun signature reproduces the published vector M1", "[mailgun][signature][vector]") {
  CHECK(channels::mailgun_signature(m1_key, m1_timestamp, m1_token) == m1_signature);
  CHECK(channels::verify_mailgun_signature(m1_key, m1_timestamp, m1_token, m1_signature));
  CHECK_FALSE(channels::verify_mailgun_signature(m1_key, m1_timestamp, m1_negative_token, m1_signature));
  CHECK_FALSE(channels::verify_mailgun_signature("key-other", m1_timestamp, m1_token, m1_signature));
  CHECK_FALSE(channels::verify_mailgun_signature("", m1_timestamp, m1_token, m1_signature));
  CHECK_FALSE(channels::verify_mailgun_signature(m1_key, "1403645221", m1_token, m1_signature));
  CHECK_FALSE(channels::verify_mailgun_signature(m1_key, m1_timestamp, m1_token, m1_signature.substr(0, 63)));
  CHECK_FALSE(channels::verify_mailgun_signature(m1_key, m1_timestamp, m1_token, ""));
  std::string flipped = m1_signature;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  CHECK_FALSE(channels::verify_mailgun_signature(m1_key, m1_timestamp, m1_token, flipped));
  // timestamp || token is one string: moving a character across the seam changes nothing in
  // the MAC input, which is why the token store and the window matter.
  CHECK(channels::mailgun_signature(m1_key, "140364522", "0" + m1_token) == m1_signature);
}

TEST_CASE("Mailgun timestamps must be decimal and within the window", "[mailgun][timestamp]") {
  const std::int64_t t = 1403645220;
  using row = std::tuple<std::string, std::int64_t, bool>;
  auto [timestamp, now, fresh] = GENERATE_COPY(table<std::string, std::int64_t, bool>({
      row{"1403645220", t, true},
      row{"1403645220", t + 900, true},
      row{"1403645220", t - 900, true},  // up to 15 minutes ahead of our clock
      row{"1403645220", t + 901, false},  // stale
      row{"1403645220", t - 901, false},  // from the future
      row{"1403645220", 0, false},
      row{"0", 0, true},
      row{"0001403645220", t, true},
      row{"", t, false},
      row{"abc", t, false},
      row{"-5", -5, false},
      row{"+1403645220", t, false},
      row{" 1403645220", t, false},
      row{"1403645220 ", t, false},
      row{"1403645220.5", t, false},
      row{"1e9", t, false},
      row{"999999999999999999", t, false},
      row{"9999999999999999999", t, false},  // 19 digits: refused before any overflow
      row{"1403645220", std::numeric_limits<std::int64_t>::min(), false},
      row{"1403645220", std::numeric_limits<std::int64_t>::max(), false},
  }));
  CAPTURE(timestamp, now);
  CHECK(channels::mailgun_timestamp_fresh(timestamp, now) == fresh);
  SECTION("a narrower window") {
    CHECK(channels::mailgun_timestamp_fresh("100", 160, 60));
    CHECK_FALSE(channels::mailgun_timestamp_fresh("100", 161, 60));
    CHECK_FALSE(channels::mailgun_timestamp_fresh("100", 100, -1));
  }
}

TEST_CASE("An urlencoded Mailgun reply becomes a message with its thread", "[mailgun][parse]") {
  auto fields = channels::parse_form(encode(reply_fields()));
  REQUIRE(fields);
  const auto m = parse_ok(*fields);
  CHECK(m.msg.channel == "email");
  CHECK(m.msg.provider_id == "CAF=abc123@mail.example.net");
  CHECK(m.message_id == "CAF=abc123@mail.example.net");
  CHECK(m.msg.from == "bob.li@example.net");
  CHECK(m.msg.to == "support@mg.example.com");
  CHECK(m.msg.kind == "text");
  CHECK(m.msg.text == "序列号是 SN12345678");
  CHECK(m.body_plain.find("> 请回复序列号") != std::string::npos);
  CHECK(m.stripped_signature == "-- \r\nBob");
  CHECK(m.msg.created_at == 1403645220);
  CHECK(m.subject == "Re: 您的维修单 [SR20260512001]");
  CHECK(channels::find_ticket_token(m.subject) == "SR20260512001");
  CHECK(m.in_reply_to == "sb.0123@support.example.com");
  CHECK(m.references ==
        std::vector<std::string>{"first@support.example.com", "sb.0123@support.example.com", "CAF=prev@mail.example.net"});
  CHECK_FALSE(m.auto_submitted);
  CHECK(m.msg.attachments.empty());
  CHECK(m.files.empty());
  // Headers: the JSON list in order, then header-named top-level fields it lacked.
  REQUIRE(m.headers.size() == 7);
  CHECK(m.headers[0] == std::pair<std::string, std::string>{"Received", "by mx.example.net"});
  CHECK(m.headers[6] == std::pair<std::string, std::string>{"X-Mailgun-Sflag", "No"});
}

TEST_CASE("A multipart Mailgun post keeps its attachments and their bytes", "[mailgun][parse][multipart]") {
  const std::string B = "b0undary";
  auto part = [&](const std::string& disposition, const std::string& type, const std::string& content) {
    return "--" + B + "\r\nContent-Disposition: form-data; " + disposition + "\r\n" +
           (type.empty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n" + content + "\r\n";
  };
  std::string body;
  for (const auto& [k, v] : reply_fields())
    if (k != "stripped-text") body += part("name=\"" + k + "\"", "", v);
  const std::string png = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  body += part("name=\"attachment-count\"", "", "4");
  body += part("name=\"attachment-2\"; filename=\"../../etc/passwd\"", "text/plain", "root:x:0:0");
  body += part("name=\"attachment-1\"; filename=\"铭牌.png\"", "image/png", png);
  body += part("name=\"attachment-3\"; filename=\"C:\\Users\\bob\\铭牌.PNG\"", "audio/mpeg", "ID3");
  body += part("name=\"attachment-4\"; filename=\"\"", "", "x");
  body += part("name=\"unrelated-file\"; filename=\"u.txt\"", "text/plain", "u");
  body += "--" + B + "--\r\n";

  auto mp = channels::parse_multipart(body, B);
  REQUIRE(std::holds_alternative<channels::multipart_body>(mp));
  const auto& parts = std::get<channels::multipart_body>(mp);
  const auto m = parse_ok(parts.fields, parts.files);
  // No stripped-text in this post: the whole body-plain is the text.
  CHECK(m.msg.text == m.body_plain);
  REQUIRE(m.files.size() == 4);
  REQUIRE(m.msg.attachments.size() == 4);
  CHECK(m.files[0].field_name == "attachment-1");
  CHECK(m.files[0].filename == "铭牌.png");
  CHECK(m.files[0].bytes == png);
  CHECK(m.msg.attachments[0].kind == "image");
  CHECK(m.msg.attachments[0].ref == "铭牌.png");
  CHECK(m.msg.attachments[0].content_type == "image/png");
  CHECK(m.files[1].filename == "../../etc/passwd");
  CHECK(m.msg.attachments[1].ref == "passwd");
  CHECK(m.msg.attachments[1].kind == "file");
  CHECK(m.msg.attachments[2].kind == "voice");
  CHECK(m.msg.attachments[2].ref == "attachment-3");  // "铭牌.PNG" collides case-insensitively
  CHECK(m.msg.attachments[3].ref == "attachment-4");  // empty name
  CHECK(m.msg.attachments[3].content_type.empty());

  SECTION("an attachment-only mail takes the first attachment's kind") {
    auto fields = parts.fields;
    fields.emplace_back("stripped-text", "");
    const auto only = parse_ok(fields, parts.files);
    CHECK(only.msg.text.empty());
    CHECK(only.msg.kind == "image");
  }
  SECTION("fewer files than attachment-count is an error") {
    auto files = parts.files;
    files.pop_back();  // unrelated-file does not count
    files.erase(files.begin());
    CHECK(parse_err(parts.fields, files) == input_error::missing_field);
  }
}

TEST_CASE("Storage names are safe path components", "[mailgun][attachments]") {
  using row = std::tuple<std::string, std::string>;
  auto [filename, ref] = GENERATE(table<std::string, std::string>({
      row{"report.pdf", "report.pdf"},
      row{"/abs/path/a.txt", "a.txt"},
      row{"..", "attachment-1"},
      row{".", "attachment-1"},
      row{"dir/..", "attachment-1"},
      row{"a:b*c?d\"e<f>g|h.txt", "a_b_c_d_e_f_g_h.txt"},
      row{"tab\there.txt", "tab_here.txt"},
      row{"  spaced.txt  ", "spaced.txt"},
      row{"trailing/", "attachment-1"},
      // 166 bytes, cut to 148 rather than inside the 17th character
      row{std::string(100, 'x') + "中文中文中文中文中文中文中文中文中文中文中文",
          std::string(100, 'x') + "中文中文中文中文中文中文中文中文"},
  }));
  CAPTURE(filename);
  const auto m = parse_ok({{"from", "a@b.c"}, {"recipient", "s@d.e"}},
                          {channels::multipart_file{"attachment-1", filename, "application/octet-stream", "x"}});
  REQUIRE(m.msg.attachments.size() == 1);
  CHECK(m.msg.attachments[0].ref == ref);
  CHECK(m.msg.attachments[0].ref.size() <= 150);
}

TEST_CASE("Auto-replies, bounces and bulk mail are flagged", "[mailgun][auto]") {
  using row = std::tuple<std::string, std::string, bool>;
  auto [name, value, flagged] = GENERATE(table<std::string, std::string, bool>({
      row{"Auto-Submitted", "auto-replied", true},
      row{"Auto-Submitted", "auto-generated", true},
      row{"auto-submitted", "auto-replied; owner-email=x@y", true},
      row{"Auto-Submitted", "no", false},
      row{"Auto-Submitted", " No ", false},
      row{"Auto-Submitted", "no; comment", false},
      row{"Auto-Submitted", "", true},
      row{"Precedence", "bulk", true},
      row{"Precedence", "List", true},
      row{"Precedence", "junk", true},
      row{"Precedence", "auto_reply", true},
      row{"Precedence", "first-class", false},
      row{"X-Autoreply", "yes", true},
      row{"X-Autorespond", "vacation", true},
      row{"Return-Path", "<>", true},
      row{"Return-Path", " <> ", true},
      row{"Return-Path", "<bob@example.net>", false},
      row{"X-Unrelated", "auto", false},
  }));
  CAPTURE(name, value);
  const form_fields base{{"from", "Bob <bob@example.net>"}, {"sender", "bob@example.net"}, {"recipient", "s@mg.example.com"}};
  SECTION("in message-headers") {
    auto f = base;
    f.emplace_back("message-headers", R"([["Message-Id", "<m@x>"], [")" + name + R"(", ")" + value + R"("]])");
    CHECK(parse_ok(f).auto_submitted == flagged);
  }
  SECTION("as a top-level field only") {
    if (name[0] >= 'A' && name[0] <= 'Z') {
      auto f = base;
      f.emplace_back(name, value);
      CHECK(parse_ok(f).auto_submitted == flagged);
    }
  }
}

TEST_CASE("Mailer daemons and null senders are flagged", "[mailgun][auto]") {
  using row = std::tuple<std::string, std::string, bool>;
  auto [from, sender, flagged] = GENERATE(table<std::string, std::string, bool>({
      row{"Mail Delivery Subsystem <MAILER-DAEMON@googlemail.com>", "bounce@x.com", true},
      row{"bob@example.net", "postmaster@example.net", true},
      row{"Postmaster <postmaster@example.net>", "x@y.z", true},
      row{"bob@example.net", "", true},  // null envelope sender: a bounce
      row{"bob@example.net", "bob@example.net", false},
      row{"daemon-fan@example.net", "daemon-fan@example.net", false},
  }));
  CAPTURE(from, sender);
  CHECK(parse_ok({{"from", from}, {"sender", sender}, {"recipient", "s@mg.example.com"}}).auto_submitted == flagged);
}

TEST_CASE("Header lookups prefer message-headers and ignore case", "[mailgun][headers]") {
  const auto m = parse_ok({{"from", "a@b.c"},
                           {"recipient", "s@d.e"},
                           {"message-headers", R"([["message-id", "<json@x>"], ["REFERENCES", "<r1@x>"]])"},
                           {"Message-Id", "<field@x>"},
                           {"In-Reply-To", "<irt@x> (comment) <second@x>"}});
  CHECK(m.message_id == "json@x");
  CHECK(m.references == std::vector<std::string>{"r1@x"});
  CHECK(m.in_reply_to == "irt@x");
  // Top-level Message-Id is not appended again: the JSON has it under another case.
  CHECK(m.headers.size() == 3);
}

TEST_CASE("Without a Message-Id the dedupe key is derived from the mail", "[mailgun][dedupe]") {
  form_fields f{{"from", "Bob <bob@example.net>"}, {"sender", "bob@example.net"}, {"recipient", "s@mg.example.com"},
                {"subject", "help"}, {"body-plain", "my serial is SN1"}, {"timestamp", "1"}, {"token", "t1"},
                {"signature", "s1"}, {"Date", "Tue, 12 May 2026 10:00:00 +0800"}};
  const auto first = parse_ok(f);
  CHECK(first.message_id.empty());
  CHECK(first.msg.provider_id.rfind("derived:", 0) == 0);
  CHECK(first.msg.provider_id.size() == 8 + 64);

  auto retried = f;  // a re-POST: new timestamp, token and signature
  retried[5].second = "2";
  retried[6].second = "t2";
  retried[7].second = "s2";
  CHECK(parse_ok(retried).msg.provider_id == first.msg.provider_id);

  auto other = f;
  other[4].second = "my serial is SN2";
  CHECK(parse_ok(other).msg.provider_id != first.msg.provider_id);
  auto other_date = f;
  other_date[8].second = "Tue, 12 May 2026 10:00:01 +0800";
  CHECK(parse_ok(other_date).msg.provider_id != first.msg.provider_id);
  // Files count too.
  const auto with_file = parse_ok(f, {channels::multipart_file{"attachment-1", "a.jpg", "image/jpeg", "1"}});
  const auto with_other_file = parse_ok(f, {channels::multipart_file{"attachment-1", "a.jpg", "image/jpeg", "2"}});
  CHECK(with_file.msg.provider_id != first.msg.provider_id);
  CHECK(with_file.msg.provider_id != with_other_file.msg.provider_id);
}

TEST_CASE("Address fields: from, then sender; recipient required", "[mailgun][parse]") {
  CHECK(parse_ok({{"from", "not an address"}, {"sender", "Bob@Example.net"}, {"recipient", "s@d.e"}}).msg.from ==
        "bob@example.net");
  CHECK(parse_ok({{"sender", "bob@example.net"}, {"recipient", "Support <S@D.E>"}}).msg.to == "s@d.e");
  CHECK(parse_ok({{"sender", "bob@example.net"}, {"recipient", "a@b.c, d@e.f"}}).msg.to == "a@b.c");
  CHECK(parse_ok({{"sender", "bob@example.net"}, {"recipient", " Weird Value "}}).msg.to == "weird value");
  CHECK(parse_err({{"from", "nobody"}, {"recipient", "s@d.e"}}) == input_error::missing_field);
  CHECK(parse_err({{"recipient", "s@d.e"}}) == input_error::missing_field);
  CHECK(parse_err({{"from", "a@b.c"}}) == input_error::missing_field);
  CHECK(parse_err({{"from", "a@b.c"}, {"recipient", "  "}}) == input_error::missing_field);
}

TEST_CASE("Malformed Mailgun fields are refused with the reason", "[mailgun][malformed]") {
  using row = std::tuple<std::string, std::string, input_error>;
  auto [name, value, error] = GENERATE(table<std::string, std::string, input_error>({
      row{"message-headers", "not json", input_error::malformed},
      row{"message-headers", "{\"Message-Id\": \"<a@b>\"}", input_error::malformed},
      row{"message-headers", "[[\"a\"]]", input_error::malformed},
      row{"message-headers", "[[\"a\", 1]]", input_error::malformed},
      row{"message-headers", "[[\"a\", \"b\", \"c\"]]", input_error::malformed},
      row{"message-headers", "[\"a\", \"b\"]", input_error::malformed},
      row{"message-headers", "[[\"a\", \"b\"]] trailing", input_error::malformed},
      row{"message-headers", "[[\"a\", \"\\udc00\"]]", input_error::not_utf8},
      row{"message-headers", std::string(100000, '[') + std::string(100000, ']'), input_error::malformed},
      row{"attachment-count", "x", input_error::malformed},
      row{"attachment-count", "-1", input_error::malformed},
      row{"attachment-count", "201", input_error::too_large},
      row{"attachment-count", "99999999999999", input_error::too_large},
      row{"attachment-count", "1", input_error::missing_field},
  }));
  CAPTURE(name, value.substr(0, 40));
  CHECK(parse_err({{"from", "a@b.c"}, {"recipient", "s@d.e"}, {name, value}}) == error);
  SECTION("empty message-headers means none") {
    CHECK(parse_ok({{"from", "a@b.c"}, {"recipient", "s@d.e"}, {"message-headers", ""}}).headers.empty());
  }
}

TEST_CASE("Ticket tokens are found in subjects", "[mailgun][ticket]") {
  using row = std::tuple<std::string, std::optional<std::string>>;
  auto [subject, token] = GENERATE(table<std::string, std::optional<std::string>>({
      row{"Re: 您的维修单 [SR20260512001]", "SR20260512001"},
      row{"[SR20260512001] first", "SR20260512001"},
      row{"Re: [#SR20240501001] follow-up", "SR20240501001"},
      row{"re: [sr20260512001]", "SR20260512001"},
      row{"[SR202605120012345]", "SR202605120012345"},
      row{"Fwd: [x] [SR20260512001] [SR20260512002]", "SR20260512001"},
      row{"[[SR20260512001]]", "SR20260512001"},
      row{"SR20260512001 without brackets", std::nullopt},
      row{"[SR2026051200]", std::nullopt},  // 10 digits
      row{"[SR202605120012345678901]", std::nullopt},  // 21 digits
      row{"[SR20260512001", std::nullopt},
      row{"[SR 20260512001]", std::nullopt},
      row{"[SN20260512001]", std::nullopt},
      row{"", std::nullopt},
      row{"[", std::nullopt},
  }));
  CAPTURE(subject);
  CHECK(channels::find_ticket_token(subject) == token);
}

TEST_CASE("Bare addresses come out of address headers lower-cased", "[mailgun][address]") {
  using row = std::tuple<std::string, std::string>;
  auto [from, address] = GENERATE(table<std::string, std::string>({
      row{"Bob <Bob@Example.com>", "bob@example.com"},
      row{"bob@example.com", "bob@example.com"},
      row{"  BOB@EXAMPLE.COM  ", "bob@example.com"},
      row{"<bob@example.com>", "bob@example.com"},
      row{"\"Doe, John\" <john@example.org>, k@y.org", "john@example.org"},
      row{"\"a <fake@evil.com>\" <real@example.com>", "real@example.com"},
      row{"bob@example.com (Bob Smith)", "bob@example.com"},
      row{"(comment (nested) ) bob@example.com", "bob@example.com"},
      row{"=?UTF-8?B?5p2O5piO?= <li.ming@example.cn>", "li.ming@example.cn"},
      row{"李明 <Li.Ming@例子.中国>", "li.ming@例子.中国"},
      row{"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
      row{"a@b, c@d", "a@b"},
      row{"Team: a@x.org, b@y.org;", "a@x.org"},
      row{"undisclosed-recipients:;", ""},
      row{"", ""},
      row{"Bob", ""},
      row{"bob@", ""},
      row{"@example.com", ""},
      row{"bob@@example.com", ""},
      row{"bob@exa mple.com", ""},
      row{".bob@example.com", ""},
      row{"bo..b@example.com", ""},
      row{"bob@example..com", ""},
      row{"bob@-example.com", ""},
      row{"bob@example.com.", ""},
      row{"\"bob smith\"@example.com", ""},
      row{"bob@[192.0.2.1]", ""},
      row{"Bob <bob@example.com", ""},
      row{"\"unterminated <bob@example.com>", ""},
      row{"(unterminated bob@example.com", ""},
      row{"Bob <bob@exa\xFFmple.com>", ""},
      row{std::string(65, 'a') + "@example.com", ""},
      row{std::string(64, 'a') + "@example.com", std::string(64, 'a') + "@example.com"},
  }));
  CAPTURE(from);
  CHECK(channels::bare_address(from) == address);
}

TEST_CASE("Message ids are taken from angle brackets or words", "[mailgun][ids]") {
  using row = std::tuple<std::string, std::vector<std::string>>;
  auto [value, ids] = GENERATE(table<std::string, std::vector<std::string>>({
      row{"<a@b>", {"a@b"}},
      row{"<a@b> <c@d>\r\n\t<e@f>", {"a@b", "c@d", "e@f"}},
      row{"<a@b>,<c@d>", {"a@b", "c@d"}},
      row{"< a@b >", {"a@b"}},
      row{"a@b c@d", {"a@b", "c@d"}},
      row{"a@b,c@d", {"a@b", "c@d"}},
      row{"<a@b> (comment) <c@d", {"a@b"}},
      row{"<>", {}},
      row{"", {}},
      row{"<<a@b>", {}},
  }));
  CAPTURE(value);
  CHECK(channels::message_ids(value) == ids);
}
