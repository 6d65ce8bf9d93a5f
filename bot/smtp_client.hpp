#pragma once
// Outbound e-mail submission over SMTP with libcurl (channels.md §3.5).
//
// BLOCKING: send_mail holds the calling thread for the whole SMTP dialogue (up to
// smtp_settings::timeout). Call it only from an outbound worker thread, never from a network
// (io_context) thread (style.md §11).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace bot {

struct smtp_settings {
  std::string url;       // smtp://host:port[/ehlo-domain] (STARTTLS per `starttls`) or smtps://host:port (implicit TLS)
  std::string user;      // AUTH only when non-empty (mechanism negotiated: PLAIN, LOGIN, ...)
  std::string password;  // never logged
  // auto: STARTTLS when the server offers it, else plaintext (credentials too!);
  // required: fail unless STARTTLS succeeds (use it for any relay that is not on this host);
  // off: never STARTTLS. Ignored for smtps://, which is TLS from the first byte.
  std::string starttls = "auto";
  std::chrono::seconds timeout{60};  // whole dialogue; connecting gets at most 30 s of it
  // Optional PEM CA bundle (tests, a private relay). It replaces curl's default bundle file;
  // curl's CA directory (Debian: /etc/ssl/certs) stays trusted, so in effect it adds CAs.
  std::string ca_file;
};

struct smtp_result {
  bool ok = false;
  bool permanent = false;  // the server's final reply was 5xx, or the input is invalid: don't retry
  std::string error;       // curl's message and the last reply code; never the password or message
};

// Submits `message` (full RFC 5322 text: headers, blank line, body; CRLF line ends, lines of at
// most 998 octets) from `mail_from` (bare address; "" for a null reverse-path) to every address
// in `recipients`. libcurl does the dot-stuffing. Verifies the server certificate and host name
// whenever TLS is used.
// Expected failures are values: invalid input (bad URL scheme, unknown starttls value, no
// recipients, CR/LF or angle brackets in an address, bare CR/LF or an over-long line in the
// message) → permanent, before any network activity; a 5xx final reply → permanent; 4xx,
// connection, TLS and timeout failures → transient. Any recipient refused fails the whole send.
// Throws std::bad_alloc only. Thread-safe (one curl handle per call).
smtp_result send_mail(const smtp_settings& settings, std::string_view mail_from,
                      const std::vector<std::string>& recipients, std::string_view message);

}  // namespace bot
