#include "bot/staff_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace bot {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

const staff_member* authenticate(const app& a, const http_request& req) {
  auto header = req.header("authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return nullptr;
  auto digest = sha256_hex(header.substr(scheme.size()));
  const staff_member* found = nullptr;
  // Every entry is compared, so timing does not reveal which one matched.
  for (const auto& s : a.staff) {
    if (s.api_token_sha256.size() != digest.size()) continue;
    if (CRYPTO_memcmp(s.api_token_sha256.data(), digest.data(), digest.size()) == 0) found = &s;
  }
  return found;
}

http_response unauthenticated() {
  auto r = json_error(401, "unauthenticated", "a valid bearer token is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

bool sees_full_phone(const staff_member& who) { return who.role == "engineer" || who.role == "supervisor"; }

}  // namespace bot
