#include "bot/staff_auth.hpp"

#include <openssl/crypto.h>

namespace bot {

const staff_member* authenticate(const data_files& files, const http_request& req) {
  auto header = req.header("authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return nullptr;
  auto digest = sha256_hex(header.substr(scheme.size()));
  const staff_member* found = nullptr;
  // Every entry is compared, so timing does not reveal which one matched.
  for (const auto& s : files.staff) {
    if (s.api_token_sha256.size() != digest.size()) continue;
    if (CRYPTO_memcmp(s.api_token_sha256.data(), digest.data(), digest.size()) == 0) found = &s;
  }
  return found;
}

staff_session authenticate(const app& a, const http_request& req) {
  staff_session session{a.files()};
  session.who = authenticate(*session.files, req);
  return session;
}

http_response unauthenticated() {
  auto r = json_error(401, "unauthenticated", "a valid bearer token is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

bool sees_full_phone(const staff_member& who) { return who.role == "engineer" || who.role == "supervisor"; }

}  // namespace bot
