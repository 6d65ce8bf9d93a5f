#pragma once
// Shared by the dialogs tests: a small catalog built in code and a driver that feeds a
// conversation one message at a time, the way the bot does.

#include "dialogs/catalog.hpp"
#include "dialogs/intake.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace dialogs_test {

inline dialogs::product make_product(std::string model, std::string name, std::string name_en, std::string line,
                                     std::vector<std::string> aliases, std::string pattern, int warranty_months) {
  dialogs::product p;
  p.model = std::move(model);
  p.name = std::move(name);
  p.name_en = std::move(name_en);
  p.line = std::move(line);
  p.aliases = std::move(aliases);
  p.serial_pattern = pattern;
  p.serial_regex = std::regex(pattern);
  p.warranty_months = warranty_months;
  return p;
}

// Two washers share the alias "洗衣机", so "洗衣机坏了" has to ask which one.
inline const dialogs::catalog& test_catalog() {
  static const dialogs::catalog c = [] {
    dialogs::catalog c;
    c.products.push_back(make_product("ABC-2000", "滚筒洗衣机", "front-load washer", "laundry",
                                      {"洗衣机", "washer", "washing machine"}, "^SN[0-9]{5,10}$", 24));
    c.products.push_back(make_product("ABC-3000", "波轮洗衣机", "top-load washer", "laundry", {"洗衣机", "washer"},
                                      "^SN[0-9]{5,10}$", 12));
    c.products.push_back(make_product("XYZ-100", "净水器", "water purifier", "water", {"净水机", "purifier"},
                                      "^XY[0-9]{6}$", 12));
    c.prepare();
    return c;
  }();
  return c;
}

// 2026-05-12 10:00 in Asia/Shanghai.
constexpr std::int64_t test_now = 1778551200;

inline dialogs::context test_context(std::string language = "zh-CN") {
  dialogs::context ctx;
  ctx.products = &test_catalog();
  ctx.now = test_now;
  ctx.today = {2026, 5, 12};
  ctx.idle_timeout_minutes = 30;
  ctx.default_language = std::move(language);
  ctx.default_region = "CN";
  return ctx;
}

inline dialogs::inbound text_message(std::string text, std::string channel = "wechat") {
  dialogs::inbound m;
  m.channel = std::move(channel);
  m.sender = "oTESTOPENID";
  m.kind = "text";
  m.text = std::move(text);
  return m;
}

inline dialogs::inbound event_message(std::string event, std::string key = {}) {
  dialogs::inbound m;
  m.channel = "wechat";
  m.sender = "oTESTOPENID";
  m.kind = "event";
  m.event = std::move(event);
  m.event_key = std::move(key);
  return m;
}

// Feeds messages through dialogs::step, keeping the state between them like the bot does
// (through JSON, so every step also exercises the stored form).
struct driver {
  dialogs::context ctx = test_context();
  dialogs::conversation conv;
  dialogs::outcome last;

  std::vector<std::string> send(const dialogs::inbound& m) {
    last = dialogs::step(conv, m, ctx);
    const auto stored = dialogs::conversation::from_json(last.next.to_json());
    conv = stored ? *stored : last.next;
    ctx.now += 30;
    return keys();
  }
  std::vector<std::string> say(std::string text) { return send(text_message(std::move(text))); }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& r : last.replies) out.push_back(r.key);
    return out;
  }
  std::string first_key() const { return last.replies.empty() ? std::string() : last.replies.front().key; }
  std::string last_key() const { return last.replies.empty() ? std::string() : last.replies.back().key; }

  // The value of `name` in the first reply with `key`; "<absent>" when there is none.
  std::string param(const std::string& key, const std::string& name) const {
    for (const auto& r : last.replies) {
      if (r.key != key) continue;
      for (const auto& [k, v] : r.params) {
        if (k == name) return v;
      }
    }
    return "<absent>";
  }
};

}  // namespace dialogs_test
