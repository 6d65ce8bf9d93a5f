// Outbound mail text: RFC 2047 words decoded back with OpenSSL, Message-IDs, dates, and the
// composed message's headers, CRLF discipline, line lengths and header-injection resistance.
#include "channels/email_compose.hpp"
#include "channels/form.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <random>
#include <set>
#include <string>

using channels::compose_email;
using channels::encode_header_word;
using channels::input_error;
using channels::outgoing_email;

namespace {

std::string decode_base64(const std::string& b64) {
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n));
  std::size_t padding = 0;
  while (padding < b64.size() && b64[b64.size() - 1 - padding] == '=') ++padding;
  out.resize(out.size() - padding);
  return out;
}

// Splits "=?UTF-8?B?..?=\r\n =?UTF-8?B?..?=" and decodes every word, checking each one's shape.
std::string decode_words(const std::string& value) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    auto end = value.find("\r\n ", pos);
    if (end == std::string::npos) end = value.size();
    const auto word = value.substr(pos, end - pos);
    CAPTURE(word);
    CHECK(word.size() <= 75);
    REQUIRE(word.rfind("=?UTF-8?B?", 0) == 0);
    REQUIRE(word.size() >= 12);
    REQUIRE(word.substr(word.size() - 2) == "?=");
    const auto chunk = decode_base64(word.substr(10, word.size() - 12));
    CHECK(channels::valid_utf8(chunk));  // no word splits a UTF-8 sequence
    out += chunk;
    pos = end + 3;
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& mail) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < mail.size()) {
    const auto end = mail.find("\r\n", pos);
    REQUIRE(end != std::string::npos);  // the mail ends in CRLF
    lines.push_back(mail.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

// Every line ends in CRLF, no bare CR or LF, no line over 998 octets.
void check_wire_format(const std::string& mail) {
  for (std::size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\r') REQUIRE((i + 1 < mail.size() && mail[i + 1] == '\n'));
    if (mail[i] == '\n') REQUIRE((i > 0 && mail[i - 1] == '\r'));
  }
  for (const auto& line : lines_of(mail)) CHECK(line.size() <= 998);
}

// Header name → unfolded value; the body after the blank line.
struct parsed_mail {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
  int count(const std::string& name) const {
    int n = 0;
    for (const auto& h : headers) n += h.first == name;
    return n;
  }
};

parsed_mail parse_mail(const std::string& mail) {
  parsed_mail p;
  const auto split = mail.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  for (const auto& line : lines_of(mail.substr(0, split + 2))) {
    if (!line.empty() && line[0] == ' ') {
      REQUIRE_FALSE(p.headers.empty());
      p.headers.back().second += "\r\n" + line;  // keep the fold for decode_words
      continue;
    }
    const auto colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    p.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  for (const auto& line : lines_of(mail.substr(split + 4))) {
    CHECK(line.size() <= 76);
    p.body += line;
  }
  p.body = decode_base64(p.body);
  return p;
}

outgoing_email sample() {
  outgoing_email m;
  m.from_address = "support@example.com";
  m.from_name = "售后服务";
  m.to_address = "Bob.Li@example.net";
  m.to_name = "Bob Li";
  m.subject = "Re: 您的维修单";
  m.ticket_number = "SR20260512001";
  m.date = 1778578200;
  m.message_id = "sb.00112233445566778899aabbccddeeff@example.com";
  m.in_reply_to = "CAF=abc123@mail.example.net";
  m.references = {"first@example.com", "CAF=abc123@mail.example.net"};
  m.body = "您好，\n工程师将于明天上午联系您。\r\n.\nline starting with a dot\rold mac line";
  return m;
}

std::string compose_ok(const outgoing_email& m) {
  auto r = compose_email(m);
  if (auto* e = std::get_if<input_error>(&r)) FAIL("compose error: " << channels::to_string(*e));
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("Plain ASCII header text is left alone", "[email][rfc2047]") {
  for (std::string s : {std::string(), std::string("Your ticket SR20260512001"),
                        std::string("Re: [SR20260512001] ok!"), std::string(900, 'a')})
    CHECK(encode_header_word(s) == s);
}

TEST_CASE("RFC 2047 words round-trip Chinese subjects of every length", "[email][rfc2047]") {
  const char* pieces[] = {"维", "修", "单", "，", "a", " ", "😀", "é", "SR20260512001", "。"};
  std::mt19937 rng(2047);
  for (int length = 1; length <= 120; ++length) {
    std::string text;
    for (int i = 0; i < length; ++i) text += pieces[rng() % std::size(pieces)];
    if (channels::valid_utf8(text) && text.find_first_not_of("a SR0123456789") == std::string::npos) continue;
    CAPTURE(length, text);
    const auto encoded = encode_header_word(text);
    CHECK(decode_words(encoded) == text);
    // Words are packed: all but the last carry 43..45 bytes (a 4-byte character may not fit).
    const bool folded = encoded.find('\n') != std::string::npos;
    CHECK((folded ? text.size() > 45 : text.size() <= 45));
  }
}

TEST_CASE("Text that must not pass plain is encoded", "[email][rfc2047]") {
  using row = std::tuple<std::string, std::string>;
  auto [input, decoded] = GENERATE(table<std::string, std::string>({
      row{"=?UTF-8?B?abc?=", "=?UTF-8?B?abc?="},  // would be decoded by readers otherwise
      row{"tab\there", "tab\there"},
      row{"line\r\nBcc: x@y", "line\r\nBcc: x@y"},  // carried inside base64, never raw
      row{"bad \xFF byte", "bad \xEF\xBF\xBD byte"},
      row{"cut \xE4\xB8", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},
      row{std::string(901, 'a'), std::string(901, 'a')},
  }));
  CAPTURE(input);
  const auto encoded = encode_header_word(input);
  CHECK(encoded.rfind("=?UTF-8?B?", 0) == 0);
  CHECK(decode_words(encoded) == decoded);
  // Whatever the input, only folds may contain CR/LF.
  std::string unfolded = encoded;
  for (std::size_t p; (p = unfolded.find("\r\n ")) != std::string::npos;) unfolded.erase(p, 3);
  CHECK(unfolded.find_first_of("\r\n") == std::string::npos);
}

TEST_CASE("Message-IDs are random, unique and carry a clean domain", "[email][message-id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = channels::make_message_id("support.example.com");
    CHECK(id.size() == 3 + 32 + 1 + 19);
    CHECK(id.rfind("sb.", 0) == 0);
    CHECK(id.find_first_not_of("0123456789abcdef", 3) == 35);
    CHECK(id.substr(35) == "@support.example.com");
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK(channels::make_message_id("Example.COM").substr(35) == "@example.com");
  CHECK(channels::make_message_id("evil.com>\r\nBcc: x@y").substr(35) == "@evil.combccxy");
  CHECK(channels::make_message_id("").substr(35) == "@servicebot.invalid");
  CHECK(channels::make_message_id("...").substr(35) == "@servicebot.invalid");
}

TEST_CASE("Dates are RFC 5322 in UTC", "[email][date]") {
  using row = std::tuple<std::int64_t, std::string>;
  auto [t, text] = GENERATE(table<std::int64_t, std::string>({
      row{0, "Thu, 1 Jan 1970 00:00:00 +0000"},
      row{1778578200, "Tue, 12 May 2026 09:30:00 +0000"},
      row{1709251199, "Thu, 29 Feb 2024 23:59:59 +0000"},
      row{951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
      row{-1, "Wed, 31 Dec 1969 23:59:59 +0000"},
      row{4102444800, "Fri, 1 Jan 2100 00:00:00 +0000"},
  }));
  CHECK(channels::rfc5322_date(t) == text);
}

TEST_CASE("A composed reply has every header, CRLF lines and a base64 body", "[email][compose]") {
  const auto m = sample();
  const auto mail = compose_ok(m);
  check_wire_format(mail);
  const auto p = parse_mail(mail);
  std::vector<std::string> names;
  for (const auto& h : p.headers) names.push_back(h.first);
  CHECK(names == std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
                                          "Auto-Submitted", "MIME-Version", "Content-Type",
                                          "Content-Transfer-Encoding"});
  CHECK(p.header("Date") == "Tue, 12 May 2026 09:30:00 +0000");
  CHECK(p.header("From") == "=?UTF-8?B?5ZSu5ZCO5pyN5Yqh?= <support@example.com>");
  CHECK(p.header("To") == "Bob Li <Bob.Li@example.net>");
  CHECK(decode_words(p.header("Subject")) == "Re: 您的维修单 [SR20260512001]");
  CHECK(p.header("Message-ID") == "<sb.00112233445566778899aabbccddeeff@example.com>");
  CHECK(p.header("In-Reply-To") == "<CAF=abc123@mail.example.net>");
  CHECK(p.header("References") == "<first@example.com>\r\n <CAF=abc123@mail.example.net>");
  CHECK(p.header("Auto-Submitted") == "auto-replied");
  CHECK(p.header("MIME-Version") == "1.0");
  CHECK(p.header("Content-Type") == "text/plain; charset=UTF-8");
  CHECK(p.header("Content-Transfer-Encoding") == "base64");
  // Line breaks made canonical (CRLF) before encoding; nothing else changed.
  CHECK(p.body == "您好，\r\n工程师将于明天上午联系您。\r\n.\r\nline starting with a dot\r\nold mac line");
}

TEST_CASE("Subject and ticket number", "[email][compose]") {
  auto m = sample();
  SECTION("the token is not repeated when the subject has it") {
    m.subject = "Re: [SR20260512001] 您的维修单";
    CHECK(decode_words(parse_mail(compose_ok(m)).header("Subject")) == "Re: [SR20260512001] 您的维修单");
  }
  SECTION("an ASCII subject stays readable") {
    m.subject = "Your repair request";
    CHECK(parse_mail(compose_ok(m)).header("Subject") == "Your repair request [SR20260512001]");
  }
  SECTION("no ticket, no token; empty subject with a ticket is just the token") {
    m.ticket_number.clear();
    m.subject = "Hello";
    CHECK(parse_mail(compose_ok(m)).header("Subject") == "Hello");
    m.ticket_number = "SR20260512001";
    m.subject.clear();
    CHECK(parse_mail(compose_ok(m)).header("Subject") == "[SR20260512001]");
  }
  SECTION("a 2000-character subject is folded into words") {
    m.subject = std::string(2000, 'x');
    const auto mail = compose_ok(m);
    check_wire_format(mail);
    CHECK(decode_words(parse_mail(mail).header("Subject")) == std::string(2000, 'x') + " [SR20260512001]");
  }
}

TEST_CASE("Header injection is impossible", "[email][compose][injection]") {
  auto m = sample();
  SECTION("CR/LF in subject and names become spaces") {
    m.subject = "Hi\r\nBcc: evil@example.org";
    m.from_name = "Support\r\nBcc: evil@example.org";
    m.to_name = "Bob\nX-Evil: 1";
    const auto mail = compose_ok(m);
    check_wire_format(mail);
    const auto p = parse_mail(mail);
    CHECK(p.count("Bcc") == 0);
    CHECK(p.count("X-Evil") == 0);
    CHECK(p.header("Subject") == "Hi  Bcc: evil@example.org [SR20260512001]");
    CHECK(p.header("From") == "\"Support  Bcc: evil@example.org\" <support@example.com>");
    CHECK(p.header("To") == "\"Bob X-Evil: 1\" <Bob.Li@example.net>");
  }
  SECTION("addresses and our id are validated, not repaired") {
    using row = std::tuple<std::string, std::string, input_error>;
    auto [field, value, error] = GENERATE(table<std::string, std::string, input_error>({
        row{"to", "bob@example.net\r\nBcc: evil@example.org", input_error::malformed},
        row{"to", "Bob <bob@example.net>", input_error::malformed},
        row{"to", "a@b.com, c@d.com", input_error::malformed},
        row{"to", "bob@example.net ", input_error::malformed},
        row{"to", "", input_error::missing_field},
        row{"from", "not-an-address", input_error::malformed},
        row{"from", "", input_error::missing_field},
        row{"reply_to", "x@y.com>\r\nBcc: z@w.com", input_error::malformed},
        row{"message_id", "a@b>\r\nBcc: x@y", input_error::malformed},
        row{"message_id", "<a@b>", input_error::malformed},
        row{"message_id", "", input_error::missing_field},
        row{"auto_submitted", "auto-replied\r\nBcc: x@y", input_error::malformed},
    }));
    CAPTURE(field, value);
    if (field == "to") m.to_address = value;
    if (field == "from") m.from_address = value;
    if (field == "reply_to") m.reply_to = value;
    if (field == "message_id") m.message_id = value;
    if (field == "auto_submitted") m.auto_submitted = value;
    auto r = compose_email(m);
    REQUIRE(std::holds_alternative<input_error>(r));
    CHECK(std::get<input_error>(r) == error);
  }
  SECTION("their ids are dropped when unsafe") {
    m.in_reply_to = "x@y>\r\nBcc: evil@example.org";
    m.references = {"ok@example.com", "bad id@example.com", "evil>\r\nBcc: x", "", std::string(901, 'a'), "ok2@x"};
    const auto p = parse_mail(compose_ok(m));
    CHECK(p.count("In-Reply-To") == 0);
    CHECK(p.count("Bcc") == 0);
    CHECK(p.header("References") == "<ok@example.com>\r\n <ok2@x>");
  }
}

TEST_CASE("Optional headers and long threads", "[email][compose]") {
  auto m = sample();
  SECTION("no thread, no Auto-Submitted, no names, a Reply-To") {
    m.in_reply_to.clear();
    m.references.clear();
    m.auto_submitted.clear();
    m.from_name.clear();
    m.to_name = "  ";
    m.reply_to = "support+SR20260512001@example.com";
    const auto p = parse_mail(compose_ok(m));
    CHECK(p.count("In-Reply-To") == 0);
    CHECK(p.count("References") == 0);
    CHECK(p.count("Auto-Submitted") == 0);
    CHECK(p.header("From") == "support@example.com");
    CHECK(p.header("To") == "Bob.Li@example.net");
    CHECK(p.header("Reply-To") == "support+SR20260512001@example.com");
  }
  SECTION("staff notifications may say auto-generated") {
    m.auto_submitted = "auto-generated";
    CHECK(parse_mail(compose_ok(m)).header("Auto-Submitted") == "auto-generated");
  }
  SECTION("References keeps the first and the last 19 of a long thread") {
    m.references.clear();
    for (int i = 0; i < 50; ++i) m.references.push_back("id" + std::to_string(i) + "@x");
    const auto mail = compose_ok(m);
    check_wire_format(mail);
    const auto refs = parse_mail(mail).header("References");
    CHECK(refs.rfind("<id0@x>\r\n <id31@x>", 0) == 0);
    CHECK(refs.size() - refs.rfind("<id49@x>") == 8);
    CHECK(std::count(refs.begin(), refs.end(), '<') == 20);
  }
  SECTION("quoted ASCII display names escape quotes and backslashes") {
    m.to_name = "Li, \"Bob\" \\ Jr.";
    CHECK(parse_mail(compose_ok(m)).header("To") == "\"Li, \\\"Bob\\\" \\\\ Jr.\" <Bob.Li@example.net>");
  }
  SECTION("a long body with long lines stays within 76-character base64 lines") {
    m.body = std::string(5000, 'x') + "\n" + std::string(3000, 'y') + "\xFF";
    const auto mail = compose_ok(m);
    check_wire_format(mail);
    CHECK(parse_mail(mail).body == std::string(5000, 'x') + "\r\n" + std::string(3000, 'y') + "\xEF\xBF\xBD");
  }
  SECTION("an empty body") {
    m.body.clear();
    const auto mail = compose_ok(m);
    check_wire_format(mail);
    CHECK(mail.size() >= 4);
    CHECK(mail.substr(mail.size() - 4) == "\r\n\r\n");
  }
}
