// Type tasks step by step: reset actions, list + delete with paging, binding's fallback,
// plan mode, failures, and the user status that results add up to.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "engine/type_task.hpp"

namespace devreset::engine {
namespace {

namespace json = boost::json;
using io::device_type;
using io::result_status;

constexpr std::string_view realm = "/realms/root/realms/alpha";

final_answer ok(const json::value& body, int status = 200) {
  return final_answer{final_answer::kind::ok, status, 1, &body, {}};
}
final_answer failed(int status, std::string why) {
  return final_answer{final_answer::kind::failed, status, 1, nullptr, std::move(why)};
}
final_answer not_found() {
  return final_answer{final_answer::kind::not_found, 404, 1, nullptr, {}};
}

json::value page(std::vector<std::string> ids, std::string cookie = {}) {
  json::array result;
  for (auto& id : ids)
    result.push_back(json::object{{"_id", id}, {"deviceName", "secret name"}});
  json::object o{{"result", result}, {"resultCount", ids.size()}};
  o["pagedResultsCookie"] = cookie.empty() ? json::value(nullptr) : json::value(cookie);
  return o;
}

TEST(DevicePlan, OathIsOneResetAction) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
              {run_mode::reset});
  auto req = t.next();
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->method, http_method::post);
  EXPECT_TRUE(req->json_body);
  EXPECT_EQ(req->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/2fa/oath?_action=reset");
  t.on_answer(ok(json::parse(R"({"result":true})")));
  EXPECT_TRUE(t.finished());
  EXPECT_FALSE(t.next().has_value());
  EXPECT_EQ(t.result().status, result_status::ok);
  EXPECT_EQ(t.result().action, "reset");
  EXPECT_EQ(t.result().attempts, 1);
}

TEST(DevicePlan, VerifyListsAgainAfterTheResetAndFailsWhatRemains) {
  io::tenant_paths paths;
  const auto done = json::parse(R"({"result":true})");
  // Nothing left: ok, and the ledger says so (remaining 0).
  type_task clean(paths, {realm, "u1", device_type::oath},
                  io::strategy_of(device_type::oath, false), {run_mode::reset, 0, true});
  clean.on_answer(ok(done));
  ASSERT_FALSE(clean.finished()) << "a list follows the reset";
  EXPECT_EQ(clean.next()->method, http_method::get);
  EXPECT_EQ(clean.next()->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/2fa/oath?_queryFilter=true");
  const auto empty = page({});
  clean.on_answer(ok(empty));
  EXPECT_EQ(clean.result().status, result_status::ok);
  EXPECT_EQ(clean.result().remaining, 0);
  // Two left, over two pages: failed, and why.
  type_task left(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
                 {run_mode::reset, 0, true});
  left.on_answer(ok(done));
  const auto p1 = page({"d1"}, "next"), p2 = page({"d2"});
  left.on_answer(ok(p1));
  EXPECT_EQ(left.next()->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/2fa/oath?_queryFilter=true"
            "&_pagedResultsCookie=next");
  left.on_answer(ok(p2));
  EXPECT_EQ(left.result().status, result_status::failed);
  EXPECT_EQ(left.result().remaining, 2);
  EXPECT_EQ(left.result().error, "2 devices remain after the reset");
  // After list + delete too; a failed check is not a verified reset.
  type_task keys(paths, {realm, "u1", device_type::webauthn},
                 io::strategy_of(device_type::webauthn, false), {run_mode::reset, 0, true});
  const auto one = page({"k1"});
  keys.on_answer(ok(one));
  keys.on_answer(ok(json::parse("{}")));  // the DELETE
  ASSERT_FALSE(keys.finished());
  keys.on_answer(failed(503, "503 Service Unavailable"));
  EXPECT_EQ(keys.result().status, result_status::failed);
  EXPECT_EQ(keys.result().error, "reset, but not verified: 503 Service Unavailable");
  // Plans are never verified.
  type_task plan(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
                 {run_mode::plan, 0, true});
  plan.on_answer(ok(empty));
  EXPECT_TRUE(plan.finished());
}

TEST(DevicePlan, ResetWithoutResultTrueFails) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::push}, io::strategy_of(device_type::push, false),
              {run_mode::reset});
  t.on_answer(ok(json::parse(R"({"result":false})")));
  EXPECT_EQ(t.result().status, result_status::failed);
  EXPECT_EQ(t.result().error, "the tenant did not confirm the reset (no \"result\":true)");
}

TEST(DevicePlan, WebauthnListsFollowsTheCookieThenDeletesEach) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset});
  auto r1 = t.next();
  EXPECT_EQ(r1->method, http_method::get);
  EXPECT_EQ(r1->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/2fa/webauthn?_queryFilter=true");
  auto p1 = page({"d1", "d2"}, "AAAA+/==");
  t.on_answer(ok(p1));
  auto r2 = t.next();
  EXPECT_EQ(r2->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/2fa/webauthn"
            "?_queryFilter=true&_pagedResultsCookie=AAAA%2B%2F%3D%3D");
  auto p2 = page({"d3"});
  t.on_answer(ok(p2));
  std::vector<std::string> deleted;
  json::value answer = json::object{{"_id", "x"}, {"recoveryCodes", json::array{"secret"}}};
  while (auto r = t.next()) {
    EXPECT_EQ(r->method, http_method::delete_);
    deleted.push_back(r->target.substr(r->target.rfind('/') + 1));
    t.on_answer(ok(answer));
  }
  EXPECT_EQ(deleted, (std::vector<std::string>{"d1", "d2", "d3"}));
  auto res = t.result();
  EXPECT_EQ(res.status, result_status::ok);
  EXPECT_EQ(res.action, "list+delete");
  EXPECT_EQ(res.found, 3);
  EXPECT_EQ(res.deleted, 3);
  EXPECT_EQ(res.attempts, 5);
  EXPECT_TRUE(res.device_ids.empty()) << "a run records counts, not ids";
}

TEST(DevicePlan, EmptyListIsOkWithNothingDeleted) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::trusted},
              io::strategy_of(device_type::trusted, false), {run_mode::reset});
  EXPECT_EQ(t.next()->target,
            "/am/json/realms/root/realms/alpha/users/u1/devices/trusted?_queryFilter=true");
  auto empty = page({});
  t.on_answer(ok(empty));
  EXPECT_TRUE(t.finished());
  EXPECT_EQ(t.result().status, result_status::ok);
  EXPECT_EQ(t.result().found, 0);
  EXPECT_EQ(t.result().deleted, 0);
}

TEST(DevicePlan, DeviceAlreadyGoneCountsAsDeleted) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::profile},
              io::strategy_of(device_type::profile, false), {run_mode::reset});
  auto p = page({"d1", "d2"});
  t.on_answer(ok(p));
  t.on_answer(not_found());
  json::value answer = json::object{};
  t.on_answer(ok(answer));
  EXPECT_EQ(t.result().status, result_status::ok);
  EXPECT_EQ(t.result().deleted, 2);
}

TEST(DevicePlan, BindingFallsBackToListAndDeleteWhenTheActionIsRefused) {
  io::tenant_paths paths;
  for (int refused : {400, 405, 501}) {
    type_task t(paths, {realm, "u1", device_type::binding},
                io::strategy_of(device_type::binding, false), {run_mode::reset});
    EXPECT_EQ(t.next()->method, http_method::post);
    t.on_answer(failed(refused, "400 Bad Request"));
    ASSERT_FALSE(t.finished()) << refused;
    EXPECT_EQ(t.next()->method, http_method::get);
    auto p = page({"b1"});
    t.on_answer(ok(p));
    EXPECT_EQ(t.next()->method, http_method::delete_);
    json::value answer = json::object{};
    t.on_answer(ok(answer));
    EXPECT_EQ(t.result().status, result_status::ok) << refused;
    EXPECT_EQ(t.result().action, "reset->list+delete");
    EXPECT_EQ(t.result().attempts, 3);
  }
}

TEST(DevicePlan, OnlyBindingFallsBack) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
              {run_mode::reset});
  t.on_answer(failed(400, "400 Bad Request"));
  EXPECT_TRUE(t.finished());
  EXPECT_EQ(t.result().status, result_status::failed);
  EXPECT_EQ(t.result().error, "400 Bad Request");
  EXPECT_EQ(t.result().http_status, 400);
}

TEST(DevicePlan, UnknownUserIsNotFound) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "ghost", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset});
  t.on_answer(not_found());
  EXPECT_EQ(t.result().status, result_status::not_found);
}

TEST(DevicePlan, PlanModeOnlyListsAndRecordsIdsNotNames) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
              {run_mode::plan});
  EXPECT_EQ(t.next()->method, http_method::get) << "plan never resets";
  auto p = page({"o1", "o2"});
  t.on_answer(ok(p));
  EXPECT_TRUE(t.finished());
  auto r = t.result();
  EXPECT_EQ(r.status, result_status::planned);
  EXPECT_EQ(r.action, "list");
  EXPECT_EQ(r.found, 2);
  EXPECT_EQ(r.device_ids, (std::vector<std::string>{"o1", "o2"}));
}

TEST(DevicePlan, MalformedListAnswersFailTheType) {
  io::tenant_paths paths;
  type_task a(paths, {realm, "u1", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset});
  auto no_result = json::parse(R"({"items":[]})");
  a.on_answer(ok(no_result));
  EXPECT_EQ(a.result().error, "the list answer has no \"result\" array");
  type_task b(paths, {realm, "u1", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset});
  auto no_id = json::parse(R"({"result":[{"deviceName":"x"}]})");
  b.on_answer(ok(no_id));
  EXPECT_EQ(b.result().error, "a listed device has no \"_id\"");
}

TEST(DevicePlan, EndlessCookiesAreCutOff) {
  io::tenant_paths paths;
  type_task t(paths, {realm, "u1", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset});
  auto p = page({}, "again");
  int pages = 0;
  while (!t.finished() && pages < 5000) {
    t.on_answer(ok(p));
    ++pages;
  }
  EXPECT_EQ(pages, type_task::max_pages);
  EXPECT_EQ(t.result().status, result_status::failed);
}

io::type_result with(result_status s) {
  io::type_result r;
  r.status = s;
  return r;
}

TEST(UserStatus, FollowsFromTheTypeResults) {
  using io::user_status;
  EXPECT_EQ(user_status_of({with(result_status::ok), with(result_status::ok)}), user_status::ok);
  EXPECT_EQ(user_status_of({with(result_status::ok), with(result_status::failed)}),
            user_status::partial);
  EXPECT_EQ(user_status_of({with(result_status::failed), with(result_status::failed)}),
            user_status::failed);
  EXPECT_EQ(user_status_of({with(result_status::not_found), with(result_status::not_found)}),
            user_status::not_found);
  EXPECT_EQ(user_status_of({with(result_status::ok), with(result_status::not_found)}),
            user_status::partial);
  EXPECT_EQ(user_status_of({with(result_status::planned)}), user_status::planned);
}

// run --plan: every type is listed again, compared with the plan, and all removed (those
// added since too), a type the plan found empty as well (issue 31).
TEST(DevicePlanFollowingAPlan, ATypeThePlanFoundEmptyIsListedAgain) {
  io::tenant_paths paths;
  const std::vector<std::string> none;
  type_task t(paths, {realm, "u1", device_type::webauthn},
              io::strategy_of(device_type::webauthn, false), {run_mode::reset, 0, true});
  t.follow_plan(&none, false);
  ASSERT_EQ(t.next()->method, http_method::get) << "what came since is there to see";
  auto now = page({"new1"});  // registered between review and apply
  t.on_answer(ok(now));
  auto del = t.next();
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->method, http_method::delete_);
  json::value answer = json::object{{"_id", "new1"}};
  t.on_answer(ok(answer));
  ASSERT_EQ(t.next()->method, http_method::get) << "--verify lists it once more";
  auto empty = page({});
  t.on_answer(ok(empty));
  auto r = t.result();
  EXPECT_EQ(r.status, result_status::ok) << r.error;
  EXPECT_EQ(r.added_since_plan, (std::vector<std::string>{"new1"}));
  EXPECT_EQ(r.remaining, 0);
  // Strict: recorded, never removed (only planned ids are).
  type_task s(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
              {run_mode::reset});
  s.follow_plan(&none, true);
  s.on_answer(ok(now));
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.result().status, result_status::ok);
  EXPECT_EQ(s.result().added_since_plan, (std::vector<std::string>{"new1"}));
}

TEST(DevicePlanFollowingAPlan, ListsThenResetsAndRecordsWhatChanged) {
  io::tenant_paths paths;
  const std::vector<std::string> planned{"d2", "d1"};
  type_task t(paths, {realm, "u1", device_type::oath}, io::strategy_of(device_type::oath, false),
              {run_mode::reset});
  t.follow_plan(&planned, false);
  ASSERT_EQ(t.next()->method, http_method::get);
  auto now = page({"d1", "d3"});  // d2 went, d3 came
  t.on_answer(ok(now));
  auto reset = t.next();
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->method, http_method::post) << "the reset action removes d3 with the rest";
  const auto done = json::parse(R"({"result":true})");
  t.on_answer(ok(done));
  auto r = t.result();
  EXPECT_EQ(r.status, result_status::ok);
  EXPECT_EQ(r.action, "list+reset");
  EXPECT_EQ(r.added_since_plan, (std::vector<std::string>{"d3"}));
  EXPECT_EQ(r.gone_since_plan, (std::vector<std::string>{"d2"}));
  EXPECT_EQ(r.found, 2);
}

TEST(DevicePlanFollowingAPlan, StrictDeletesOnlyThePlannedIds) {
  io::tenant_paths paths;
  const std::vector<std::string> planned{"d1", "d2"};
  type_task t(paths, {realm, "u1", device_type::push}, io::strategy_of(device_type::push, false),
              {run_mode::reset, 0, true});
  t.follow_plan(&planned, true);
  auto now = page({"d1", "d2", "d9"});
  t.on_answer(ok(now));
  std::vector<std::string> deleted;
  json::value answer = json::object{{"_id", "x"}};
  while (auto r = t.next()) {
    if (r->method != http_method::delete_) break;  // the verification's list
    deleted.push_back(r->target.substr(r->target.rfind('/') + 1));
    t.on_answer(ok(answer));
  }
  EXPECT_EQ(deleted, (std::vector<std::string>{"d1", "d2"}));
  auto left = page({"d9"});  // what strict leaves is not "left" for --verify
  t.on_answer(ok(left));
  auto r = t.result();
  EXPECT_EQ(r.status, result_status::ok) << r.error;
  EXPECT_EQ(r.remaining, 0);
  EXPECT_EQ(r.added_since_plan, (std::vector<std::string>{"d9"}));
  EXPECT_EQ(r.action, "list+delete");
}

TEST(DevicePlanFollowingAPlan, ATypeThePlanCouldNotListIsResetAsNowOrFailsWhenStrict) {
  io::tenant_paths paths;
  type_task loose(paths, {realm, "u1", device_type::oath},
                  io::strategy_of(device_type::oath, false), {run_mode::reset});
  loose.follow_plan(nullptr, false);
  EXPECT_EQ(loose.next()->method, http_method::post);
  EXPECT_EQ(loose.result().action, "reset");
  type_task strict(paths, {realm, "u1", device_type::oath},
                   io::strategy_of(device_type::oath, false), {run_mode::reset});
  strict.follow_plan(nullptr, true);
  EXPECT_FALSE(strict.next().has_value());
  EXPECT_EQ(strict.result().status, result_status::failed);
}

TEST(DevicePlanFollowingAPlan, BindingRefusedAfterTheListDeletesWhatWasListed) {
  io::tenant_paths paths;
  const std::vector<std::string> planned{"b1"};
  type_task t(paths, {realm, "u1", device_type::binding},
              io::strategy_of(device_type::binding, false), {run_mode::reset});
  t.follow_plan(&planned, false);
  auto now = page({"b1"});
  t.on_answer(ok(now));
  ASSERT_EQ(t.next()->method, http_method::post);
  t.on_answer(failed(501, "not implemented"));
  auto del = t.next();
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->method, http_method::delete_);
  json::value answer = json::object{{"_id", "b1"}};
  t.on_answer(ok(answer));
  EXPECT_EQ(t.result().status, result_status::ok);
  EXPECT_EQ(t.result().action, "list+reset->list+delete");
  EXPECT_TRUE(t.found_action_refused());
}

}  // namespace
}  // namespace devreset::engine
