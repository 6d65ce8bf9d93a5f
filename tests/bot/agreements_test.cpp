// Service agreements, the pure part: which agreement covers a ticket, its SLA overrides, part
// pricing and planned visit dates (bot/agreements.hpp).
#include "bot/agreements.hpp"
#include "bot/ticket_attributes.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace {

bot::agreement sample() {
  bot::agreement a;
  a.id = "AG1";
  a.customer_phone = "+8613800135678";
  a.customer_no = "C10001";
  a.models = {"RO-600"};
  a.serials = {"sn-12345"};
  a.valid_from = "2026-01-01";
  a.valid_to = "2026-12-31";
  a.sla_minutes["normal"] = {60, std::nullopt, std::nullopt};
  a.covered_services = {"repair", "value_added"};
  a.covered_parts = {"滤芯"};
  a.parts_discount_percent = 20;
  bot::visit_plan v;
  v.every_days = 90;
  v.first_visit = "2026-03-01";
  v.problem = "季度巡检";
  a.visits = v;
  return a;
}

}  // namespace

TEST_CASE("calendar arithmetic on YYYY-MM-DD", "[agreements][calendar]") {
  CHECK(bot::calendar::days_from_epoch("1970-01-01") == 0);
  CHECK(bot::calendar::days_from_epoch("2026-03-01") == bot::calendar::days_from_epoch("2026-02-28").value() + 1);
  CHECK(bot::calendar::add_days("2024-02-28", 1) == "2024-02-29");
  CHECK(bot::calendar::add_days("2026-12-31", 1) == "2027-01-01");
  CHECK(bot::calendar::add_days("2026-03-01", -7) == "2026-02-22");
  CHECK_FALSE(bot::calendar::days_from_epoch("2026-02-30"));
  CHECK_FALSE(bot::calendar::days_from_epoch("2026-2-3"));
  CHECK_FALSE(bot::calendar::days_from_epoch("garbage!!!"));
  CHECK(bot::calendar::add_days("", 3).empty());
}

TEST_CASE("the covering agreement: customer, validity, service type and product", "[agreements]") {
  const std::vector<bot::agreement> list{sample()};
  bot::coverage_query q{"+8613800135678", "", "RO-600", "RO1234567", "repair", "2026-06-01"};
  REQUIRE(bot::covering_agreement(list, q) == &list[0]);

  auto other = q;
  other.phone = "+8613900000000";
  CHECK(bot::covering_agreement(list, other) == nullptr);  // someone else
  other.customer_no = "C10001";
  CHECK(bot::covering_agreement(list, other) == &list[0]);  // by customer number
  auto late = q;
  late.day = "2027-01-01";
  CHECK(bot::covering_agreement(list, late) == nullptr);  // expired
  late.day = "2026-12-31";
  CHECK(bot::covering_agreement(list, late) == &list[0]);  // last day included
  auto complaint = q;
  complaint.type = "complaint";
  CHECK(bot::covering_agreement(list, complaint) == nullptr);  // service not covered
  auto washer = q;
  washer.model = "ABC-2000";
  washer.serial = "SN9";
  CHECK(bot::covering_agreement(list, washer) == nullptr);  // product not covered
  washer.serial = "SN12345";  // the agreement's serial, normalised
  CHECK(bot::covering_agreement(list, washer) == &list[0]);

  auto everything = sample();
  everything.models.clear();
  everything.serials.clear();
  everything.covered_services.clear();
  const std::vector<bot::agreement> all{everything};
  CHECK(bot::covering_agreement(all, washer) == &all[0]);
  CHECK(bot::covering_agreement(all, complaint) == &all[0]);
}

TEST_CASE("an agreement's SLA overrides the rules' field by field", "[agreements]") {
  bot::rules r;
  r.sla_minutes["normal"] = {240, 2880, std::nullopt};
  r.sla_minutes["urgent"] = {120, 1440, std::nullopt};
  const auto a = sample();
  const auto normal = bot::effective_sla(r, &a, "normal");
  CHECK(normal.respond == 60);
  CHECK(normal.resolve == 2880);
  CHECK_FALSE(normal.onsite);
  CHECK(bot::effective_sla(r, &a, "urgent").respond == 120);  // no override for urgent
  CHECK(bot::effective_sla(r, nullptr, "normal").respond == 240);
  CHECK_FALSE(bot::effective_sla(r, nullptr, "low").respond);
}

TEST_CASE("service report parts are covered or charged by the agreement", "[agreements]") {
  const auto a = sample();
  const auto lines = bot::price_parts(&a, {"滤芯", "水泵"});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].covered);
  CHECK(lines[0].discount_percent == 0);
  CHECK_FALSE(lines[1].covered);
  CHECK(lines[1].discount_percent == 20);
  auto all = a;
  all.covered_parts = {"*"};
  CHECK(bot::price_parts(&all, {"水泵"})[0].covered);
  CHECK_FALSE(bot::price_parts(nullptr, {"水泵"})[0].covered);
}

TEST_CASE("planned visits fall every N days from the first, within validity", "[agreements]") {
  const auto a = sample();
  CHECK(bot::next_visit(a, "2026-01-15") == "2026-03-01");
  CHECK(bot::next_visit(a, "2026-03-01") == "2026-03-01");
  CHECK(bot::next_visit(a, "2026-03-02") == "2026-05-30");
  CHECK(bot::next_visit(a, "2026-08-29") == "2026-11-26");
  CHECK(bot::next_visit(a, "2026-11-27") == "");  // the next (2027-02-24) is after valid_to
  auto none = a;
  none.visits.reset();
  CHECK(bot::next_visit(none, "2026-01-15") == "");
}

TEST_CASE("ticket attributes round-trip and tolerate junk", "[agreements][attributes]") {
  bot::ticket_attributes a;
  a.complaint_target_kind = "engineer";
  a.complaint_target = "E001";
  a.complaint_reason = "attitude";
  a.agreement = "AG1";
  a.origin = "visit_plan";
  a.visit_date = "2026-03-01";
  a.confirmed = true;
  const auto back = bot::ticket_attributes::from_json(a.to_json());
  CHECK(back.to_json() == a.to_json());
  CHECK(back.complaint_target == "E001");
  CHECK(back.confirmed);
  CHECK(bot::ticket_attributes{}.to_json() == "{}");
  CHECK(bot::ticket_attributes{}.empty());
  for (const char* junk : {"", "{", "[]", "null", R"({"complaint": 5, "agreement": 7})", "\xff"}) {
    CAPTURE(junk);
    CHECK(bot::ticket_attributes::from_json(junk).empty());
  }
}
