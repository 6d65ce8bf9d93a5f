// WeChat signatures and safe-mode AES (channels.md §1.2, §1.7). Every primitive is OpenSSL's;
// this file only arranges bytes the way Tencent's samples do.
#include "channels/wechat.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <memory>

namespace channels::wechat {
namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t iv_size = 16;
constexpr std::size_t random_size = 16;
constexpr std::size_t length_size = 4;
// Tencent pads FullStr to 32-byte blocks although AES blocks are 16 bytes, so pad values 17..32
// occur and OpenSSL's own PKCS#7 (block 16) would reject about half of all messages (§1.13).
constexpr std::size_t pad_block = 32;
constexpr std::size_t encoding_aes_key_size = 43;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP_DecodeBlock skips surrounding whitespace and decodes '=' anywhere as zero bits, so the
// canonical shape (alphabet, then at most two '=' at the end, length a multiple of 4) is checked
// here first; only the trailing bits stay lenient.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view body = text.substr(0, text.size() - padding);
  if (!std::all_of(body.begin(), body.end(), is_base64_char)) return std::nullopt;
  if (text.empty()) return std::string{};
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

// One-shot AES-256-CBC with IV = key[0..16) (§1.7.1) and library padding off; the input is
// always a whole number of blocks here. Returns nullopt on any OpenSSL failure.
std::optional<std::string> aes_cbc(const aes_key& key, std::string_view input, bool encrypting) {
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) return std::nullopt;
  const unsigned char* iv = key.bytes.data();
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.bytes.data(), iv,
                        encrypting ? 1 : 0) != 1)
    return std::nullopt;
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return std::nullopt;
  std::string out(input.size() + iv_size, '\0');
  int written = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                       bytes_of(input), static_cast<int>(input.size())) != 1)
    return std::nullopt;
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written, &tail) != 1)
    return std::nullopt;
  out.resize(static_cast<std::size_t>(written) + static_cast<std::size_t>(tail));
  return out;
}

bool equal_constant_time(std::string_view expected, std::string_view given) {
  // The length of a SHA-1 hex digest is public, so leaving early on a length mismatch leaks nothing.
  if (expected.size() != given.size()) return false;
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace

std::string signature(std::vector<std::string_view> parts) {
  // char_traits<char> compares as unsigned char, which is the byte order Tencent's samples sort by.
  std::sort(parts.begin(), parts.end());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha1(), nullptr) != 1) return {};
  for (const std::string_view part : parts)
    if (EVP_DigestUpdate(md.get(), part.data(), part.size()) != 1) return {};
  if (EVP_DigestFinal_ex(md.get(), digest, &digest_size) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest_size * 2);
  for (unsigned int i = 0; i < digest_size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

bool verify_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                      std::string_view given) {
  const std::string expected = signature({token, timestamp, nonce});
  return !expected.empty() && equal_constant_time(expected, given);
}

bool verify_msg_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                          std::string_view encrypt, std::string_view given) {
  const std::string expected = signature({token, timestamp, nonce, encrypt});
  return !expected.empty() && equal_constant_time(expected, given);
}

std::optional<aes_key> decode_aes_key(std::string_view encoding_aes_key) {
  if (encoding_aes_key.size() != encoding_aes_key_size) return std::nullopt;
  if (!std::all_of(encoding_aes_key.begin(), encoding_aes_key.end(), is_base64_char)) return std::nullopt;
  // Published keys carry non-zero unused bits in their last character (…ABCDEFG re-encodes as
  // …ABCDEFE=), so a strict decoder would refuse them (§1.7.1). EVP_DecodeBlock ignores those bits
  // but does not strip the '=', giving 33 bytes of which the first 32 are the key.
  std::string padded(encoding_aes_key);
  padded.push_back('=');
  unsigned char out[33];
  if (EVP_DecodeBlock(out, bytes_of(padded), static_cast<int>(padded.size())) != 33) return std::nullopt;
  aes_key key;
  std::copy_n(out, key_size, key.bytes.begin());
  OPENSSL_cleanse(out, sizeof out);
  return key;
}

const char* to_string(crypto_error e) {
  switch (e) {
    case crypto_error::bad_base64: return "bad_base64";
    case crypto_error::bad_length: return "bad_length";
    case crypto_error::bad_padding: return "bad_padding";
    case crypto_error::bad_layout: return "bad_layout";
    case crypto_error::appid_mismatch: return "appid_mismatch";
    case crypto_error::cipher_failure: return "cipher_failure";
  }
  return "unknown";
}

std::variant<decrypted, crypto_error> decrypt(const aes_key& key, std::string_view encrypt_b64,
                                              std::string_view expected_appid) {
  const std::optional<std::string> ciphertext = decode_base64(encrypt_b64);
  if (!ciphertext) return crypto_error::bad_base64;
  if (ciphertext->empty() || ciphertext->size() % iv_size != 0) return crypto_error::bad_length;

  std::optional<std::string> plain = aes_cbc(key, *ciphertext, false);
  if (!plain) return crypto_error::cipher_failure;

  // Callers check msg_signature (which covers the ciphertext) before decrypting, so distinct
  // padding/layout errors are no padding oracle for an attacker without the token.
  const std::size_t pad = static_cast<unsigned char>(plain->back());
  if (pad < 1 || pad > pad_block || pad > plain->size()) return crypto_error::bad_padding;
  const bool pad_consistent = std::all_of(plain->end() - static_cast<std::ptrdiff_t>(pad), plain->end(),
                                          [pad](char c) { return static_cast<unsigned char>(c) == pad; });
  if (!pad_consistent) return crypto_error::bad_padding;
  plain->resize(plain->size() - pad);

  if (plain->size() < random_size + length_size) return crypto_error::bad_layout;
  const auto* len_bytes = reinterpret_cast<const unsigned char*>(plain->data()) + random_size;
  const std::size_t msg_len = (std::size_t{len_bytes[0]} << 24) | (std::size_t{len_bytes[1]} << 16) |
                              (std::size_t{len_bytes[2]} << 8) | std::size_t{len_bytes[3]};
  const std::size_t msg_start = random_size + length_size;
  if (msg_len > plain->size() - msg_start) return crypto_error::bad_layout;

  decrypted out;
  out.random = plain->substr(0, random_size);
  out.msg = plain->substr(msg_start, msg_len);
  out.appid = plain->substr(msg_start + msg_len);
  if (!expected_appid.empty() && out.appid != expected_appid) return crypto_error::appid_mismatch;
  return out;
}

std::string encrypt(const aes_key& key, std::string_view msg, std::string_view appid,
                    std::string_view random16) {
  if (random16.size() != random_size) return {};
  if (msg.size() > 0xffffffffu) return {};
  const auto msg_len = static_cast<std::uint32_t>(msg.size());

  std::string full;
  full.reserve(random_size + length_size + msg.size() + appid.size() + pad_block);
  full.append(random16);
  // msg_len counts bytes, big-endian (§1.7.2); Chinese text breaks implementations counting chars.
  full.push_back(static_cast<char>((msg_len >> 24) & 0xff));
  full.push_back(static_cast<char>((msg_len >> 16) & 0xff));
  full.push_back(static_cast<char>((msg_len >> 8) & 0xff));
  full.push_back(static_cast<char>(msg_len & 0xff));
  full.append(msg);
  full.append(appid);
  const std::size_t pad = pad_block - full.size() % pad_block;
  full.append(pad, static_cast<char>(pad));

  const std::optional<std::string> ciphertext = aes_cbc(key, full, true);
  if (!ciphertext) return {};
  return encode_base64(*ciphertext);
}

}  // namespace channels::wechat
