// Devices selected by age: each rule on its own date field, both rules together, undated
// devices kept unless asked, and a type task under a selection that lists and deletes the
// selected devices one by one, never sending the reset action.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "engine/device_selection.hpp"
#include "engine/type_task.hpp"

namespace devreset::engine {
namespace {

namespace json = boost::json;
using io::device_type;
using verdict = device_selection::verdict;

constexpr std::int64_t day = 86400000;
constexpr std::int64_t now = 1800000000000;  // the run's start

json::object device(std::string id, std::optional<std::int64_t> used,
                    std::optional<std::int64_t> created,
                    const char* used_field = "lastAccessDate") {
  json::object o{{"_id", id}, {"deviceName", "d"}};
  if (used) o[used_field] = *used;
  if (created) o["createdDate"] = *created;
  return o;
}

device_selection unused_for(int days) {
  device_selection s;
  s.unused_for = device_selection::ms(days * day);
  s.now_ms = now;
  return s;
}

TEST(DeviceSelection, UnusedForCutsAtNowMinusTheDuration) {
  const auto s = unused_for(90);
  EXPECT_EQ(s.last_used_before_ms(), now - 90 * day);
  EXPECT_EQ(s.judge(device_type::oath, device("a", now - 91 * day, now - 200 * day)),
            verdict::remove);
  EXPECT_EQ(s.judge(device_type::oath, device("b", now - 89 * day, now - 200 * day)),
            verdict::recent);
  EXPECT_EQ(s.judge(device_type::oath, device("c", now - 90 * day, {})), verdict::recent)
      << "on the cut-off itself: used since";
  EXPECT_EQ(s.judge(device_type::oath, device("d", {}, now - 400 * day)), verdict::undated);
  EXPECT_FALSE(s.removes(verdict::undated));
  // Profiles tell their last use as lastSelectedDate.
  EXPECT_EQ(s.judge(device_type::profile, device("p", now - 100 * day, {}, "lastSelectedDate")),
            verdict::remove);
  EXPECT_EQ(s.judge(device_type::profile, device("q", now - 100 * day, {})), verdict::undated);
}

TEST(DeviceSelection, BothRulesMustHoldAndAMissingDateIsUndated) {
  auto s = unused_for(90);
  s.registered_before_ms = now - 200 * day;
  EXPECT_EQ(s.judge(device_type::push, device("old", now - 100 * day, now - 300 * day)),
            verdict::remove);
  EXPECT_EQ(s.judge(device_type::push, device("new", now - 100 * day, now - 120 * day)),
            verdict::recent);
  EXPECT_EQ(s.judge(device_type::push, device("used", now - 10 * day, now - 300 * day)),
            verdict::recent);
  EXPECT_EQ(s.judge(device_type::push, device("nodate", now - 100 * day, {})), verdict::undated);
  EXPECT_EQ(s.judge(device_type::push, device("nodate-but-used", now - 10 * day, {})),
            verdict::recent)
      << "a rule that keeps it decides, whatever the other lacks";
  // Trusted devices tell no registration date: undated for that rule.
  EXPECT_EQ(s.judge(device_type::trusted, device("t", now - 100 * day, {}, "lastSelectedDate")),
            verdict::undated);
  s.remove_undated = true;
  EXPECT_TRUE(s.removes(verdict::undated));
  // A date that is not a number is no date.
  auto odd = device("x", {}, now - 300 * day);
  odd["lastAccessDate"] = "yesterday";
  EXPECT_EQ(s.judge(device_type::push, odd), verdict::undated);
}

TEST(DeviceSelection, TheRunRecordHoldsItAndGivesItBack) {
  auto s = unused_for(180);
  s.registered_before_ms = now - 365 * day;
  s.remove_undated = true;
  const auto back = from_record(to_record(s));
  EXPECT_EQ(back.now_ms, now);
  EXPECT_EQ(back.unused_for, s.unused_for);
  EXPECT_EQ(back.registered_before_ms, s.registered_before_ms);
  EXPECT_TRUE(back.remove_undated);
  auto o = io::to_json(to_record(s));
  EXPECT_EQ(o.at("undated"), "remove");
  EXPECT_EQ(std::string_view(o.at("last_used_before").as_string()).substr(0, 4), "2026");
  const auto read = io::selection_of(json::object{{"record", "run"}, {"selection", o}});
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->same_rules(to_record(s)));
  EXPECT_EQ(read->now_ms, now);
  EXPECT_FALSE(io::selection_of(json::object{{"record", "run"}}));
  // --registered-before 365d is a duration: the same rule whenever a resume starts.
  auto rel = unused_for(90);
  rel.registered_ago = device_selection::ms(365 * day);
  const auto first = to_record(rel);
  EXPECT_EQ(first.registered_before_ms, now - 365 * day);
  auto later = rel;
  later.now_ms = now + 60000;
  EXPECT_TRUE(to_record(later).same_rules(first));
  EXPECT_EQ(from_record(*io::selection_of(json::object{{"selection", io::to_json(first)}}))
                .registered_cutoff_ms(),
            now - 365 * day);
}

TEST(DeviceSelection, ATaskUnderASelectionDeletesOnlyTheStaleOnesAndNeverResets) {
  io::tenant_paths paths;
  const auto s = unused_for(90);
  for (auto t : {device_type::oath, device_type::push, device_type::binding}) {
    type_task task(paths, {"/realms/root/realms/alpha", "u1", t}, io::strategy_of(t, false),
                   {run_mode::reset, 0, false, &s});
    json::array list{device("stale", now - 100 * day, now - 200 * day),
                     device("fresh", now - 5 * day, now - 200 * day), device("nodate", {}, {})};
    const json::value page = json::object{{"result", list}, {"pagedResultsCookie", nullptr}};
    auto req = task.next();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->method, http_method::get) << "listed first, never the reset action";
    task.on_answer(final_answer{final_answer::kind::ok, 200, 1, &page, {}});
    req = task.next();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->method, http_method::delete_);
    EXPECT_TRUE(req->target.ends_with("/stale")) << req->target;
    const json::value gone = json::object{};
    task.on_answer(final_answer{final_answer::kind::ok, 200, 1, &gone, {}});
    EXPECT_FALSE(task.next()) << "one DELETE: the fresh and the undated device stay";
    const auto r = task.result();
    EXPECT_EQ(r.status, io::result_status::ok);
    EXPECT_EQ(r.action, "list+delete");
    EXPECT_EQ(r.found, 3);
    EXPECT_EQ(r.deleted, 1);
    EXPECT_EQ(r.kept_recent, 1);
    EXPECT_EQ(r.kept_undated, 1);
    ASSERT_EQ(r.selected.size(), 1u);
    EXPECT_EQ(r.selected[0].id, "stale");
    EXPECT_EQ(r.selected[0].last_used_ms, now - 100 * day);
    EXPECT_EQ(r.selected[0].created_ms, now - 200 * day);
  }
}

TEST(DeviceSelection, APlanUnderASelectionListsWhatWouldGo) {
  io::tenant_paths paths;
  const auto s = unused_for(90);
  type_task task(paths, {"/realms/root/realms/alpha", "u1", device_type::webauthn},
                 io::strategy_of(device_type::webauthn, false), {run_mode::plan, 0, false, &s});
  json::array list{device("k1", now - 100 * day, {}), device("k2", now - 1 * day, {})};
  const json::value page = json::object{{"result", list}};
  task.on_answer(final_answer{final_answer::kind::ok, 200, 1, &page, {}});
  const auto r = task.result();
  EXPECT_EQ(r.status, io::result_status::planned);
  EXPECT_EQ(r.device_ids, std::vector<std::string>{"k1"});
  EXPECT_EQ(r.found, 2);
  EXPECT_EQ(r.kept_recent, 1);
}

}  // namespace
}  // namespace devreset::engine
