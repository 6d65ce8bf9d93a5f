// What instances share through the database: settings with an expiry (the WeChat access token)
// and one-time tokens (Mailgun's webhook token, a replay guard).

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/store/backends.hpp"

using store_tests::backend_names;
using store_tests::read_value;
using store_tests::write;

namespace {

std::optional<std::string> setting(store::connection& c, const std::string& key, std::int64_t now) {
  return read_value(c, [&](store::transaction& tx) { return tx.get_setting(key, now); });
}

bool use_once(store::connection& c, const std::string& scope, const std::string& token, std::int64_t expires_at,
              std::int64_t now) {
  bool fresh = false;
  write(c, [&](store::transaction& tx) { fresh = tx.use_token_once(scope, token, expires_at, now); });
  return fresh;
}

}  // namespace

TEST_CASE("several settings read at once come back in the keys' order, absent and expired ones empty",
          "[store][settings]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  write(writer, [&](store::transaction& tx) {
    tx.put_setting("offer.sms.+8613800135678", "OFFER", 0);
    tx.put_setting("follow_up.sms.+8613800135678", "SR20261123001", 500);
    tx.put_setting("unrelated", "X", 0);
  });
  const std::vector<std::string> keys{"follow_up.sms.+8613800135678", "missing", "offer.sms.+8613800135678"};
  auto values = read_value(writer, [&](store::transaction& tx) { return tx.get_settings(keys, 100); });
  CHECK(values == std::vector<std::optional<std::string>>{"SR20261123001", std::nullopt, "OFFER"});
  // Expired: as get_setting.
  values = read_value(writer, [&](store::transaction& tx) { return tx.get_settings(keys, 500); });
  CHECK(values == std::vector<std::optional<std::string>>{std::nullopt, std::nullopt, "OFFER"});
  // A key given twice gets its value twice; no keys, no values.
  const std::vector<std::string> twice{"unrelated", "unrelated"};
  CHECK(read_value(writer, [&](store::transaction& tx) { return tx.get_settings(twice, 100); }) ==
        std::vector<std::optional<std::string>>{"X", "X"});
  CHECK(read_value(writer, [&](store::transaction& tx) { return tx.get_settings({}, 100); }).empty());
}

TEST_CASE("a setting is read back until it expires", "[store][settings]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  const std::string key = "wechat.access_token";

  CHECK_FALSE(setting(writer, key, 0));
  write(writer, [&](store::transaction& tx) { tx.put_setting(key, "ACCESS_TOKEN-1", 7200); });

  CHECK(setting(writer, key, 1000) == "ACCESS_TOKEN-1");
  CHECK(setting(writer, key, 7199) == "ACCESS_TOKEN-1");
  // expires_at is the first second it no longer holds.
  CHECK_FALSE(setting(writer, key, 7200));
  CHECK_FALSE(setting(writer, "wechat.jsapi_ticket", 1000));

  SECTION("another instance sees it") {
    auto reader = s.backend->open(false);
    CHECK(setting(*reader, key, 1000) == "ACCESS_TOKEN-1");
  }

  SECTION("a put replaces value and expiry, also of an expired setting") {
    write(writer, [&](store::transaction& tx) { tx.put_setting(key, "ACCESS_TOKEN-2", 14400); });
    CHECK(setting(writer, key, 7200) == "ACCESS_TOKEN-2");
    CHECK_FALSE(setting(writer, key, 14400));

    // A shorter expiry is taken as given too (the gateway shortened it).
    write(writer, [&](store::transaction& tx) { tx.put_setting(key, "ACCESS_TOKEN-3", 100); });
    CHECK_FALSE(setting(writer, key, 7200));
    CHECK(setting(writer, key, 99) == "ACCESS_TOKEN-3");
  }

  SECTION("expires_at 0 never expires, and an empty value is a value") {
    write(writer, [](store::transaction& tx) {
      tx.put_setting("forever", "值 ✅", 0);
      tx.put_setting("empty", "", 0);
    });
    CHECK(setting(writer, "forever", std::numeric_limits<std::int64_t>::max()) == "值 ✅");
    CHECK(setting(writer, "empty", 1000) == "");
  }
}

TEST_CASE("use_token_once accepts a token once until it expires", "[store][settings][tokens]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;
  const std::string token = "f3a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8b9";

  CHECK(use_once(writer, "mailgun", token, 1900, 1000));

  SECTION("a replay before expiry is refused, in a later transaction or the same one") {
    CHECK_FALSE(use_once(writer, "mailgun", token, 1950, 1050));
    CHECK_FALSE(use_once(writer, "mailgun", token, 1950, 1899));
    bool first = true, second = true;
    write(writer, [&](store::transaction& tx) {
      first = tx.use_token_once("mailgun", "t2", 1900, 1000);
      second = tx.use_token_once("mailgun", "t2", 1900, 1000);
    });
    CHECK(first);
    CHECK_FALSE(second);
  }

  SECTION("scopes are apart") {
    CHECK(use_once(writer, "twilio", token, 1900, 1000));
    CHECK(use_once(writer, "mailgun", token + "0", 1900, 1000));
  }

  SECTION("after expiry the pair is used afresh, with the new expiry") {
    CHECK(use_once(writer, "mailgun", token, 2900, 1900));
    CHECK_FALSE(use_once(writer, "mailgun", token, 3900, 2000));
    CHECK_FALSE(use_once(writer, "mailgun", token, 3900, 2899));
    CHECK(use_once(writer, "mailgun", token, 3900, 2900));
  }

  SECTION("a use rolled back with its unit does not count") {
    CHECK_THROWS_WITH(write(writer,
                            [](store::transaction& tx) {
                              REQUIRE(tx.use_token_once("mailgun", "t3", 1900, 1000));
                              throw std::runtime_error("webhook failed");
                            }),
                      "webhook failed");
    CHECK(use_once(writer, "mailgun", "t3", 1900, 1000));
  }

  SECTION("expires_at 0 never expires") {
    CHECK(use_once(writer, "mailgun", "forever", 0, 1000));
    CHECK_FALSE(use_once(writer, "mailgun", "forever", 0, std::numeric_limits<std::int64_t>::max()));
  }
}

TEST_CASE("use_token_once clears out expired tokens but never a live one", "[store][settings][tokens]") {
  auto s = store_tests::open_migrated(GENERATE(from_range(backend_names())));
  auto& writer = *s.writer;

  // More expired rows than one call purges, so several calls each purge a part.
  constexpr int expired = 450;
  write(writer, [&](store::transaction& tx) {
    for (int i = 0; i < expired; ++i) REQUIRE(tx.use_token_once("mailgun", "old-" + std::to_string(i), 100, 50));
    REQUIRE(tx.use_token_once("mailgun", "live", 5000, 50));
    REQUIRE(tx.use_token_once("mailgun", "forever", 0, 50));
  });

  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(use_once(writer, "mailgun", "new-" + std::to_string(i), 5000, 1000));
    CHECK_FALSE(use_once(writer, "mailgun", "live", 5000, 1000));
    CHECK_FALSE(use_once(writer, "mailgun", "forever", 0, 1000));
  }
  // Purged or not, an expired token is usable again, once.
  for (int i = 0; i < expired; i += 37) {
    CAPTURE(i);
    CHECK(use_once(writer, "mailgun", "old-" + std::to_string(i), 5000, 1000));
    CHECK_FALSE(use_once(writer, "mailgun", "old-" + std::to_string(i), 5000, 1000));
  }
}
