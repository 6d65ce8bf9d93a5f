#include "templates/library.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace {

struct temp_templates {
  std::filesystem::path root;
  temp_templates() {
    std::random_device rd;
    root = std::filesystem::temp_directory_path() / ("sb-templates-" + std::to_string(rd()));
    std::filesystem::create_directories(root / "zh-CN");
    std::filesystem::create_directories(root / "en");
  }
  ~temp_templates() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream{root / rel, std::ios::binary} << text;
  }
};

}  // namespace

TEST_CASE("Templates render parameters without HTML escaping", "[templates]") {
  temp_templates t;
  t.write("zh-CN/ticket_created.mustache", "工单 {{ticket_number}} 已受理{{#note}}({{note}}){{/note}}\n");
  t.write("en/ticket_created.mustache", "Ticket {{ticket_number}} <{{who}}> & co");
  auto lib = templates::library::from_directory(t.root.string());
  CHECK(lib.render("zh-CN", "ticket_created", {{"ticket_number", "SR20260512001"}}) == "工单 SR20260512001 已受理");
  CHECK(lib.render("zh-CN", "ticket_created", {{"ticket_number", "X"}, {"note", "急"}}) == "工单 X 已受理(急)");
  CHECK(lib.render("en", "ticket_created", {{"ticket_number", "SR1"}, {"who", "A&B"}}) == "Ticket SR1 <A&B> & co");
}

TEST_CASE("Parsed templates are reused per thread without carrying values or stale text over", "[templates]") {
  temp_templates t;
  t.write("zh-CN/ticket_created.mustache", "工单 {{ticket_number}}{{#note}}({{note}}){{/note}}");
  auto lib = templates::library::from_directory(t.root.string());
  // The same template again and again: each render sees only its own values.
  CHECK(lib.render("zh-CN", "ticket_created", {{"ticket_number", "A"}, {"note", "急"}}) == "工单 A(急)");
  CHECK(lib.render("zh-CN", "ticket_created", {{"ticket_number", "B"}}) == "工单 B");
  CHECK(lib.render("zh-CN", "ticket_created", {}) == "工单 ");
  // Libraries built and dropped one after the other (their texts may land where the last one's
  // were): each renders its own text, never a template parsed for another.
  auto render_fresh = [&](const std::string& text) {
    t.write("zh-CN/ticket_created.mustache", text);
    auto fresh = templates::library::from_directory(t.root.string());
    return fresh.render("zh-CN", "ticket_created", {{"ticket_number", "D"}});
  };
  CHECK(render_fresh("第二 {{ticket_number}}") == "第二 D");
  CHECK(render_fresh("第三 {{ticket_number}}") == "第三 D");
  CHECK(render_fresh("第二 {{ticket_number}}") == "第二 D");
}

TEST_CASE("A missing language falls back, a missing key throws, variants win when present", "[templates]") {
  temp_templates t;
  t.write("zh-CN/ask_serial.mustache", "请提供序列号");
  t.write("zh-CN/ask_serial.sms.mustache", "序列号?");
  t.write("en/welcome.mustache", "Hello");
  auto lib = templates::library::from_directory(t.root.string());
  CHECK(lib.render("en", "ask_serial", {}) == "请提供序列号");
  CHECK(lib.render("zh-CN", "ask_serial", {}, "sms") == "序列号?");
  CHECK(lib.render("zh-CN", "ask_serial", {}, "email") == "请提供序列号");
  CHECK(lib.render("zh-CN", "welcome", {}) == "Hello");
  CHECK_THROWS_AS(lib.render("en", "no_such_key", {}), templates::template_error);
  CHECK(lib.has("zh-CN", "ask_serial"));
  CHECK_FALSE(lib.has("en", "ask_serial"));
}

TEST_CASE("A template that does not parse is refused at load, naming the file", "[templates]") {
  temp_templates t;
  t.write("en/broken.mustache", "Hello {{#open}} never closed");
  CHECK_THROWS_WITH(templates::library::from_directory(t.root.string()), Catch::Contains("en/broken.mustache"));
  CHECK_THROWS_AS(templates::library::from_directory((t.root / "missing").string()), templates::template_error);
}

TEST_CASE("The shipped templates are embedded, parse, and exist in both languages", "[templates]") {
  auto lib = templates::library::embedded();
  auto from_disk = templates::library::from_directory(std::string{SB_SOURCE_DIR} + "/templates");
  auto langs = lib.languages();
  CHECK(std::set<std::string>(langs.begin(), langs.end()) == std::set<std::string>{"en", "zh-CN"});
  std::set<std::string> zh, en;
  for (auto& entry : std::filesystem::directory_iterator(std::string{SB_SOURCE_DIR} + "/templates/zh-CN"))
    zh.insert(entry.path().filename().string());
  for (auto& entry : std::filesystem::directory_iterator(std::string{SB_SOURCE_DIR} + "/templates/en"))
    en.insert(entry.path().filename().string());
  CHECK(zh == en);
  for (const auto& file : zh) {
    auto key = file.substr(0, file.find('.'));
    CAPTURE(file);
    CHECK(lib.has("zh-CN", key));
    CHECK(lib.render("zh-CN", key, {}) == from_disk.render("zh-CN", key, {}));
  }
}
