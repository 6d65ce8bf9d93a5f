// Twilio inbound webhook: the documented signature vector (channels.md §4 T1), port
// normalisation, repeated keys, the SMS/MMS fields, keywords and the empty TwiML.
#include "channels/twilio.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <random>
#include <string>

using channels::form_fields;
using channels::input_error;
using channels::sms_keyword;

namespace {

// Base64(HMAC-SHA1) of an explicitly written string-to-sign, independent of the code under test.
std::string hmac_sha1_base64(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &n);
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(n))));
  return out;
}

const form_fields t1_params{{"CallSid", "CA1234567890ABCDE"},
                            {"Caller", "+14158675309"},
                            {"Digits", "1234"},
                            {"From", "+14158675309"},
                            {"To", "+18005551212"}};
const std::string t1_url = "https://mycompany.com/myapp.php?foo=1&bar=2";

channels::inbound_message parse_ok(const form_fields& f) {
  auto r = channels::parse_twilio_sms(f);
  REQUIRE(std::holds_alternative<channels::inbound_message>(r));
  return std::get<channels::inbound_message>(r);
}

input_error parse_err(const form_fields& f) {
  auto r = channels::parse_twilio_sms(f);
  REQUIRE(std::holds_alternative<input_error>(r));
  return std::get<input_error>(r);
}

}  // namespace

TEST_CASE("Twilio signature reproduces the documented vector T1", "[twilio][signature][vector]") {
  CHECK(channels::twilio_signature("12345", t1_url, t1_params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  // The string-to-sign quoted in channels.md §2.2.
  CHECK(hmac_sha1_base64("12345", "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+"
                                  "14158675309Digits1234From+14158675309To+18005551212") ==
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  CHECK(channels::verify_twilio_signature("12345", t1_url, t1_params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

  SECTION("parameter order as received does not matter") {
    auto shuffled = t1_params;
    std::mt19937 rng(7);
    for (int i = 0; i < 10; ++i) {
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      CHECK(channels::verify_twilio_signature("12345", t1_url, shuffled, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }
  }
  SECTION("anything changed fails") {
    CHECK_FALSE(channels::verify_twilio_signature("54321", t1_url, t1_params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    CHECK_FALSE(channels::verify_twilio_signature("", t1_url, t1_params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    CHECK_FALSE(channels::verify_twilio_signature("12345", t1_url, t1_params, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
    CHECK_FALSE(channels::verify_twilio_signature("12345", t1_url, t1_params, "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
    CHECK_FALSE(channels::verify_twilio_signature("12345", t1_url, t1_params, ""));
    CHECK_FALSE(channels::verify_twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", t1_params,
                                                  "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    auto tampered = t1_params;
    tampered[2].second = "1235";
    CHECK_FALSE(channels::verify_twilio_signature("12345", t1_url, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    auto extra = t1_params;
    extra.emplace_back("Body", "");
    CHECK_FALSE(channels::verify_twilio_signature("12345", t1_url, extra, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  }
}

TEST_CASE("Twilio signature accepts the default port added or removed, nothing else", "[twilio][signature][port]") {
  using row = std::tuple<std::string, std::string, bool>;
  auto [signed_url, received_url, valid] = GENERATE(table<std::string, std::string, bool>({
      row{"https://bot.example.com/webhooks/sms/twilio", "https://bot.example.com:443/webhooks/sms/twilio", true},
      row{"https://bot.example.com:443/webhooks/sms/twilio", "https://bot.example.com/webhooks/sms/twilio", true},
      row{"http://bot.example.com/webhooks/sms/twilio", "http://bot.example.com:80/webhooks/sms/twilio", true},
      row{"http://bot.example.com:80/webhooks/sms/twilio", "http://bot.example.com/webhooks/sms/twilio", true},
      row{"https://bot.example.com/p?x=1&y=%27", "https://bot.example.com:443/p?x=1&y=%27", true},
      row{"https://bot.example.com:443/p?x=1", "https://bot.example.com/p?x=1", true},
      row{"https://bot.example.com", "https://bot.example.com:443", true},
      row{"https://bot.example.com:443", "https://bot.example.com", true},
      row{"https://bot.example.com/p#rc=3", "https://bot.example.com:443/p#rc=3", true},
      row{"https://user:pa:ss@bot.example.com/p", "https://user:pa:ss@bot.example.com:443/p", true},
      row{"https://user:pa:ss@bot.example.com:443/p", "https://user:pa:ss@bot.example.com/p", true},
      row{"https://[2001:db8::1]/p", "https://[2001:db8::1]:443/p", true},
      row{"https://[2001:db8::1]:443/p", "https://[2001:db8::1]/p", true},
      row{"HTTPS://bot.example.com/p", "HTTPS://bot.example.com:443/p", true},
      row{"https://bot.example.com:8443/p", "https://bot.example.com/p", false},
      row{"https://bot.example.com/p", "https://bot.example.com:8443/p", false},
      row{"https://bot.example.com:80/p", "https://bot.example.com/p", false},
      row{"http://bot.example.com:443/p", "http://bot.example.com/p", false},
      row{"https://bot.example.com/p", "http://bot.example.com/p", false},
      row{"https://bot.example.com/p", "https://bot.example.com:0443/p", false},
      row{"https://bot.example.com/p", "https://bot.example.com/p/", false},
      row{"https://bot.example.com/p", "ftp://bot.example.com/p", false},
  }));
  CAPTURE(signed_url, received_url);
  const auto sig = channels::twilio_signature("tok", signed_url, t1_params);
  CHECK(channels::verify_twilio_signature("tok", received_url, t1_params, sig) == valid);
  // The URL as given always works for http(s).
  const bool http = signed_url.rfind("http", 0) == 0 || signed_url.rfind("HTTP", 0) == 0;
  CHECK(channels::verify_twilio_signature("tok", signed_url, t1_params, sig) == http);
}

TEST_CASE("Twilio signature sorts keys byte-wise and repeated keys' distinct values", "[twilio][signature]") {
  const std::string url = "https://h.example/s";
  SECTION("repeated keys: values sorted, each once") {
    form_fields params{{"MediaUrl", "https://b"}, {"Body", "x"}, {"MediaUrl", "https://a"}};
    const auto expected = hmac_sha1_base64("tok", url + "Bodyx" + "MediaUrlhttps://a" + "MediaUrlhttps://b");
    CHECK(channels::twilio_signature("tok", url, params) == expected);
    CHECK(channels::verify_twilio_signature("tok", url, params, expected));
    form_fields doubled{{"MediaUrl", "https://a"}, {"MediaUrl", "https://a"}, {"Body", "x"}, {"MediaUrl", "https://b"}};
    CHECK(channels::twilio_signature("tok", url, doubled) == expected);
    // Dropping a duplicate key's second value (twilio-php#458) breaks the signature.
    form_fields dropped{{"MediaUrl", "https://b"}, {"Body", "x"}};
    CHECK_FALSE(channels::verify_twilio_signature("tok", url, dropped, expected));
  }
  SECTION("byte order, not locale or case-folding") {
    form_fields params{{"a", "1"}, {"_", "2"}, {"B", "3"}, {"\xE4\xB8\xAD", "4"}, {"Ab", "5"}};
    CHECK(channels::twilio_signature("tok", url, params) ==
          hmac_sha1_base64("tok", url + "Ab5" + "B3" + "_2" + "a1" + "\xE4\xB8\xAD" "4"));
  }
  SECTION("values are used decoded, UTF-8 as is") {
    form_fields params{{"Body", "退订 & more+"}};
    CHECK(channels::twilio_signature("tok", url, params) == hmac_sha1_base64("tok", url + "Body退订 & more+"));
  }
  SECTION("no parameters: the URL alone (GET webhooks)") {
    CHECK(channels::twilio_signature("tok", url + "?a=1", {}) == hmac_sha1_base64("tok", url + "?a=1"));
  }
}

TEST_CASE("Inbound SMS fields become a channel-neutral message", "[twilio][parse]") {
  auto form = channels::parse_form(
      "ToCountry=US&ToState=CA&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0&ToCity=&FromZip=94105"
      "&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO"
      "&Body=%E6%88%91%E7%9A%84%E6%B4%97%E8%A1%A3%E6%9C%BA%E5%9D%8F%E4%BA%86+SN12345678&FromCountry=US"
      "&To=%2B18005551212&ToZip=&NumSegments=1&MessageSid=SM0123456789abcdef0123456789abcdef"
      "&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14158675309&ApiVersion=2010-04-01");
  REQUIRE(form);
  const auto m = parse_ok(*form);
  CHECK(m.channel == "sms");
  CHECK(m.provider_id == "SM0123456789abcdef0123456789abcdef");
  CHECK(m.from == "+14158675309");
  CHECK(m.to == "+18005551212");
  CHECK(m.kind == "text");
  CHECK(m.text == "我的洗衣机坏了 SN12345678");
  CHECK(m.created_at == 0);
  CHECK(m.attachments.empty());
}

TEST_CASE("MMS media become attachments with kinds from their content types", "[twilio][parse][mms]") {
  form_fields f{{"MessageSid", "MM1"},
                {"From", "+8613800138000"},
                {"To", "+18005551212"},
                {"Body", ""},
                {"NumMedia", "4"},
                {"MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0"},
                {"MediaContentType0", "image/jpeg"},
                {"MediaUrl1", "https://api.twilio.com/m/ME1"},
                {"MediaContentType1", "audio/amr"},
                {"MediaUrl2", "https://api.twilio.com/m/ME2"},
                {"MediaContentType2", "Video/MP4"},
                {"MediaUrl3", "https://api.twilio.com/m/ME3"},
                {"MediaContentType3", "application/pdf"}};
  auto m = parse_ok(f);
  REQUIRE(m.attachments.size() == 4);
  CHECK(m.kind == "image");  // only media: the first item's kind
  CHECK(m.attachments[0].kind == "image");
  CHECK(m.attachments[0].ref == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0");
  CHECK(m.attachments[0].content_type == "image/jpeg");
  CHECK(m.attachments[1].kind == "voice");
  CHECK(m.attachments[2].kind == "video");
  CHECK(m.attachments[3].kind == "file");

  SECTION("text with media stays a text message") {
    f[3].second = "nameplate photo";
    CHECK(parse_ok(f).kind == "text");
  }
  SECTION("a media item without a content type is a file") {
    f.erase(f.begin() + 6);
    CHECK(parse_ok(f).attachments[0].kind == "file");
    CHECK(parse_ok(f).attachments[0].content_type.empty());
  }
  SECTION("media URLs past NumMedia are ignored") {
    f[4].second = "1";
    CHECK(parse_ok(f).attachments.size() == 1);
  }
  SECTION("a missing MediaUrlN is an error") {
    f.erase(f.begin() + 7);
    CHECK(parse_err(f) == input_error::missing_field);
  }
}

TEST_CASE("Invalid SMS webhooks are refused with the reason", "[twilio][parse][malformed]") {
  const form_fields good{{"MessageSid", "SM1"}, {"From", "+14158675309"}, {"To", "+18005551212"}, {"Body", "hi"}};
  using row = std::tuple<std::string, std::string, input_error>;
  auto [name, value, error] = GENERATE(table<std::string, std::string, input_error>({
      row{"MessageSid", "", input_error::missing_field},
      row{"From", "", input_error::missing_field},
      row{"From", "14158675309", input_error::malformed},
      row{"From", "+0123456", input_error::malformed},
      row{"From", "+1", input_error::malformed},
      row{"From", "+1234567890123456", input_error::malformed},
      row{"From", "whatsapp:+14158675309", input_error::malformed},
      row{"From", "+1 415 867 5309", input_error::malformed},
      row{"NumMedia", "", input_error::malformed},
      row{"NumMedia", "x", input_error::malformed},
      row{"NumMedia", "-1", input_error::malformed},
      row{"NumMedia", "+1", input_error::malformed},
      row{"NumMedia", "1.0", input_error::malformed},
      row{"NumMedia", " 1", input_error::malformed},
      row{"NumMedia", "11", input_error::too_large},
      row{"NumMedia", "0000000011", input_error::too_large},
      row{"NumMedia", "99999999999999999999999", input_error::too_large},
      row{"NumMedia", "1", input_error::missing_field},  // no MediaUrl0
  }));
  CAPTURE(name, value);
  auto f = good;
  bool replaced = false;
  for (auto& [k, v] : f)
    if (k == name) v = value, replaced = true;
  if (!replaced) f.emplace_back(name, value);
  CHECK(parse_err(f) == error);

  SECTION("absent required fields") {
    CHECK(parse_err({{"From", "+14158675309"}}) == input_error::missing_field);
    CHECK(parse_err({{"MessageSid", "SM1"}}) == input_error::missing_field);
    CHECK(parse_err({}) == input_error::missing_field);
  }
}

TEST_CASE("The first occurrence of a repeated SMS field wins", "[twilio][parse]") {
  auto m = parse_ok({{"MessageSid", "SM1"}, {"From", "+14158675309"}, {"Body", "first"}, {"Body", "second"},
                     {"MessageSid", "SM2"}});
  CHECK(m.provider_id == "SM1");
  CHECK(m.text == "first");
  CHECK(m.to.empty());
  CHECK(m.kind == "text");
}

TEST_CASE("Media credentials go only to Twilio hosts", "[twilio][media]") {
  using row = std::tuple<std::string, bool>;
  auto [url, ok] = GENERATE(table<std::string, bool>({
      row{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", true},
      row{"https://API.Twilio.com/x", true},
      row{"https://media.twiliocdn.twilio.com/x", true},
      row{"https://api.twilio.com", true},
      row{"http://api.twilio.com/x", false},
      row{"https://api.twilio.com.evil.example/x", false},
      row{"https://eviltwilio.com/x", false},
      row{"https://api.twilio.com@evil.example/x", false},
      row{"https://evil.example/api.twilio.com", false},
      row{"https://api.twilio.com:8443/x", false},
      row{"https://twilio.com/x", false},
      row{"", false},
  }));
  CAPTURE(url);
  CHECK(channels::is_twilio_media_url(url) == ok);
}

TEST_CASE("SMS keywords follow Twilio's defaults plus 退订", "[twilio][keyword]") {
  using row = std::tuple<std::string, sms_keyword>;
  auto [body, keyword] = GENERATE(table<std::string, sms_keyword>({
      row{"STOP", sms_keyword::stop},          row{"stop", sms_keyword::stop},
      row{"  Stop \r\n", sms_keyword::stop},   row{"Stop.", sms_keyword::stop},
      row{"STOP!", sms_keyword::stop},         row{"stopall", sms_keyword::stop},
      row{"Unsubscribe", sms_keyword::stop},   row{"CANCEL", sms_keyword::stop},
      row{"cancel", sms_keyword::stop},        row{"End", sms_keyword::stop},
      row{"quit", sms_keyword::stop},          row{"REVOKE", sms_keyword::stop},
      row{"optout", sms_keyword::stop},        row{"退订", sms_keyword::stop},
      row{"\xE3\x80\x80退订。", sms_keyword::stop}, row{"退订！", sms_keyword::stop},
      row{"\xC2\xA0STOP\xC2\xA0", sms_keyword::stop},
      row{"START", sms_keyword::start},        row{"yes", sms_keyword::start},
      row{"Unstop", sms_keyword::start},       row{"HELP", sms_keyword::help},
      row{"help?", sms_keyword::none},         row{"info", sms_keyword::help},
      row{"", sms_keyword::none},              row{"   ", sms_keyword::none},
      row{"STOP please", sms_keyword::none},   row{"please stop", sms_keyword::none},
      row{"STOPP", sms_keyword::none},         row{"STOP!!", sms_keyword::none},
      row{"S T O P", sms_keyword::none},       row{"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", sms_keyword::none},
      row{"退订 谢谢", sms_keyword::none},     row{"SN12345678", sms_keyword::none},
      row{"no", sms_keyword::none},            row{".", sms_keyword::none},
      row{std::string("STOP\0", 5), sms_keyword::none},
  }));
  CAPTURE(body);
  CHECK(channels::classify_sms_keyword(body) == keyword);
}

TEST_CASE("Keyword names and the empty TwiML are exact", "[twilio]") {
  CHECK(std::string(channels::to_string(sms_keyword::stop)) == "stop");
  CHECK(std::string(channels::to_string(sms_keyword::none)) == "none");
  CHECK(channels::empty_twiml() == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
  CHECK(std::string(channels::to_string(input_error::missing_field)) == "missing_field");
}

TEST_CASE("twiml_messages answers with one escaped <Message> per body", "[twilio]") {
  CHECK(channels::twiml_messages({}) == channels::empty_twiml());
  CHECK(channels::twiml_messages({"请回复序列号", "Tom & Jerry <3 \"quotes\""}) ==
        R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>请回复序列号</Message>)"
        R"(<Message>Tom &amp; Jerry &lt;3 "quotes"</Message></Response>)");
  // XML 1.0 cannot carry C0 controls other than tab / newline / CR: they are dropped, not sent.
  CHECK(channels::twiml_messages({std::string{"a\x01\x1f" "b\tc\nd"}}) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>ab\tc\nd</Message></Response>");
  // A body that looks like markup stays text.
  CHECK(channels::twiml_messages({"</Message><Redirect>http://evil</Redirect>"}) ==
        R"(<?xml version="1.0" encoding="UTF-8"?><Response><Message>&lt;/Message&gt;&lt;Redirect&gt;http://evil&lt;/Redirect&gt;</Message></Response>)");
}
