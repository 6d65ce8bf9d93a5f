#include "templates/library.hpp"

#include "templates/embedded.hpp"

#include <kainjow/mustache.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

namespace templates {
namespace {

namespace mst = kainjow::mustache;

constexpr std::string_view suffix = ".mustache";

// Plain-text messages: no HTML escaping (kainjow escapes {{x}} by default).
std::string render_text(const std::string& text, const params& values) {
  // Parsing was most of a render's cost (issue 7 profile: ~5 % of the server's CPU under SMS
  // load), so each thread keeps what it parsed, keyed by the library's text. A render does not
  // change the parsed template, but kainjow's render is not const, so threads do not share them.
  // The source is compared on every hit: a library changed or rebuilt at the same address
  // must not render a stale template.
  struct parsed {
    std::string source;
    std::unique_ptr<mst::mustache> tmpl;
  };
  thread_local std::unordered_map<const std::string*, parsed> cache;
  if (cache.size() > 4096) cache.clear();  // libraries built and dropped (tests): stay bounded
  auto& slot = cache[&text];
  if (!slot.tmpl || slot.source != text) {
    slot.source = text;
    slot.tmpl = std::make_unique<mst::mustache>(text);
    slot.tmpl->set_custom_escape([](const std::string& s) { return s; });
  }
  mst::mustache& tmpl = *slot.tmpl;
  mst::data data;
  for (const auto& [name, value] : values)
    if (!value.empty()) data.set(name, value);
  return tmpl.render(data);
}

const std::string* find(const std::map<std::string, std::string, std::less<>>& texts, std::string_view key,
                        std::string_view variant) {
  if (!variant.empty()) {
    std::string name{key};
    name.append(".").append(variant);
    if (auto it = texts.find(name); it != texts.end()) return &it->second;
  }
  if (auto it = texts.find(key); it != texts.end()) return &it->second;
  return nullptr;
}

}  // namespace

void library::add(const std::string& relative_path, std::string content) {
  auto slash = relative_path.find('/');
  if (slash == std::string::npos || !relative_path.ends_with(suffix))
    throw template_error("template path not <lang>/<key>.mustache: " + relative_path);
  std::string lang = relative_path.substr(0, slash);
  std::string key = relative_path.substr(slash + 1, relative_path.size() - slash - 1 - suffix.size());
  mst::mustache parsed{content};
  if (!parsed.is_valid()) throw template_error("template " + relative_path + ": " + parsed.error_message());
  // A trailing newline is an artefact of editors, not part of the message.
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  texts_[lang][key] = std::move(content);
}

library library::embedded() {
  library lib;
  for (const auto& file : embedded_files()) lib.add(file.path, file.content);
  return lib;
}

library library::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  library lib;
  std::error_code ec;
  fs::recursive_directory_iterator it{dir, ec};
  if (ec) throw template_error("templates directory " + dir + ": " + ec.message());
  for (const auto& entry : it) {
    if (!entry.is_regular_file() || entry.path().extension() != suffix) continue;
    std::ifstream in{entry.path(), std::ios::binary};
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) throw template_error("cannot read template " + entry.path().string());
    lib.add(fs::relative(entry.path(), dir).generic_string(), content.str());
  }
  return lib;
}

std::string library::render(std::string_view lang, std::string_view key, const params& values,
                            std::string_view variant) const {
  if (auto it = texts_.find(lang); it != texts_.end())
    if (const auto* text = find(it->second, key, variant)) return render_text(*text, values);
  for (std::string_view fallback : {std::string_view{"zh-CN"}, std::string_view{"en"}})
    if (auto it = texts_.find(fallback); it != texts_.end())
      if (const auto* text = find(it->second, key, variant)) return render_text(*text, values);
  for (const auto& [other, texts] : texts_)
    if (const auto* text = find(texts, key, variant)) return render_text(*text, values);
  throw template_error("no template for key " + std::string{key});
}

bool library::has(std::string_view lang, std::string_view key) const {
  auto it = texts_.find(lang);
  return it != texts_.end() && it->second.find(key) != it->second.end();
}

std::vector<std::string> library::languages() const {
  std::vector<std::string> out;
  for (const auto& [lang, texts] : texts_) out.push_back(lang);
  return out;
}

}  // namespace templates
