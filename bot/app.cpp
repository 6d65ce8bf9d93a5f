#include "bot/app.hpp"

#include <utility>

namespace bot {
namespace {

// The innermost files_pin of this thread: whose app, and the snapshot it holds.
thread_local const app* pinned_app = nullptr;
thread_local const std::shared_ptr<const data_files>* pinned_files = nullptr;

}  // namespace

app::app(config c, std::shared_ptr<const data_files> files, templates::library t, const std::string& timezone)
    : cfg(std::move(c)), texts(std::move(t)), clock(timezone), files_(std::move(files)) {}

std::shared_ptr<const data_files> app::files() const {
  if (pinned_app == this) return *pinned_files;
  return files_.load();
}

void app::replace_files(std::shared_ptr<const data_files> next) { files_.store(std::move(next)); }

files_pin::files_pin(const app& a, std::shared_ptr<const data_files> files)
    : previous_app_(pinned_app), previous_files_(pinned_files), files_(std::move(files)) {
  pinned_app = &a;
  pinned_files = &files_;
}

files_pin::~files_pin() {
  pinned_app = previous_app_;
  pinned_files = previous_files_;
}

}  // namespace bot
