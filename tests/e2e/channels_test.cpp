// End-to-end over SMS (Twilio) and e-mail (Mailgun + SMTP): the real binary, a fake Twilio
// REST server and a fake SMTP server started here, the outbox delivering every reply.
#include "tests/bot/fake_smtp_server.hpp"
#include "tests/e2e/fake_gateway.hpp"
#include "tests/e2e/harness.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <regex>
#include <thread>

namespace {

using namespace std::chrono_literals;

const std::string messages_path =
    std::string{"/2010-04-01/Accounts/"} + e2e::server::twilio_sid + "/Messages.json";

// Fast retries so the tests see several attempts in a second or two.
const std::string fast_outbox = R"("outbox": {"max_attempts": 3, "base_backoff_seconds": 1, "max_backoff_seconds": 1})";

using e2e::parse_json;

std::map<std::string, std::string> form(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    auto pair = body.substr(start, end - start);
    auto eq = pair.find('=');
    out[e2e::percent_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : e2e::percent_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

// Decodes a base64 body split in CRLF lines (the mail's text part).
std::string base64_text(const std::string& lines) {
  std::string b64;
  for (char c : lines)
    if (c != '\r' && c != '\n') b64.push_back(c);
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

}  // namespace

namespace {

// Answers for whatever slot the dialog awaits, so the test does not hard-code the question order.
const std::map<std::string, std::string> zh_answers{
    {"model", "ABC-2000"}, {"serial", "SN5612345"}, {"problem", "脱水时噪音很大,机身晃动"},
    {"purchase_date", "2025-03-15"}, {"service_method", "2"}, {"phone", "13800135678"},
    {"name", "张先生"}, {"confirm", "确认"}};

struct sms_customer {
  e2e::server& s;
  e2e::fake_gateway& gw;
  std::string phone;
  int next_sid = 1;

  // Sends one SMS and waits until the bot's reply reached the fake Twilio; returns its Body.
  std::string say(const std::string& text) {
    const auto before = gw.requests(messages_path).size();
    auto sid = "SM" + std::to_string(1000000 + next_sid++) + phone.substr(1);
    auto res = s.twilio_post({{"MessageSid", sid}, {"AccountSid", e2e::server::twilio_sid}, {"From", phone},
                              {"To", e2e::server::twilio_number}, {"Body", text}, {"NumMedia", "0"}});
    REQUIRE(res.status == 200);
    CHECK(res.body == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
    REQUIRE(gw.wait_for(messages_path, before + 1, 5s) >= before + 1);
    std::this_thread::sleep_for(50ms);  // several parts of one reply arrive back to back
    std::string replies;
    auto all = gw.requests(messages_path);
    for (std::size_t i = before; i < all.size(); ++i) {
      auto f = form(all[i].body);
      CHECK(f["To"] == phone);
      CHECK(f["From"] == e2e::server::twilio_number);
      replies += f["Body"];
    }
    return replies;
  }
};

}  // namespace

TEST_CASE("An SMS customer reports a fault; every reply leaves through the outbox to Twilio REST", "[e2e][sms]") {
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, R"({"sid":"SMxxxx","status":"queued"})"});
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  o.extra_config = fast_outbox;
  e2e::server s{o};
  s.start();
  sms_customer c{s, gw, "+8613800135678"};

  auto first = c.say("洗衣机坏了");
  CHECK_FALSE(first.empty());
  std::string last;
  for (int turn = 0; turn < 12; ++turn) {
    auto slot = e2e::awaiting(s, "sms", c.phone);
    CAPTURE(slot);
    REQUIRE(zh_answers.count(slot));
    last = c.say(zh_answers.at(slot));
    if (slot == "confirm") break;
  }
  std::smatch m;
  REQUIRE(std::regex_search(last, m, std::regex{"SR[0-9]{11,}"}));
  auto ticket = s.get("/api/v1/tickets/" + m.str(), e2e::server::supervisor_token);
  REQUIRE(ticket.status == 200);
  auto t = parse_json(ticket.body);
  CHECK(std::string{t["channel"].GetString()} == "sms");
  CHECK(std::string{t["customer"]["phone"].GetString()} == "+8613800135678");
  CHECK(std::string{t["product"]["serial"].GetString()} == "SN5612345");

  // Every request carried Twilio's basic auth (account SID : auth token).
  for (const auto& r : gw.requests(messages_path)) CHECK(r.headers.at("authorization").rfind("Basic ", 0) == 0);
}

TEST_CASE("With sms.reply twiml the replies come back as TwiML in the webhook's answer", "[e2e][sms]") {
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, R"({"sid":"SMxxxx","status":"queued"})"});
  e2e::server::options o;
  auto block = e2e::server::sms_block(gw.base_url());
  block.insert(block.rfind('}'), R"(, "reply": "twiml")");
  o.extra_channels = block;
  o.extra_config = fast_outbox;
  e2e::server s{o};
  s.start();
  const std::string phone = "+8613800135679";
  int next_sid = 1;
  // The <Message> bodies of one answer, entities decoded (the templates use & < > rarely, but
  // the customer's own words may come back in the confirmation).
  auto messages = [](const std::string& twiml) {
    std::vector<std::string> out;
    const std::regex element{"<Message>([^<]*)</Message>"};
    for (auto it = std::sregex_iterator(twiml.begin(), twiml.end(), element); it != std::sregex_iterator(); ++it) {
      std::string text = (*it)[1].str();
      for (auto [entity, c] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}})
        for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
          text.replace(at, std::string_view{entity}.size(), c);
      out.push_back(text);
    }
    return out;
  };
  std::string last_sid;
  auto say = [&](const std::string& text) {
    last_sid = "SM" + std::to_string(2000000 + next_sid++) + phone.substr(1);
    auto res = s.twilio_post({{"MessageSid", last_sid}, {"AccountSid", e2e::server::twilio_sid}, {"From", phone},
                              {"To", e2e::server::twilio_number}, {"Body", text}, {"NumMedia", "0"}});
    REQUIRE(res.status == 200);
    CHECK(res.body.rfind(R"(<?xml version="1.0" encoding="UTF-8"?><Response>)", 0) == 0);
    return res.body;
  };

  const auto first = say("洗衣机坏了");
  const auto first_texts = messages(first);
  REQUIRE(first_texts.size() == 1);
  CHECK_FALSE(first_texts[0].empty());
  // Twilio retries the same MessageSid: the same answer, and nothing processed twice.
  auto again = s.twilio_post({{"MessageSid", last_sid}, {"AccountSid", e2e::server::twilio_sid}, {"From", phone},
                              {"To", e2e::server::twilio_number}, {"Body", "洗衣机坏了"}, {"NumMedia", "0"}});
  CHECK(again.body == first);

  std::string confirmation;
  for (int turn = 0; turn < 12; ++turn) {
    auto slot = e2e::awaiting(s, "sms", phone);
    CAPTURE(slot);
    REQUIRE(zh_answers.count(slot));
    auto texts = messages(say(zh_answers.at(slot)));
    REQUIRE_FALSE(texts.empty());
    if (slot == "confirm") {
      for (const auto& t : texts) confirmation += t;
      break;
    }
  }
  std::smatch m;
  REQUIRE(std::regex_search(confirmation, m, std::regex{"SR[0-9]{11,}"}));
  auto ticket = s.get("/api/v1/tickets/" + m.str(), e2e::server::supervisor_token);
  REQUIRE(ticket.status == 200);

  // No reply went through REST; what follows the ticket's creation (who is coming) still does.
  gw.wait_for(messages_path, 1, 2s);
  std::this_thread::sleep_for(300ms);
  for (const auto& r : gw.requests(messages_path)) {
    auto f = form(r.body);
    if (f["To"] != phone) continue;
    CHECK(f["Body"].find(m.str()) != std::string::npos);  // the assignment notice names the ticket
    for (const auto& t : first_texts) CHECK(f["Body"] != t);
  }
}

TEST_CASE("SMS keywords: STOP opts out, HELP answers, and a bad signature changes nothing", "[e2e][sms]") {
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, "{}"});
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  e2e::server s{o};
  s.start();
  const std::vector<std::pair<std::string, std::string>> base{
      {"AccountSid", e2e::server::twilio_sid}, {"From", "+14155550100"}, {"To", e2e::server::twilio_number}};
  auto with = [&](std::string sid, std::string body) {
    auto f = base;
    f.emplace_back("MessageSid", std::move(sid));
    f.emplace_back("Body", std::move(body));
    return f;
  };
  CHECK(s.twilio_post(with("SM1", "washer broken"), true).status == 403);
  CHECK(e2e::awaiting(s, "sms", "+14155550100") == "<none>");

  CHECK(s.twilio_post(with("SM2", "HELP")).status == 200);
  REQUIRE(gw.wait_for(messages_path, 1, 5s) == 1);
  CHECK(form(gw.requests(messages_path)[0].body)["Body"].find("STOP") != std::string::npos);

  CHECK(s.twilio_post(with("SM3", "STOP")).status == 200);
  CHECK(s.twilio_post(with("SM3", "STOP")).status == 200);  // Twilio retry: same MessageSid
  std::this_thread::sleep_for(300ms);
  CHECK(gw.requests(messages_path).size() == 1);  // STOP is confirmed by Twilio itself, not by us
  CHECK(e2e::awaiting(s, "sms", "+14155550100") == "<none>");
}

TEST_CASE("The outbox retries a failing gateway and delivers exactly once, or marks the entry dead",
          "[e2e][sms][outbox]") {
  e2e::fake_gateway gw;
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  o.extra_config = fast_outbox;

  SECTION("500 twice, then 201: delivered once") {
    gw.queue(messages_path, {500, "{}"});
    gw.queue(messages_path, {500, "{}"});
    gw.fallback(messages_path, {201, "{}"});
    e2e::server s{o};
    s.start();
    CHECK(s.twilio_post({{"MessageSid", "SMr1"}, {"From", "+14155550101"}, {"To", "+15005550006"},
                         {"Body", "my washer is broken"}})
              .status == 200);
    REQUIRE(gw.wait_for(messages_path, 3, 10s) == 3);
    std::this_thread::sleep_for(2500ms);
    CHECK(gw.requests(messages_path).size() == 3);
    auto sent = parse_json(s.get("/api/v1/outbox?state=sent", e2e::server::admin_token).body);
    REQUIRE(sent["entries"].Size() == 1);
    CHECK(sent["entries"][0]["attempts"].GetInt() == 3);
  }
  SECTION("always 500: dead after max_attempts, listed for the admin") {
    gw.fallback(messages_path, {500, "{}"});
    e2e::server s{o};
    s.start();
    CHECK(s.twilio_post({{"MessageSid", "SMd1"}, {"From", "+14155550102"}, {"To", "+15005550006"},
                         {"Body", "my washer is broken"}})
              .status == 200);
    REQUIRE(gw.wait_for(messages_path, 3, 10s) == 3);
    std::this_thread::sleep_for(2500ms);
    CHECK(gw.requests(messages_path).size() == 3);
    auto dead = s.get("/api/v1/outbox?state=dead", e2e::server::admin_token);
    REQUIRE(dead.status == 200);
    auto d = parse_json(dead.body);
    REQUIRE(d["entries"].Size() == 1);
    CHECK(std::string{d["entries"][0]["recipient"].GetString()}.find("****") != std::string::npos);
    CHECK(s.get("/api/v1/outbox?state=dead", e2e::server::supervisor_token).status == 403);
  }
  SECTION("an invalid number (Twilio 21211) is not retried") {
    gw.fallback(messages_path, {400, R"({"code":21211,"message":"invalid To"})"});
    e2e::server s{o};
    s.start();
    CHECK(s.twilio_post({{"MessageSid", "SMp1"}, {"From", "+14155550103"}, {"To", "+15005550006"},
                         {"Body", "hello"}})
              .status == 200);
    REQUIRE(gw.wait_for(messages_path, 1, 5s) == 1);
    std::this_thread::sleep_for(2500ms);
    CHECK(gw.requests(messages_path).size() == 1);
    CHECK(parse_json(s.get("/api/v1/outbox?state=dead", e2e::server::admin_token).body)["entries"].Size() == 1);
  }
}

TEST_CASE("The inbound path never waits on a hanging gateway", "[e2e][sms][outbox]") {
  e2e::fake_gateway gw;
  gw.fallback(messages_path, {201, "{}", 20s});  // Twilio hangs
  e2e::server::options o;
  o.extra_channels = e2e::server::sms_block(gw.base_url());
  e2e::server s{o};
  s.start();
  for (int i = 0; i < 5; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto res = s.twilio_post({{"MessageSid", "SMh" + std::to_string(i)}, {"From", "+1415555020" + std::to_string(i)},
                              {"To", "+15005550006"}, {"Body", "washer broken"}});
    CHECK(res.status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
  }
  CHECK(gw.wait_for(messages_path, 5, 5s) == 5);  // the sends are under way, still hanging
}

TEST_CASE("An e-mail customer reports a fault; replies go by SMTP and thread onto the ticket", "[e2e][email]") {
  fake::smtp_server smtp{fake::smtp_options{}};
  e2e::server::options o;
  o.extra_channels = e2e::server::email_block(smtp.port());
  o.extra_config = fast_outbox;
  e2e::server s{o};
  s.start();
  const std::string customer = "zhang@example.net";
  int n = 0;
  std::string last_our_id;
  std::vector<std::string> refs;
  auto mail = [&](const std::string& text) {
    const auto before = smtp.sessions().size();
    const std::string id = "m" + std::to_string(++n) + "@mail.example.net";
    std::vector<std::pair<std::string, std::string>> f{
        {"recipient", "service@example.com"}, {"sender", customer}, {"from", "Zhang <" + customer + ">"},
        {"subject", "洗衣机故障"}, {"body-plain", text + "\n\n> quoted history"}, {"stripped-text", text},
        {"Message-Id", "<" + id + ">"}};
    if (!last_our_id.empty()) {
      f.emplace_back("In-Reply-To", "<" + last_our_id + ">");
      std::string r;
      for (const auto& x : refs) r += "<" + x + "> ";
      f.emplace_back("References", r + "<" + last_our_id + ">");
    }
    auto res = s.mailgun_post(f);
    REQUIRE(res.status == 200);
    // Wait for the bot's answer mail.
    for (int i = 0; i < 200 && smtp.sessions().size() <= before; ++i) std::this_thread::sleep_for(25ms);
    for (int i = 0; i < 200 && !(smtp.sessions().size() > before && !smtp.sessions().back().data.empty()); ++i)
      std::this_thread::sleep_for(25ms);
    REQUIRE(smtp.sessions().size() > before);
    auto session = smtp.sessions().back();
    CHECK(session.rcpt_to == std::vector<std::string>{customer});
    const auto& data = session.data;
    CHECK(data.find("Auto-Submitted: auto-replied") != std::string::npos);
    CHECK(data.find("In-Reply-To: <" + id + ">") != std::string::npos);
    std::smatch m;
    REQUIRE(std::regex_search(data, m, std::regex{"Message-ID: <([^>]+)>"}));
    refs.push_back(id);
    last_our_id = m[1];
    return data;
  };

  mail("我的洗衣机坏了");
  std::string data;
  for (int turn = 0; turn < 12; ++turn) {
    auto slot = e2e::awaiting(s, "email", customer);
    CAPTURE(slot);
    REQUIRE(zh_answers.count(slot));
    data = mail(zh_answers.at(slot));
    if (slot == "confirm") break;
  }
  // The confirmation mail's body (base64, UTF-8) names the ticket.
  auto body_at = data.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  auto text = base64_text(data.substr(body_at + 4));
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex{"SR[0-9]{11,}"}));
  auto t = parse_json(s.get("/api/v1/tickets/" + m.str(), e2e::server::supervisor_token).body);
  CHECK(std::string{t["channel"].GetString()} == "email");
  CHECK(std::string{t["customer"]["channel_id"].GetString()} == customer);

  SECTION("a replayed token is refused and an auto-reply is recorded but never answered") {
    auto sessions = smtp.sessions().size();
    auto res = s.mailgun_post({{"recipient", "service@example.com"}, {"sender", ""}, {"from", "MAILER-DAEMON@x.org"},
                               {"subject", "Undelivered"}, {"body-plain", "bounce"}, {"Message-Id", "<b1@x.org>"}},
                              "fixed-token-123");
    CHECK(res.status == 200);
    CHECK(s.mailgun_post({{"recipient", "service@example.com"}, {"sender", customer}, {"from", customer},
                          {"subject", "hi"}, {"body-plain", "x"}, {"Message-Id", "<b2@x.org>"}},
                         "fixed-token-123")
              .status == 403);
    CHECK(s.mailgun_post({{"recipient", "service@example.com"}, {"sender", customer}, {"from", customer},
                          {"subject", "hi"}, {"body-plain", "x"}, {"Message-Id", "<b3@x.org>"}},
                         {}, std::time(nullptr) - 3600)
              .status == 403);
    std::this_thread::sleep_for(1s);
    CHECK(smtp.sessions().size() == sessions);
  }
}
