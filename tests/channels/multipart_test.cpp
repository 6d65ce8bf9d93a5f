// multipart/form-data (RFC 7578 / RFC 2046): boundaries, fields and files, CRLF handling, strict
// refusal of malformed bodies, limits, and a fuzz loop over every byte-level parser in channels/.
#include "channels/mailgun.hpp"
#include "channels/multipart.hpp"
#include "channels/twilio.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using channels::input_error;
using channels::multipart_body;
using channels::parse_multipart;

namespace {

const std::string B = "----sbBoundary7MA4YWxkTrZu0gW";

// One part: header lines (each without CRLF) and content.
std::string part(std::initializer_list<std::string> headers, const std::string& content) {
  std::string out = "--" + B + "\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  return out + "\r\n" + content + "\r\n";
}

std::string close() { return "--" + B + "--\r\n"; }

multipart_body parse_ok(const std::string& body, const std::string& boundary = B) {
  auto r = parse_multipart(body, boundary);
  if (auto* e = std::get_if<input_error>(&r)) FAIL("parse error: " << channels::to_string(*e));
  return std::get<multipart_body>(r);
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("The boundary comes from a multipart/form-data Content-Type", "[multipart][boundary]") {
  using row = std::tuple<std::string, std::optional<std::string>>;
  auto [content_type, boundary] = GENERATE(table<std::string, std::optional<std::string>>({
      row{"multipart/form-data; boundary=abc", "abc"},
      row{"multipart/form-data;boundary=abc", "abc"},
      row{"Multipart/Form-Data; BOUNDARY=XyZ", "XyZ"},
      row{"multipart/form-data; charset=utf-8; boundary=\"a b:c\"", "a b:c"},
      row{"multipart/form-data; boundary=\"----=_Part_0_1.2\"", "----=_Part_0_1.2"},
      row{"multipart/form-data; boundary=----=_Part_0", "----=_Part_0"},
      row{"multipart/form-data ; boundary = abc ;", "abc"},
      row{"multipart/form-data; boundary=" + std::string(70, 'x'), std::string(70, 'x')},
      row{"multipart/form-data; boundary=" + std::string(71, 'x'), std::nullopt},
      row{"multipart/form-data; boundary=\"abc \"", std::nullopt},
      row{"multipart/form-data; boundary=\"a\\\"b\"", std::nullopt},
      row{"multipart/form-data; boundary=a@b", std::nullopt},
      row{"multipart/form-data; boundary=", std::nullopt},
      row{"multipart/form-data; boundary=\"\"", std::nullopt},
      row{"multipart/form-data; boundary=\"abc", std::nullopt},
      row{"multipart/form-data; boundary=a; boundary=b", std::nullopt},
      row{"multipart/form-data", std::nullopt},
      row{"multipart/mixed; boundary=abc", std::nullopt},
      row{"application/x-www-form-urlencoded", std::nullopt},
      row{"", std::nullopt},
      row{"multipart/form-data; boundary=abc def", std::nullopt},
  }));
  CAPTURE(content_type);
  CHECK(channels::boundary_from_content_type(content_type) == boundary);
}

TEST_CASE("Fields and files come out in order with their bytes intact", "[multipart]") {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\r\n--" + B.substr(0, 10) + "\r\n-" + B + "x";  // boundary-like, but not a delimiter
  const auto body = "preamble to ignore\r\n" + part({"Content-Disposition: form-data; name=\"recipient\""}, "support@mg.example.com") +
                    part({"Content-Disposition: form-data; name=\"body-plain\""}, "line one\r\nline two\r\n\r\n") +
                    part({"Content-Disposition: form-data; name=\"empty\""}, "") +
                    part({"content-disposition: FORM-DATA; name=\"attachment-1\"; filename=\"铭牌 照片.jpg\"",
                          "Content-Type: image/jpeg", "X-Other: ignored"},
                         binary) +
                    part({"Content-Disposition: form-data; name=\"中文字段\""}, "值") + close() + "epilogue\r\n";
  const auto m = parse_ok(body);
  REQUIRE(m.fields.size() == 4);
  CHECK(m.fields[0] == std::pair<std::string, std::string>{"recipient", "support@mg.example.com"});
  CHECK(m.fields[1].second == "line one\r\nline two\r\n\r\n");
  CHECK(m.fields[2] == std::pair<std::string, std::string>{"empty", ""});
  CHECK(m.fields[3] == std::pair<std::string, std::string>{"中文字段", "值"});
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0].name == "attachment-1");
  CHECK(m.files[0].filename == "铭牌 照片.jpg");
  CHECK(m.files[0].content_type == "image/jpeg");
  CHECK(m.files[0].bytes == binary);
}

TEST_CASE("Framing details: padding, no preamble, CRLF-only content", "[multipart]") {
  SECTION("transport padding after delimiters") {
    const auto body = "--" + B + " \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + B + "--";
    const auto m = parse_ok(body);
    CHECK(m.fields == channels::form_fields{{"a", "1"}});
  }
  SECTION("content that is only CRLF") {
    const auto m = parse_ok(part({"Content-Disposition: form-data; name=\"a\""}, "\r\n") + close());
    CHECK(m.fields[0].second == "\r\n");
  }
  SECTION("a field whose value ends in CR and LF bytes") {
    const auto m = parse_ok(part({"Content-Disposition: form-data; name=\"a\""}, "x\r") + close());
    CHECK(m.fields[0].second == "x\r");
  }
  SECTION("a quoted boundary with spaces, as from boundary_from_content_type") {
    const std::string b = "a b'()+_,-./:=?";
    const auto body = "--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" + b + "--";
    CHECK(parse_ok(body, b).fields[0].second == "v");
  }
  SECTION("a file with an empty filename is still a file") {
    const auto m = parse_ok(part({"Content-Disposition: form-data; name=\"f\"; filename=\"\""}, "") + close());
    REQUIRE(m.files.size() == 1);
    CHECK(m.files[0].filename.empty());
    CHECK(m.files[0].content_type.empty());
  }
  SECTION("identity transfer encodings are accepted") {
    const auto m = parse_ok(part({"Content-Disposition: form-data; name=\"a\"", "Content-Transfer-Encoding: 8bit"}, "é") +
                            close());
    CHECK(m.fields[0].second == "é");
  }
}

TEST_CASE("Filenames: quoting, escapes, RFC 5987 and raw UTF-8", "[multipart][filename]") {
  using row = std::tuple<std::string, std::string>;
  auto [disposition, filename] = GENERATE(table<std::string, std::string>({
      row{"form-data; name=\"f\"; filename=\"plain.txt\"", "plain.txt"},
      row{"form-data; name=\"f\"; filename=plain.txt", "plain.txt"},
      row{"form-data; name=\"f\"; filename=\"say \\\"hi\\\".txt\"", "say \"hi\".txt"},
      row{"form-data; name=\"f\"; filename=\"back\\\\slash.txt\"", "back\\slash.txt"},
      row{"form-data; name=\"f\"; filename=\"C:\\dir\\x.txt\"", "C:\\dir\\x.txt"},
      row{"form-data; name=\"f\"; filename=\"semi;colon.txt\"", "semi;colon.txt"},
      row{"form-data; name=\"f\"; filename=\"维修单 2026.pdf\"", "维修单 2026.pdf"},
      row{"form-data; name=\"f\"; filename*=UTF-8''%E4%B8%AD%E6%96%87.txt", "中文.txt"},
      row{"form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=utf-8'zh'%E4%B8%AD.txt", "中.txt"},
      row{"form-data; filename=\"x\"; name=\"f\"", "x"},
  }));
  CAPTURE(disposition);
  const auto m = parse_ok(part({"Content-Disposition: " + disposition}, "data") + close());
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0].name == "f");
  CHECK(m.files[0].filename == filename);
  CHECK(m.files[0].bytes == "data");
}

TEST_CASE("Malformed multipart bodies are refused with the reason", "[multipart][malformed]") {
  const std::string cd = "Content-Disposition: form-data; name=\"a\"";
  const std::string ok = part({cd}, "v");
  // A whole body of one part whose Content-Disposition is "form-data; " + params.
  const auto one = [](const std::string& params) {
    return part({"Content-Disposition: form-data; " + params}, "v") + close();
  };
  using row = std::tuple<std::string, std::string, input_error>;
  auto [label, body, error] = GENERATE_COPY(table<std::string, std::string, input_error>({
      row{"empty body", "", input_error::malformed},
      row{"no delimiter at all", "just text", input_error::malformed},
      row{"no closing delimiter", ok, input_error::malformed},
      row{"closing delimiter without the dashes", ok + "--" + B + "\r\n", input_error::malformed},
      row{"no parts", close(), input_error::malformed},
      row{"delimiter followed by text", "--" + B + "x\r\n" + cd + "\r\n\r\nv\r\n" + close(), input_error::malformed},
      row{"delimiter line with LF only", "--" + B + "\n" + cd + "\r\n\r\nv\r\n" + close(), input_error::malformed},
      row{"no Content-Disposition", part({"Content-Type: text/plain"}, "v") + close(), input_error::missing_field},
      row{"no headers at all", part({}, "v") + close(), input_error::missing_field},
      row{"no name", one("filename=\"x\""), input_error::missing_field},
      row{"empty name", one("name=\"\""), input_error::missing_field},
      row{"header line without colon", part({cd, "Garbage"}, "v") + close(), input_error::malformed},
      row{"header name with a space", part({cd, "Content Type: x"}, "v") + close(), input_error::malformed},
      row{"folded header", part({cd, " continued"}, "v") + close(), input_error::malformed},
      row{"bare LF in headers", "--" + B + "\r\n" + cd + "\nX: y\r\n\r\nv\r\n" + close(), input_error::malformed},
      row{"headers never end", "--" + B + "\r\n" + cd + "\r\nv\r\n" + close(), input_error::malformed},
      row{"duplicate Content-Disposition", part({cd, cd}, "v") + close(), input_error::malformed},
      row{"duplicate Content-Type", part({cd, "Content-Type: a/b", "Content-Type: c/d"}, "v") + close(), input_error::malformed},
      row{"disposition not form-data", part({"Content-Disposition: attachment; name=\"a\""}, "v") + close(), input_error::malformed},
      row{"unterminated quoted name", one("name=\"a"), input_error::malformed},
      row{"parameter without value", one("name"), input_error::malformed},
      row{"repeated parameter", one("name=\"a\"; name=\"b\""), input_error::malformed},
      row{"junk after a quoted value", one("name=\"a\"x"), input_error::malformed},
      row{"control character in a header", part({cd + "\x01"}, "v") + close(), input_error::malformed},
      row{"value not UTF-8", part({cd}, "\xC3\x28") + close(), input_error::not_utf8},
      row{"name not UTF-8", one("name=\"\xFF\""), input_error::not_utf8},
      row{"filename not UTF-8", one("name=\"f\"; filename=\"\xED\xA0\x80\""), input_error::not_utf8},
      row{"filename* not UTF-8", one("name=\"f\"; filename*=UTF-8''%FF"), input_error::not_utf8},
      row{"filename* in Latin-1", one("name=\"f\"; filename*=ISO-8859-1''%E9"), input_error::unsupported},
      row{"filename* without quotes", one("name=\"f\"; filename*=x.txt"), input_error::malformed},
      row{"filename* bad escape", one("name=\"f\"; filename*=UTF-8''%G1"), input_error::malformed},
      row{"base64 transfer encoding", part({cd, "Content-Transfer-Encoding: base64"}, "dg==") + close(), input_error::unsupported},
      row{"quoted-printable", part({cd, "Content-Transfer-Encoding: quoted-printable"}, "v") + close(), input_error::unsupported},
  }));
  CAPTURE(label);
  auto r = parse_multipart(body, B);
  REQUIRE(std::holds_alternative<input_error>(r));
  CHECK(std::get<input_error>(r) == error);
}

TEST_CASE("Multipart limits: 200 parts, 16 KiB of part headers, valid boundary argument", "[multipart][limits]") {
  const std::string cd = "Content-Disposition: form-data; name=\"a\"";
  SECTION("200 parts pass, 201 do not") {
    std::string body;
    for (int i = 0; i < 200; ++i) body += part({cd}, std::to_string(i));
    CHECK(parse_ok(body + close()).fields.size() == 200);
    auto r = parse_multipart(body + part({cd}, "x") + close(), B);
    REQUIRE(std::holds_alternative<input_error>(r));
    CHECK(std::get<input_error>(r) == input_error::too_large);
  }
  SECTION("a header block of exactly 16 KiB passes, one byte more does not") {
    // Block = cd CRLF + "X: " filler CRLF + CRLF.
    const std::size_t fixed = cd.size() + 2 + 3 + 2 + 2;
    const std::string filler(channels::multipart_max_header_block - fixed, 'y');
    CHECK(parse_ok(part({cd, "X: " + filler}, "v") + close()).fields.size() == 1);
    auto r = parse_multipart(part({cd, "X: " + filler + "y"}, "v") + close(), B);
    REQUIRE(std::holds_alternative<input_error>(r));
    CHECK(std::get<input_error>(r) == input_error::too_large);
  }
  SECTION("an endless header line is too large, not merely malformed") {
    auto r = parse_multipart("--" + B + "\r\n" + cd + std::string(20000, 'z') + "\r\n--" + B + "--", B);
    REQUIRE(std::holds_alternative<input_error>(r));
    CHECK(std::get<input_error>(r) == input_error::too_large);
  }
  SECTION("an invalid boundary argument") {
    const auto body = part({cd}, "v") + close();
    for (std::string bad : {std::string(), std::string(71, 'b'), std::string("a\r\nb"), std::string("trailing ")}) {
      auto r = parse_multipart(body, bad);
      REQUIRE(std::holds_alternative<input_error>(r));
      CHECK(std::get<input_error>(r) == input_error::malformed);
    }
  }
  SECTION("a large binary file round-trips") {
    std::mt19937 rng(3);
    const auto bytes = random_bytes(rng, 256 * 1024);
    const auto m = parse_ok(part({"Content-Disposition: form-data; name=\"attachment-1\"; filename=\"x.bin\"",
                                  "Content-Type: application/octet-stream"},
                                 bytes) +
                            close());
    REQUIRE(m.files.size() == 1);
    CHECK(m.files[0].bytes == bytes);
  }
}

// Every parser that sees gateway bytes must survive anything: no crash, no exception, no
// sanitizer report. Half the inputs are random bytes, half are mutations of valid bodies.
TEST_CASE("Fuzz: random and mutated bodies never crash the parsers", "[multipart][fuzz]") {
  const std::string multipart_seed =
      part({"Content-Disposition: form-data; name=\"from\""}, "Bob <bob@example.com>") +
      part({"Content-Disposition: form-data; name=\"recipient\""}, "support@mg.example.com") +
      part({"Content-Disposition: form-data; name=\"message-headers\""},
           R"([["Message-Id", "<a@b>"], ["References", "<x@y> <z@w>"], ["Auto-Submitted", "no"]])") +
      part({"Content-Disposition: form-data; name=\"attachment-count\""}, "1") +
      part({"Content-Disposition: form-data; name=\"attachment-1\"; filename*=UTF-8''%E4%B8%AD.png",
            "Content-Type: image/png"},
           "\x89PNG\r\n\x1a\n") +
      close();
  const std::string form_seed =
      "MessageSid=SM1&From=%2B14158675309&To=%2B18005551212&Body=hi+%E4%B8%AD&NumMedia=1&MediaUrl0=https%3A%2F%2F"
      "api.twilio.com%2Fm&MediaContentType0=image%2Fjpeg&recipient=a%40b.c&from=x%40y.z&message-headers=%5B%5D"
      "&attachment-count=0&Message-Id=%3Cm%40x%3E";
  const std::string alphabet = "-\r\n\"=;:%&+<>[]{}\\,@0aZ\xE4\xB8\xAD\xFF";
  std::mt19937 rng(0x5eed);
  int parsed_multipart = 0, parsed_forms = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    switch (i % 4) {
      case 0:
        input = random_bytes(rng, rng() % 600);
        break;
      case 1:  // random text over the characters that matter to the grammars
        for (auto n = rng() % 600; n > 0; --n) input.push_back(alphabet[rng() % alphabet.size()]);
        break;
      default: {  // mutate a valid body: flips, deletions, insertions, truncation
        input = (i % 4 == 2) ? multipart_seed : form_seed;
        for (auto n = 1 + rng() % 4; n > 0; --n) {
          const auto at = input.empty() ? 0 : rng() % input.size();
          switch (rng() % 4) {
            case 0: if (!input.empty()) input[at] = static_cast<char>(rng() & 0xFF); break;
            case 1: if (!input.empty()) input.erase(at, 1 + rng() % 8); break;
            case 2: input.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
            default: input.resize(at); break;
          }
        }
      }
    }
    CAPTURE(i);
    REQUIRE_NOTHROW([&] {
      auto mp = parse_multipart(input, B);
      if (auto* body = std::get_if<multipart_body>(&mp)) {
        ++parsed_multipart;
        (void)channels::parse_mailgun(body->fields, body->files);
        (void)channels::parse_twilio_sms(body->fields);
      }
      (void)channels::boundary_from_content_type(input);
      if (auto fields = channels::parse_form(input)) {
        ++parsed_forms;
        (void)channels::parse_mailgun(*fields, {});
        (void)channels::parse_twilio_sms(*fields);
        (void)channels::verify_twilio_signature("tok", "https://h/p", *fields, "x");
      }
      (void)channels::bare_address(input);
      (void)channels::message_ids(input);
      (void)channels::find_ticket_token(input);
      (void)channels::classify_sms_keyword(input);
    }());
  }
  // The mutations must reach the deeper parsers often enough to mean something.
  CHECK(parsed_multipart > 500);
  CHECK(parsed_forms > 1000);
}
