// WeChat signatures and safe-mode AES against channels.md §4 (W1, W2a, W2b, W3) and generated
// round trips. The ciphertexts are also opened with OpenSSL directly here, so the padding the
// production code writes is checked by something other than the production code.
#include "channels/wechat.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <variant>

namespace wechat = channels::wechat;

namespace Catch {
template <>
struct StringMaker<wechat::crypto_error> {
  static std::string convert(wechat::crypto_error e) { return wechat::to_string(e); }
};
}  // namespace Catch

namespace {

// Vectors from channels.md §4, copied verbatim.
constexpr const char* sample_key_text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr const char* w2_appid = "wxb11529c136998cb6";
constexpr const char* w2_random = "aaaabbbbccccdddd";
constexpr const char* w2a_msg = "我是中文abcd123";
constexpr const char* w2a_encrypt =
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";
constexpr const char* w2b_msg =
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA["
    "gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></"
    "MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></"
    "MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA["
    "testCallBackReplyVideo]]></Description></Video></xml>";
constexpr const char* w2b_encrypt =
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQ"
    "weImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeay"
    "Nf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTcc"
    "jggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+o"
    "S7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/L"
    "qRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P"
    "0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb";
constexpr const char* w3_token = "spamtest";
constexpr const char* w3_timestamp = "1409735669";
constexpr const char* w3_nonce = "1320562132";
constexpr const char* w3_appid = "wx2c2769f8efd9abc2";
constexpr const char* w3_msg_signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
constexpr const char* w3_encrypt =
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD"
    "2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKO"
    "IbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJ"
    "SVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfU"
    "M669WuMyVWQLCzpu9GhglF2PE=";
constexpr const char* w3_random = "89465c840c5f116f";
constexpr const char* w3_msg =
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>";

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string to_base64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string from_base64(std::string_view text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                                static_cast<int>(text.size()));
  REQUIRE(n == static_cast<int>(out.size()));
  if (text.ends_with("==")) out.resize(out.size() - 2);
  else if (text.ends_with("=")) out.resize(out.size() - 1);
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1);
  return out;
}

// AES-256-CBC with IV = key[0..16) and padding off, independent of the code under test.
std::string raw_cbc(std::string_view key32, std::string_view input, bool encrypting) {
  REQUIRE(key32.size() == 32);
  REQUIRE(input.size() % 16 == 0);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  REQUIRE(EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes_of(key32), bytes_of(key32),
                            encrypting ? 1 : 0) == 1);
  REQUIRE(EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1);
  std::string out(input.size() + 16, '\0');
  int n = 0, tail = 0;
  REQUIRE(EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, bytes_of(input),
                           static_cast<int>(input.size())) == 1);
  REQUIRE(EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &tail) == 1);
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

std::string key_bytes(const wechat::aes_key& key) {
  return std::string(reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size());
}

wechat::aes_key sample_key() {
  const auto key = wechat::decode_aes_key(sample_key_text);
  REQUIRE(key);
  return *key;
}

std::string big_endian32(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 8) & 0xff),
          static_cast<char>(n & 0xff)};
}

std::string full_str(std::string_view random16, std::string_view msg, std::string_view appid) {
  return std::string(random16) + big_endian32(static_cast<std::uint32_t>(msg.size())) + std::string(msg) +
         std::string(appid);
}

// Exactly `n` bytes of mixed Chinese and ASCII, so byte and character counts differ.
std::string chinese_text_of_bytes(std::size_t n) {
  static constexpr std::string_view hanzi[] = {"洗", "衣", "机", "噪", "音", "大"};
  std::string out;
  for (std::size_t i = 0; out.size() < n; ++i) {
    const std::size_t left = n - out.size();
    if (i % 3 != 2 && left >= 3) out += hanzi[i % std::size(hanzi)];
    else out += static_cast<char>(i % 7 == 0 ? '\n' : 'a' + i % 26);
  }
  return out;
}

// The 43-character EncodingAESKey for 32 key bytes, with the two unused bits of the last
// character set to `trailing_bits` (0 is the canonical encoding).
std::string encoding_aes_key_for(std::string_view key32, unsigned trailing_bits) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text = to_base64(key32);
  REQUIRE(text.size() == 44);
  REQUIRE(text.back() == '=');
  text.pop_back();
  const std::size_t last = alphabet.find(text.back());
  REQUIRE((last & 3u) == 0);
  text.back() = alphabet[last | (trailing_bits & 3u)];
  return text;
}

template <class T, class E>
std::optional<E> error_of(const std::variant<T, E>& result) {
  if (const E* e = std::get_if<E>(&result)) return *e;
  return std::nullopt;
}

}  // namespace

TEST_CASE("The URL signature matches vector W1 and rejects its negative", "[wechat][crypto][signature]") {
  const std::string expected = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff";

  SECTION("the sorted SHA-1 equals the published value whatever the argument order") {
    CHECK(wechat::signature({"test", "1410685589", "test"}) == expected);
    CHECK(wechat::signature({"1410685589", "test", "test"}) == expected);
  }
  SECTION("the published signature verifies") {
    CHECK(wechat::verify_signature("test", "1410685589", "test", expected));
  }
  SECTION("near misses do not verify") {
    const std::string given = GENERATE(as<std::string>{}, "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe",
                                       "F21891DE399B4E33A1A93C9A7B8A8FFFB5A443FF",
                                       "f21891de399b4e33a1a93c9a7b8a8fffb5a443f", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff0",
                                       "");
    CAPTURE(given);
    CHECK_FALSE(wechat::verify_signature("test", "1410685589", "test", given));
  }
  SECTION("a different token, timestamp or nonce does not verify") {
    CHECK_FALSE(wechat::verify_signature("test2", "1410685589", "test", expected));
    CHECK_FALSE(wechat::verify_signature("test", "1410685590", "test", expected));
    CHECK_FALSE(wechat::verify_signature("test", "1410685589", "tesT", expected));
  }
}

TEST_CASE("msg_signature of vector W3 covers the ciphertext", "[wechat][crypto][signature]") {
  SECTION("the published msg_signature verifies") {
    CHECK(wechat::signature({w3_token, w3_timestamp, w3_nonce, w3_encrypt}) == w3_msg_signature);
    CHECK(wechat::verify_msg_signature(w3_token, w3_timestamp, w3_nonce, w3_encrypt, w3_msg_signature));
  }
  SECTION("a changed ciphertext no longer verifies") {
    std::string tampered = w3_encrypt;
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    CHECK_FALSE(wechat::verify_msg_signature(w3_token, w3_timestamp, w3_nonce, tampered, w3_msg_signature));
  }
  SECTION("the three-value signature is not accepted in its place") {
    const std::string three = wechat::signature({w3_token, w3_timestamp, w3_nonce});
    CHECK_FALSE(wechat::verify_msg_signature(w3_token, w3_timestamp, w3_nonce, w3_encrypt, three));
  }
}

TEST_CASE("Encrypting the official Java samples reproduces vectors W2a and W2b", "[wechat][crypto][vector]") {
  const auto [id, msg, expected] = GENERATE(table<const char*, const char*, const char*>({
      {"W2a", w2a_msg, w2a_encrypt},
      {"W2b", w2b_msg, w2b_encrypt},
  }));
  CAPTURE(id);
  const wechat::aes_key key = sample_key();

  const std::string encrypted = wechat::encrypt(key, msg, w2_appid, w2_random);
  CHECK(encrypted == expected);

  const auto decrypted = wechat::decrypt(key, expected, w2_appid);
  REQUIRE(std::holds_alternative<wechat::decrypted>(decrypted));
  CHECK(std::get<wechat::decrypted>(decrypted).msg == msg);
  CHECK(std::get<wechat::decrypted>(decrypted).random == w2_random);
}

TEST_CASE("W2a's msg_len counts UTF-8 bytes, not characters", "[wechat][crypto][vector]") {
  const std::string plain = raw_cbc(key_bytes(sample_key()), from_base64(w2a_encrypt), false);
  REQUIRE(plain.size() >= 20);
  CHECK(plain.substr(16, 4) == big_endian32(19));
}

TEST_CASE("Decrypting the official Python sample gives vector W3 byte for byte", "[wechat][crypto][vector]") {
  const wechat::aes_key key = sample_key();
  REQUIRE(wechat::verify_msg_signature(w3_token, w3_timestamp, w3_nonce, w3_encrypt, w3_msg_signature));

  SECTION("random, message with its newlines, and appid come back exactly") {
    const auto result = wechat::decrypt(key, w3_encrypt, w3_appid);
    REQUIRE(std::holds_alternative<wechat::decrypted>(result));
    const auto& d = std::get<wechat::decrypted>(result);
    CHECK(d.random == w3_random);
    CHECK(d.msg == w3_msg);
    CHECK(std::count(d.msg.begin(), d.msg.end(), '\n') == 6);
    CHECK(d.appid == w3_appid);
  }
  SECTION("another appid is rejected") {
    const std::string other = GENERATE(as<std::string>{}, "wx2c2769f8efd9abc3", "wx2c2769f8efd9abc",
                                       "wx2c2769f8efd9abc22", "WX2C2769F8EFD9ABC2");
    CAPTURE(other);
    CHECK(error_of(wechat::decrypt(key, w3_encrypt, other)) == wechat::crypto_error::appid_mismatch);
  }
  SECTION("an empty expected appid skips the comparison") {
    const auto result = wechat::decrypt(key, w3_encrypt, "");
    REQUIRE(std::holds_alternative<wechat::decrypted>(result));
    CHECK(std::get<wechat::decrypted>(result).appid == w3_appid);
  }
}

TEST_CASE("EncodingAESKey decoding ignores trailing bits but insists on 43 Base64 characters",
          "[wechat][crypto][key]") {
  SECTION("the published key and its canonical spelling give the same bytes") {
    const auto published = wechat::decode_aes_key(sample_key_text);
    const auto canonical = wechat::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFE");
    REQUIRE(published);
    REQUIRE(canonical);
    CHECK(published->bytes == canonical->bytes);
    CHECK(key_bytes(*published) == from_base64("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFE="));
  }
  SECTION("random keys decode to their bytes for every value of the unused bits") {
    const unsigned trailing_bits = GENERATE(0u, 1u, 2u, 3u);
    const std::string raw = random_bytes(32);
    const std::string text = encoding_aes_key_for(raw, trailing_bits);
    CAPTURE(trailing_bits, text);
    const auto key = wechat::decode_aes_key(text);
    REQUIRE(key);
    CHECK(key_bytes(*key) == raw);
  }
  SECTION("wrong lengths and foreign characters are refused") {
    const std::string text = GENERATE(as<std::string>{}, "", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
                                      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
                                      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=",
                                      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=",
                                      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF!",
                                      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF ",
                                      " abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
                                      "abcdefghijklmnopqrstuvwxyz-123456789ABCDEFG",
                                      "abcdefghijklmnopqrstuvwxyz\n0123456789ABCDEF");
    CAPTURE(text, text.size());
    CHECK_FALSE(wechat::decode_aes_key(text));
  }
}

TEST_CASE("Round trips produce every pad value 1..32 for messages of zero to three blocks",
          "[wechat][crypto][roundtrip]") {
  // FullStr = 16 random + 4 length + message + 18-byte appid; the message length is chosen so
  // that the 32-byte PKCS#7 pad takes the wanted value, 17..32 included (§1.13).
  const std::size_t pad = GENERATE(range<std::size_t>(1, 33));
  const std::size_t extra_blocks = GENERATE(0u, 1u, 2u, 3u);
  const unsigned trailing_bits = GENERATE(0u, 3u);
  const std::string appid = w2_appid;
  const std::size_t msg_size = (58 - pad) % 32 + 32 * extra_blocks;
  const std::string msg = chinese_text_of_bytes(msg_size);
  const std::string raw_key = random_bytes(32);
  const std::string random16 = random_bytes(16);
  CAPTURE(pad, msg_size, trailing_bits);

  const auto key = wechat::decode_aes_key(encoding_aes_key_for(raw_key, trailing_bits));
  REQUIRE(key);
  const std::string encrypted = wechat::encrypt(*key, msg, appid, random16);
  REQUIRE_FALSE(encrypted.empty());

  SECTION("OpenSSL alone finds FullStr followed by the pad bytes") {
    const std::string ciphertext = from_base64(encrypted);
    const std::string expected_full = full_str(random16, msg, appid);
    REQUIRE(ciphertext.size() == expected_full.size() + pad);
    CHECK(ciphertext.size() % 32 == 0);
    const std::string plain = raw_cbc(raw_key, ciphertext, false);
    CHECK(plain.substr(0, expected_full.size()) == expected_full);
    CHECK(plain.substr(expected_full.size()) == std::string(pad, static_cast<char>(pad)));
  }
  SECTION("decrypt gives back exactly what was encrypted") {
    const auto result = wechat::decrypt(*key, encrypted, appid);
    REQUIRE(std::holds_alternative<wechat::decrypted>(result));
    const auto& d = std::get<wechat::decrypted>(result);
    CHECK(d.msg == msg);
    CHECK(d.random == random16);
    CHECK(d.appid == appid);
  }
}

TEST_CASE("The official doc's worked sizes hold: 292-byte message, FullStr 330, ciphertext 352",
          "[wechat][crypto][roundtrip]") {
  const wechat::aes_key key = sample_key();
  const std::string msg = chinese_text_of_bytes(292);
  const std::string ciphertext = from_base64(wechat::encrypt(key, msg, w2_appid, w2_random));
  CHECK(ciphertext.size() == 352);
  const std::string plain = raw_cbc(key_bytes(key), ciphertext, false);
  CHECK(plain.substr(330) == std::string(22, '\x16'));
}

TEST_CASE("Decrypt refuses damaged, malformed or foreign ciphertext", "[wechat][crypto][negative]") {
  const wechat::aes_key key = sample_key();
  const std::string raw_key = key_bytes(key);
  const auto encrypt_raw = [&](const std::string& plain) { return to_base64(raw_cbc(raw_key, plain, true)); };

  SECTION("a flipped byte in the last block breaks the padding or layout") {
    std::string ciphertext = from_base64(w3_encrypt);
    const std::size_t index = GENERATE(0u, 1u, 7u, 15u);
    CAPTURE(index);
    ciphertext[ciphertext.size() - 1 - index] ^= 0x01;
    CHECK(error_of(wechat::decrypt(key, to_base64(ciphertext), w3_appid)));
  }
  SECTION("a flipped byte in an earlier block never yields the original message") {
    std::string ciphertext = from_base64(w3_encrypt);
    const std::size_t index = GENERATE(0u, 20u, 40u, 100u);
    CAPTURE(index);
    ciphertext[index] ^= 0x20;
    const auto result = wechat::decrypt(key, to_base64(ciphertext), w3_appid);
    if (const auto* d = std::get_if<wechat::decrypted>(&result)) CHECK(d->msg != w3_msg);
  }
  SECTION("text that is not canonical Base64 is refused") {
    std::string damaged = w3_encrypt;
    damaged[5] = '*';
    const std::string text = GENERATE_COPY(as<std::string>{}, damaged, "abc", "ab!d", "ab=d", "a===", "====",
                                           " QUJD", "QUJD\n", "QUJD====", std::string(w3_encrypt) + "=");
    CAPTURE(text);
    CHECK(error_of(wechat::decrypt(key, text, w3_appid)) == wechat::crypto_error::bad_base64);
  }
  SECTION("a ciphertext that is not a whole number of AES blocks is refused") {
    const std::size_t size = GENERATE(0u, 1u, 15u, 20u, 31u, 33u);
    CAPTURE(size);
    CHECK(error_of(wechat::decrypt(key, to_base64(std::string(size, 'x')), w3_appid)) ==
          wechat::crypto_error::bad_length);
  }
  SECTION("a pad byte of 0, above 32 or not repeated is refused") {
    const std::string full = full_str(w2_random, "hello", w2_appid);  // 43 bytes
    REQUIRE(full.size() == 43);
    const auto [name, tail] = GENERATE_COPY(table<const char*, std::string>({
        {"pad 0", std::string(20, '\0') + '\0'},
        {"pad 33", std::string(20, '!') + '!'},
        {"pad 255", std::string(20, '\xff') + '\xff'},
        {"inconsistent", std::string(19, '\x15') + '\x14' + '\x15'},
        {"first pad byte differs", '\x14' + std::string(20, '\x15')},
    }));
    CAPTURE(name);
    REQUIRE((full.size() + tail.size()) % 32 == 0);
    CHECK(error_of(wechat::decrypt(key, encrypt_raw(full + tail), w2_appid)) == wechat::crypto_error::bad_padding);
  }
  SECTION("a pad longer than the whole plaintext is refused") {
    CHECK(error_of(wechat::decrypt(key, encrypt_raw(std::string(16, '\x14')), w2_appid)) ==
          wechat::crypto_error::bad_padding);
  }
  SECTION("msg_len beyond the remaining bytes is refused") {
    const std::uint32_t claimed = GENERATE(6u, 5u + 18u + 1u, 1000u, 0xffffffffu);
    CAPTURE(claimed);
    std::string full = std::string(w2_random) + big_endian32(claimed) + "hello" + w2_appid;
    const std::size_t pad = 32 - full.size() % 32;
    full.append(pad, static_cast<char>(pad));
    // 6 still fits (it eats one appid byte, so the appid check fails); the others do not fit.
    const auto expected = claimed == 6u ? wechat::crypto_error::appid_mismatch : wechat::crypto_error::bad_layout;
    CHECK(error_of(wechat::decrypt(key, encrypt_raw(full), w2_appid)) == expected);
  }
  SECTION("a plaintext too short for random and msg_len is refused") {
    const std::size_t kept = GENERATE(0u, 1u, 19u);
    CAPTURE(kept);
    const std::size_t pad = 32 - kept;
    const std::string plain = std::string(kept, 'r') + std::string(pad, static_cast<char>(pad));
    CHECK(error_of(wechat::decrypt(key, encrypt_raw(plain), "")) == wechat::crypto_error::bad_layout);
  }
  SECTION("the exact 20-byte minimum with an empty message and appid is accepted") {
    const std::string plain = std::string(w2_random) + big_endian32(0) + std::string(12, '\x0c');
    const auto result = wechat::decrypt(key, encrypt_raw(plain), "");
    REQUIRE(std::holds_alternative<wechat::decrypted>(result));
    CHECK(std::get<wechat::decrypted>(result).msg.empty());
    CHECK(std::get<wechat::decrypted>(result).appid.empty());
  }
  SECTION("another account's key does not decrypt") {
    const auto other = wechat::decode_aes_key("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq");
    REQUIRE(other);
    CHECK(error_of(wechat::decrypt(*other, w3_encrypt, w3_appid)));
  }
}

TEST_CASE("Encrypt refuses a random prefix that is not 16 bytes", "[wechat][crypto][negative]") {
  const std::string random = GENERATE(as<std::string>{}, "", "aaaabbbbccccddd", "aaaabbbbccccddddx");
  CAPTURE(random);
  CHECK(wechat::encrypt(sample_key(), "hello", w2_appid, random).empty());
}

TEST_CASE("Every crypto error has a distinct name", "[wechat][crypto]") {
  using wechat::crypto_error;
  const std::array all = {crypto_error::bad_base64,     crypto_error::bad_length, crypto_error::bad_padding,
                          crypto_error::bad_layout,     crypto_error::appid_mismatch,
                          crypto_error::cipher_failure};
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j)
      CHECK(std::string(wechat::to_string(all[i])) != wechat::to_string(all[j]));
}
