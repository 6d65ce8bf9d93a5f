#pragma once
// Message templates: every customer- and staff-facing sentence, per language
// (templates/<lang>/<key>.mustache, with optional channel variants <key>.<variant>.mustache,
// e.g. ask_serial.sms.mustache for SMS). Rendering is mustache without HTML escaping.
// A loaded library is immutable; render() may be called from any thread.

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace templates {

using params = std::vector<std::pair<std::string, std::string>>;

// Thrown by load functions for a template that does not parse, and by render() for a key
// that exists in no language.
class template_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class library {
 public:
  // The templates embedded at build time. Throws template_error if one does not parse.
  static library embedded();
  // The *.mustache files under `dir` (same layout as templates/). Throws template_error on a
  // template that does not parse or a directory that cannot be read.
  static library from_directory(const std::string& dir);

  // Renders `key` in `lang`. Looks up, in order: lang/key.variant, lang/key, fallback/key.variant,
  // fallback/key (fallback = the first language that has the key, zh-CN preferred).
  // Parameters with empty values are left unset, so {{#p}}..{{/p}} renders only for non-empty p.
  // Throws template_error when no language has the key.
  std::string render(std::string_view lang, std::string_view key, const params& values,
                     std::string_view variant = {}) const;

  // True when `lang` has its own `key` template (without fallback).
  bool has(std::string_view lang, std::string_view key) const;

  // Languages present, e.g. {"en", "zh-CN"}.
  std::vector<std::string> languages() const;

 private:
  void add(const std::string& relative_path, std::string content);
  // lang -> (key[.variant] -> template text)
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> texts_;
};

}  // namespace templates
