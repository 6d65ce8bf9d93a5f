// The dialog entry point: dialogs::step over a conversation of up to 8 messages (the input split
// at '\n'; a line starting with '!' is an event, "@image" an attachment), with the demo catalog.
// step() must never throw, always leave a state that survives the store's JSON round trip, and
// name only template keys it declares.
#include "bot/config.hpp"
#include "dialogs/intake.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <algorithm>

namespace {
const dialogs::catalog& demo_catalog() {
  static const dialogs::catalog c = [] {
    auto loaded = bot::load_catalog(SB_SOURCE_DIR "/demo/catalog.json");
    loaded.prepare();
    return loaded;
  }();
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto keys = dialogs::template_keys();
  dialogs::context ctx;
  ctx.products = &demo_catalog();
  ctx.now = 1778563200;  // 2026-05-12
  ctx.today = {2026, 5, 12};
  dialogs::conversation state;
  for (auto line : fuzz::split(fuzz::text(data, size), '\n', 8)) {
    dialogs::inbound in;
    in.channel = line.starts_with("#") ? "sms" : "wechat";
    in.sender = in.channel == "sms" ? "+8613800135678" : "oFuzzOpenId";
    if (line.starts_with("!")) {
      in.kind = "event";
      in.event = std::string{line.substr(1)};
    } else if (line.starts_with("@image")) {
      in.kind = "image";
      in.attachments.push_back({"image", "media-1"});
    } else {
      in.kind = "text";
      in.text = std::string{line};
    }
    auto out = dialogs::step(state, in, ctx);
    for (const auto& r : out.replies)
      fuzz::require(std::find(keys.begin(), keys.end(), r.key) != keys.end(), "reply keys are declared");
    auto stored = dialogs::conversation::from_json(out.next.to_json());
    fuzz::require(stored.has_value(), "the next state survives the JSON round trip");
    state = std::move(*stored);
    ctx.now += 60;
  }
  return 0;
}
