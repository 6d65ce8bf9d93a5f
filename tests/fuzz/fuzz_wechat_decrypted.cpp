// WeChat safe mode: the ciphertext path (Base64 → AES-256-CBC → PKCS#7 → length-prefixed message
// + AppID) on arbitrary text, and the decrypted-message path: any plaintext encrypted with the
// test key must decrypt to itself and then go through the XML parser.
//   first byte even: the rest is an Encrypt value as a gateway could send it;
//   first byte odd:  the rest is the plaintext XML inside a valid envelope.
#include "channels/wechat.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <variant>

namespace {
constexpr std::string_view app_id = "wxfuzz000000000001";
const channels::wechat::aes_key& key() {
  static const auto k = *channels::wechat::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  return k;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto rest = fuzz::text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto plain = channels::wechat::decrypt(key(), rest, app_id);
    if (auto* d = std::get_if<channels::wechat::decrypted>(&plain)) (void)channels::wechat::parse_message(d->msg);
    return 0;
  }
  const auto encrypted = channels::wechat::encrypt(key(), rest, app_id, "0123456789abcdef");
  auto plain = channels::wechat::decrypt(key(), encrypted, app_id);
  auto* d = std::get_if<channels::wechat::decrypted>(&plain);
  fuzz::require(d != nullptr, "our own ciphertext decrypts");
  fuzz::require(d->msg == rest, "decrypt(encrypt(x)) == x");
  (void)channels::wechat::parse_message(d->msg);
  return 0;
}
