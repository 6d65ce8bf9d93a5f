#pragma once
// What a gateway does to the requests it sends and the replies it reads, written directly on
// OpenSSL so the benchmark does not trust the code it measures (channels/ is not used here):
// Twilio's X-Twilio-Signature (channels.md §2.2), WeChat's SHA-1 signatures (§1.2, §1.7.3) and
// safe-mode AES-256-CBC with PKCS#7 padding to 32 bytes done by hand (§1.7.2, §1.7.4).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

std::string base64_encode(std::string_view raw);
// Lenient: ignores the unused trailing bits WeChat's 43-character keys carry. Returns "" on
// malformed input.
std::string base64_decode(std::string_view text);
std::string sha1_hex(std::string_view text);

// application/x-www-form-urlencoded: unreserved bytes as is, space as '+', the rest %XX.
std::string form_encode(std::string_view text);
// Inverse of form_encode ('+' is a space); malformed escapes are kept literally.
std::string form_decode(std::string_view text);
// Value of `key` in a form body, decoded; "" when absent.
std::string form_value(std::string_view body, std::string_view key);

// base64(HMAC-SHA1(auth_token, url + key1 + value1 + key2 + value2 ...)) over the fields
// sorted by key (byte order), as Twilio signs an inbound webhook.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             std::vector<std::pair<std::string, std::string>> fields);

// lower-hex SHA-1 of the sorted, concatenated parts (WeChat `signature` and `msg_signature`).
std::string wechat_signature(std::vector<std::string> parts);

// Safe-mode encryption of `msg` for `appid` with the 43-character EncodingAESKey: the
// Base64 text of the <Encrypt> element. `random16` is the 16-byte prefix.
std::string wechat_encrypt(std::string_view aes_key_43, std::string_view msg, std::string_view appid,
                           std::string_view random16);
// Decrypts an <Encrypt> text; returns false on any malformation (bad Base64, padding, length).
bool wechat_decrypt(std::string_view aes_key_43, std::string_view encrypt_b64, std::string& msg, std::string& appid);

// Text of the first <tag> element of a flat XML document, CDATA unwrapped; "" when absent.
// Enough for the fixed shapes WeChat uses; not a general XML parser.
std::string xml_field(std::string_view xml, std::string_view tag);

}  // namespace bench
