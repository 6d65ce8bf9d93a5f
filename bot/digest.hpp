#pragma once
// Digests the bot computes itself (OpenSSL): token hashes for the staff API, content-addressed
// attachment names.

#include <string>
#include <string_view>

namespace bot {

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace bot
