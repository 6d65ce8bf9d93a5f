// bot/app: the data files as one snapshot, replaced whole (SIGHUP), and files_pin, which keeps
// a unit of work on the snapshot it started with.
#include "bot/app.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>

namespace {

std::shared_ptr<const bot::data_files> files_with_staff(const std::string& id) {
  auto files = std::make_shared<bot::data_files>();
  bot::staff_member s;
  s.id = id;
  files->staff.push_back(s);
  return files;
}

}  // namespace

TEST_CASE("a unit keeps the snapshot it pinned while the data files are replaced", "[app][reload]") {
  bot::app a{bot::config{}, files_with_staff("E001"), templates::library::embedded(), "Asia/Shanghai"};
  auto first = a.files();
  REQUIRE(first->staff.at(0).id == "E001");
  std::weak_ptr<const bot::data_files> first_alive = first;

  {
    const bot::files_pin pin{a};
    const auto* member = &a.files()->staff.at(0);
    a.replace_files(files_with_staff("E002"));
    // This thread's unit still reads the set it started with, and pointers into it hold...
    CHECK(a.files() == first);
    CHECK(member->id == "E001");
    // ...while everything else already sees the new one.
    std::string elsewhere;
    std::thread other{[&] { elsewhere = a.files()->staff.at(0).id; }};
    other.join();
    CHECK(elsewhere == "E002");

    SECTION("pins nest; the inner one wins until it ends") {
      {
        const bot::files_pin inner{a, files_with_staff("E003")};
        CHECK(a.files()->staff.at(0).id == "E003");
      }
      CHECK(a.files() == first);
    }
  }
  CHECK(a.files()->staff.at(0).id == "E002");

  // The old set is freed with its last holder.
  CHECK_FALSE(first_alive.expired());
  first.reset();
  CHECK(first_alive.expired());
}

TEST_CASE("a pin is for its own app only", "[app][reload]") {
  bot::app a{bot::config{}, files_with_staff("A"), templates::library::embedded(), "Asia/Shanghai"};
  bot::app b{bot::config{}, files_with_staff("B"), templates::library::embedded(), "Asia/Shanghai"};
  const bot::files_pin pin{a, files_with_staff("A2")};
  CHECK(a.files()->staff.at(0).id == "A2");
  CHECK(b.files()->staff.at(0).id == "B");
}
