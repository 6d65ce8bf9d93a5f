#pragma once
// WeChat Official Account message push: signatures, safe-mode AES, message XML.
// Pure functions of bytes (no I/O); every function may be called from any thread.
// Protocol: ../shared/docs/channels.md §1.

#include "channels/message.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace channels::wechat {

// Lower-case hex SHA-1 of the byte-wise sorted, concatenated parts (§1.2, §1.7.3).
std::string signature(std::vector<std::string_view> parts);

// Constant-time check of `given` against signature({token, timestamp, nonce}).
bool verify_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                      std::string_view given);

// Constant-time check of `given` against signature({token, timestamp, nonce, encrypt}).
bool verify_msg_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                          std::string_view encrypt, std::string_view given);

// The 32-byte AES key from a 43-character EncodingAESKey, decoded leniently (trailing bits
// ignored, §1.7.1). Returns nullopt when the text is not 43 Base64 characters.
struct aes_key {
  std::array<unsigned char, 32> bytes{};
};
std::optional<aes_key> decode_aes_key(std::string_view encoding_aes_key);

enum class crypto_error { bad_base64, bad_length, bad_padding, bad_layout, appid_mismatch, cipher_failure };
const char* to_string(crypto_error e);

struct decrypted {
  std::string random;  // the 16 random bytes
  std::string msg;     // the message, verbatim
  std::string appid;   // receive id that followed the message
};

// Decrypts an <Encrypt> value (§1.7.4): Base64, AES-256-CBC with IV = key[0..16), PKCS#7 with
// block 32 stripped by hand, layout checked, appid compared with `expected_appid` (skipped when
// empty). Returns crypto_error on any failure; never throws.
std::variant<decrypted, crypto_error> decrypt(const aes_key& key, std::string_view encrypt_b64,
                                              std::string_view expected_appid);

// Encrypts `msg` for a reply (§1.7.2): random16 must be 16 bytes. Returns the Base64 text.
std::string encrypt(const aes_key& key, std::string_view msg, std::string_view appid,
                    std::string_view random16);

enum class parse_error { malformed_xml, doctype_refused, missing_field, not_utf8, unsupported };
const char* to_string(parse_error e);

// The envelope of a safe/compatible-mode push: <ToUserName> and <Encrypt>.
struct envelope {
  std::string to_user;
  std::string encrypt;
};
// Parses the outer XML of an encrypted push. DOCTYPE/entity declarations are refused.
std::variant<envelope, parse_error> parse_envelope(std::string_view xml);

// Parses a plain message/event XML (§1.3, §1.4) into a channel-neutral message with
// channel = "wechat". provider_id: MsgId, or FromUserName + "|" + CreateTime + "|" + Event
// (+ "|" + EventKey) for events. voice: text = Recognition when present, and the voice is an
// attachment. image/video/shortvideo: attachment (ref = MediaId, or PicUrl when no MediaId).
// event names are lower-cased (subscribe, unsubscribe, click, scan, view, location, ...).
// DOCTYPE/entity declarations are refused; text must be valid UTF-8.
std::variant<inbound_message, parse_error> parse_message(std::string_view xml);

// Passive text reply XML (§1.6): to = customer's OpenID, from = our gh_ id.
std::string text_reply_xml(std::string_view to, std::string_view from, std::int64_t create_time,
                           std::string_view content);

// Safe-mode reply wrapper (§1.7.4) around an already encrypted reply.
std::string encrypted_reply_xml(std::string_view encrypt_b64, std::string_view msg_signature,
                                std::int64_t timestamp, std::string_view nonce);

}  // namespace channels::wechat
