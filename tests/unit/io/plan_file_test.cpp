// A plan ledger read back for run --plan: which plan it is, its totals, and its users as
// jobs carrying the ids the plan listed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "io/ledger_writer.hpp"
#include "io/plan_file.hpp"
#include "io/text.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::io {
namespace {

namespace json = boost::json;
const std::string alpha = "/realms/root/realms/alpha";

json::object run_record(std::string id, std::string mode, std::string types = "oath,webauthn") {
  return json::object{{"record", "run"},
                      {"run_id", id},
                      {"mode", mode},
                      {"tenant_url", "https://t.example/am"},
                      {"started_at", "2026-11-29T00:31:02.512Z"},
                      {"realm", alpha},
                      {"types", types}};
}

type_result listed(device_type t, std::vector<std::string> ids) {
  type_result r;
  r.type = t;
  r.action = "list";
  r.status = result_status::planned;
  r.found = static_cast<int>(ids.size());
  r.device_ids = std::move(ids);
  return r;
}

user_record planned_user(std::string run, std::string id, std::vector<type_result> results) {
  user_record u;
  u.run_id = std::move(run);
  u.user_id = std::move(id);
  u.realm = alpha;
  u.status = user_status::planned;
  u.results = std::move(results);
  return u;
}

void write_plan(const std::filesystem::path& path, bool finished = true) {
  ledger_writer w(path, ledger_mode::create);
  w.write(run_record("old", "reset"));
  w.write(planned_user("old", "u0", {listed(device_type::oath, {"stale"})}));  // not the plan's
  w.write(json::object{{"record", "summary"}, {"run_id", "old"}, {"end", "finished"}});
  w.write(run_record("p1", "plan"));
  w.write(planned_user("p1", "u1",
                       {listed(device_type::oath, {"o1"}), listed(device_type::webauthn, {})}));
  w.write(
      planned_user("p1", "u2", {listed(device_type::oath, {}), listed(device_type::webauthn, {})}));
  auto failed = planned_user("p1", "u3", {listed(device_type::oath, {"o3"})});
  type_result unread;
  unread.type = device_type::webauthn;
  unread.status = result_status::failed;
  unread.error = "503";
  failed.results.push_back(unread);
  failed.status = user_status::failed;
  w.write(failed);
  user_record bad = planned_user("p1", "a b", {});
  bad.status = user_status::invalid;
  bad.reason = "user id contains a space";
  w.write(bad);
  if (finished) w.write(json::object{{"record", "summary"}, {"run_id", "p1"}, {"end", "finished"}});
}

TEST(PlanFile, InfoNamesTheLastPlanItsTimeAndTotals) {
  test::temp_dir dir;
  write_plan(dir / "plan.jsonl");
  auto p = read_plan_info(dir / "plan.jsonl");
  EXPECT_EQ(p.run_id, "p1");
  EXPECT_EQ(p.tenant, "https://t.example/am");
  EXPECT_EQ(p.realm, alpha);
  EXPECT_EQ(format_utc(p.made), "2026-11-29T00:31:02.512Z");
  EXPECT_EQ(p.users, 4u);
  EXPECT_EQ(p.devices[static_cast<std::size_t>(device_type::oath)], 2u);
  EXPECT_EQ(p.users_with[static_cast<std::size_t>(device_type::oath)], 2u);
  EXPECT_EQ(p.users_empty, 1u) << "u2 only";
  EXPECT_EQ(p.users_unlisted, 1u) << "u3's webauthn";
  EXPECT_EQ(p.types, (type_set{device_type::oath, device_type::webauthn}));
  EXPECT_EQ(p.other_runs, 1u);
}

TEST(PlanFile, OfTwoPlansInOneFileTheLastIsApplied) {
  test::temp_dir dir;
  write_plan(dir / "plan.jsonl");
  {
    ledger_writer w(dir / "plan.jsonl", ledger_mode::resume);
    w.write(run_record("p2", "plan", "oath"));
    w.write(planned_user("p2", "u9", {listed(device_type::oath, {"o9"})}));
    w.write(json::object{{"record", "summary"}, {"run_id", "p2"}, {"end", "finished"}});
  }
  const auto info = read_plan_info(dir / "plan.jsonl");
  EXPECT_EQ(info.run_id, "p2");
  EXPECT_EQ(info.users, 1u);
  EXPECT_EQ(info.other_runs, 2u);
  plan_reader r(info, info.types);
  auto u9 = std::get<job>(*r.next());
  EXPECT_EQ(u9.user_id, "u9");
  EXPECT_FALSE(r.next().has_value()) << "p1's users are not p2's";
}

TEST(PlanFile, APlanThatDidNotFinishOrNoPlanAtAllIsRefused) {
  test::temp_dir dir;
  write_plan(dir / "cut.jsonl", false);
  EXPECT_THROW(read_plan_info(dir / "cut.jsonl"), input_error);
  {
    ledger_writer w(dir / "run.jsonl", ledger_mode::create);
    w.write(run_record("r", "reset"));
  }
  try {
    read_plan_info(dir / "run.jsonl");
    FAIL() << "a run's ledger is no plan";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds no plan"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_plan_info(dir / "missing.jsonl"), input_error);
}

TEST(PlanFile, ReaderGivesThePlansUsersWithTheirListsNarrowedByTypes) {
  test::temp_dir dir;
  write_plan(dir / "plan.jsonl");
  const auto info = read_plan_info(dir / "plan.jsonl");
  plan_reader all(info, type_set{device_type::oath, device_type::webauthn});
  auto u1 = std::get<job>(*all.next());
  EXPECT_EQ(u1.user_id, "u1") << "the plan's users only, not another run's";
  ASSERT_TRUE(u1.plan);
  EXPECT_EQ(*u1.plan->ids_of(device_type::oath), (std::vector<std::string>{"o1"}));
  EXPECT_TRUE(u1.plan->ids_of(device_type::webauthn)->empty());
  std::get<job>(*all.next());  // u2
  auto u3 = std::get<job>(*all.next());
  EXPECT_TRUE(u3.types.contains(device_type::webauthn));
  EXPECT_EQ(u3.plan->ids_of(device_type::webauthn), nullptr) << "not listed: reset as it is";
  auto bad = std::get<invalid_row>(*all.next());
  EXPECT_EQ(bad.reason, "invalid in the plan: user id contains a space");
  EXPECT_FALSE(all.next().has_value());

  plan_reader narrow(info, type_set{device_type::webauthn});
  auto n1 = std::get<job>(*narrow.next());
  EXPECT_EQ(n1.types, type_set{device_type::webauthn});
}

// Users the plan named by user name and could not find are looked up again by the run, for
// the types their rows asked for (the record keeps them: there are no results to say them),
// even when the plan found nobody and so listed no type at all.
TEST(PlanFile, UsersThePlanCouldNotFindKeepTheirRowsTypes) {
  test::temp_dir dir;
  {
    ledger_writer w(dir / "plan.jsonl", ledger_mode::create);
    w.write(run_record("p1", "plan", "oath"));  // the plan's default: oath
    for (auto [name, types] : {std::pair{"alice", type_set{device_type::webauthn}},
                               std::pair{"bob", type_set{device_type::oath, device_type::push}}}) {
      user_record u;
      u.run_id = "p1";
      u.kind = id_kind::user_name;
      u.name = name;
      u.given[static_cast<std::size_t>(id_kind::user_name)] = name;
      u.realm = alpha;
      u.status = user_status::not_found;
      u.reason = "no user with userName";
      u.types = types;
      w.write(u);
    }
    w.write(json::object{{"record", "summary"}, {"run_id", "p1"}, {"end", "finished"}});
  }
  const auto info = read_plan_info(dir / "plan.jsonl");
  EXPECT_EQ(info.users_unresolved, 2u);
  EXPECT_EQ(info.types, (type_set{device_type::oath, device_type::push, device_type::webauthn}));
  plan_reader all(info, info.types);
  auto a = std::get<job>(*all.next());
  EXPECT_EQ(a.name, "alice");
  EXPECT_TRUE(a.user_id.empty()) << "looked up again";
  EXPECT_EQ(a.types, type_set{device_type::webauthn}) << "its row's, not the plan's oath";
  EXPECT_EQ(std::get<job>(*all.next()).types, (type_set{device_type::oath, device_type::push}));
  plan_reader push_only(info, type_set{device_type::push});
  EXPECT_EQ(std::get<job>(*push_only.next()).name, "bob") << "alice has no push: narrowed out";
}

TEST(PlanFile, ARecordNoInputRowCouldBeIsAnInvalidRowNotARequest) {
  test::temp_dir dir;
  {
    ledger_writer w(dir / "plan.jsonl", ledger_mode::create);
    w.write(run_record("p1", "plan"));
    auto elsewhere = planned_user("p1", "u1", {listed(device_type::oath, {"o1"})});
    elsewhere.realm = "/realms/root/realms/alpha/../bravo";  // edited by hand
    w.write(elsewhere);
    w.write(planned_user("p1", "../u2", {listed(device_type::oath, {"o2"})}));
    w.write(planned_user("p1", "u3", {listed(device_type::oath, {"o3"})}));
    w.write(json::object{{"record", "summary"}, {"run_id", "p1"}, {"end", "finished"}});
  }
  plan_reader r(read_plan_info(dir / "plan.jsonl"), type_set{device_type::oath});
  auto a = std::get<invalid_row>(*r.next());
  EXPECT_NE(a.reason.find("in the plan: realm"), std::string::npos) << a.reason;
  auto b = r.next();
  ASSERT_TRUE(b.has_value());
  if (const auto* j = std::get_if<job>(&*b)) {
    EXPECT_EQ(j->user_id, "../u2") << "a path-like id is percent-encoded when sent";
  }
  EXPECT_EQ(std::get<job>(*r.next()).user_id, "u3");
}

}  // namespace
}  // namespace devreset::io
