#include "bench/gateway_signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace bench {
namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 32-byte AES key of a 43-character EncodingAESKey (IV = its first 16 bytes).
std::string aes_key(std::string_view key43) {
  std::string padded{key43};
  padded += '=';
  auto key = base64_decode(padded);
  key.resize(32);
  return key;
}

// AES-256-CBC with OpenSSL's padding off: WeChat pads to 32 bytes, not to the cipher's 16.
bool aes_cbc(const std::string& key, std::string_view input, bool encrypt, std::string& out) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, k, encrypt ? 1 : 0) != 1) return false;
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  out.assign(input.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n1,
                       reinterpret_cast<const unsigned char*>(input.data()), static_cast<int>(input.size())) != 1)
    return false;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n1, &n2) != 1) return false;
  out.resize(static_cast<std::size_t>(n1 + n2));
  return true;
}

}  // namespace

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return {};
  std::string out(3 * text.size() / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts '=' padding as zero bytes.
  std::size_t pads = 0;
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && pads < 2; --i) ++pads;
  out.resize(out.size() - pads);
  return out;
}

std::string sha1_hex(std::string_view text) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  return hex(d, sizeof d);
}

std::string form_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '*') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string form_value(std::string_view body, std::string_view key) {
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    auto pair = body.substr(start, end - start);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && form_decode(pair.substr(0, eq)) == key) return form_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return {};
}

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             std::vector<std::pair<std::string, std::string>> fields) {
  std::sort(fields.begin(), fields.end());
  std::string data{url};
  for (const auto& [k, v] : fields) {
    data += k;
    data += v;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return base64_encode(std::string_view{reinterpret_cast<const char*>(mac), len});
}

std::string wechat_signature(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const auto& p : parts) joined += p;
  return sha1_hex(joined);
}

std::string wechat_encrypt(std::string_view aes_key_43, std::string_view msg, std::string_view appid,
                           std::string_view random16) {
  std::string full{random16.substr(0, 16)};
  full.resize(16, 'x');
  const auto n = static_cast<std::uint32_t>(msg.size());
  full.push_back(static_cast<char>(n >> 24));
  full.push_back(static_cast<char>(n >> 16));
  full.push_back(static_cast<char>(n >> 8));
  full.push_back(static_cast<char>(n));
  full += msg;
  full += appid;
  const std::size_t pad = 32 - full.size() % 32;  // 1..32: a full block when aligned
  full.append(pad, static_cast<char>(pad));
  std::string cipher;
  if (!aes_cbc(aes_key(aes_key_43), full, true, cipher)) return {};
  return base64_encode(cipher);
}

bool wechat_decrypt(std::string_view aes_key_43, std::string_view encrypt_b64, std::string& msg, std::string& appid) {
  auto cipher = base64_decode(encrypt_b64);
  if (cipher.empty() || cipher.size() % 16 != 0) return false;
  std::string plain;
  if (!aes_cbc(aes_key(aes_key_43), cipher, false, plain) || plain.size() < 20) return false;
  const auto pad = static_cast<unsigned char>(plain.back());
  if (pad < 1 || pad > 32 || pad > plain.size()) return false;
  for (std::size_t i = plain.size() - pad; i < plain.size(); ++i)
    if (static_cast<unsigned char>(plain[i]) != pad) return false;
  plain.resize(plain.size() - pad);
  if (plain.size() < 20) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(plain.data()) + 16;
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  if (n > plain.size() - 20) return false;
  msg = plain.substr(20, n);
  appid = plain.substr(20 + n);
  return true;
}

std::string xml_field(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string{tag} + ">";
  const std::string close = "</" + std::string{tag} + ">";
  const auto start = xml.find(open);
  if (start == std::string_view::npos) return {};
  const auto from = start + open.size();
  const auto end = xml.find(close, from);
  if (end == std::string_view::npos) return {};
  auto value = xml.substr(from, end - from);
  constexpr std::string_view cdata_open = "<![CDATA[", cdata_close = "]]>";
  if (value.substr(0, cdata_open.size()) == cdata_open && value.size() >= cdata_open.size() + cdata_close.size() &&
      value.substr(value.size() - cdata_close.size()) == cdata_close)
    value = value.substr(cdata_open.size(), value.size() - cdata_open.size() - cdata_close.size());
  return std::string{value};
}

}  // namespace bench
