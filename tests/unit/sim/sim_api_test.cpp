// The simulated tenant's API without sockets: endpoints, answers, state changes, auth,
// errors, paging, rate limit with Retry-After, faults, and seed determinism.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <boost/url/url.hpp>

#include <boost/json.hpp>

#include "io/tenant_path.hpp"
#include "sim/api.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {
namespace {

namespace json = boost::json;
using io::device_type;

constexpr std::string_view alpha = "/realms/root/realms/alpha";

struct fixture {
  explicit fixture(options o = {}, std::uint64_t users = 20)
      : opts(std::move(o)),
        state(std::string(alpha), users, opts.seed),
        handler(opts, state, "tok") {}

  outcome call(std::string_view method, const std::string& target, std::string_view body = "",
               std::string_view auth = "Bearer tok", std::string_view client = "127.0.0.1") {
    request_view r{method,         "tenant.example",   target, auth,
                   "resource=1.0", "application/json", body,   client};
    return handler.handle(r, now);
  }
  json::value stats() { return json::parse(handler.stats_json()); }

  options opts;
  tenant_state state;
  api handler;
  io::tenant_paths paths;
  clock::time_point now = clock::time_point{} + std::chrono::hours(1);
};

// The first seeded user that has at least `n` devices of type `t`.
std::string user_with(const tenant_state& s, device_type t, std::size_t n) {
  for (std::size_t i = 0; i < s.seeded_users(); ++i) {
    auto ref = s.find(alpha, s.user_id(i));
    if (s.list(*ref, t).size() >= n) return s.user_id(i);
  }
  return {};
}

TEST(SimApi, ResetActionAnswersResultTrueAndRemovesTheDevices) {
  fixture f;
  auto user = user_with(f.state, device_type::oath, 1);
  ASSERT_FALSE(user.empty());
  auto before = f.call("GET", f.paths.query(alpha, user, device_type::oath));
  EXPECT_EQ(json::parse(before.body).at("resultCount"), 1);

  auto reset = f.call("POST", f.paths.reset(alpha, user, device_type::oath), "{}");
  EXPECT_EQ(reset.status, 200);
  EXPECT_EQ(reset.body, R"({"result":true})");

  auto after = json::parse(f.call("GET", f.paths.query(alpha, user, device_type::oath)).body);
  EXPECT_EQ(after.at("resultCount"), 0);
  EXPECT_EQ(after.at("result").as_array().size(), 0u);
  EXPECT_EQ(f.stats().at("resets_per_user").at("1"), 1);
}

TEST(SimApi, QueryAnswerHasTheDocumentedShape) {
  fixture f;
  auto user = user_with(f.state, device_type::webauthn, 2);
  ASSERT_FALSE(user.empty());
  auto out = f.call("GET", f.paths.query(alpha, user, device_type::webauthn));
  ASSERT_EQ(out.status, 200);
  auto v = json::parse(out.body).as_object();
  EXPECT_TRUE(v.at("pagedResultsCookie").is_null());
  EXPECT_EQ(v.at("totalPagedResultsPolicy"), "NONE");
  EXPECT_EQ(v.at("totalPagedResults"), -1);
  EXPECT_EQ(v.at("remainingPagedResults"), -1);
  const auto& first = v.at("result").as_array().at(0).as_object();
  for (auto key : {"_id", "_rev", "deviceName", "uuid", "deviceManagementStatus", "credentialId"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_FALSE(first.contains("key")) << "queries show no secrets";
}

TEST(SimApi, DeleteAnswersWithTheDeviceIncludingSecretsAndRemovesIt) {
  fixture f;
  auto user = user_with(f.state, device_type::webauthn, 2);
  auto list = json::parse(f.call("GET", f.paths.query(alpha, user, device_type::webauthn)).body);
  auto n = list.at("result").as_array().size();
  std::string id(list.at("result").as_array()[0].at("_id").as_string());

  auto del = f.call("DELETE", f.paths.device(alpha, user, device_type::webauthn, id));
  ASSERT_EQ(del.status, 200);
  auto body = json::parse(del.body);
  EXPECT_EQ(body.at("_id"), id.c_str());
  EXPECT_NE(del.body.find("sim-secret-"), std::string::npos);

  auto again = f.call("DELETE", f.paths.device(alpha, user, device_type::webauthn, id));
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(json::parse(again.body).at("message"), ("User device, " + id + ", not found.").c_str());
  auto after = json::parse(f.call("GET", f.paths.query(alpha, user, device_type::webauthn)).body);
  EXPECT_EQ(after.at("result").as_array().size(), n - 1);
}

TEST(SimApi, OathAndPushDeleteAnswersCarryRecoveryCodes) {
  fixture f;
  auto user = user_with(f.state, device_type::oath, 1);
  auto list = json::parse(f.call("GET", f.paths.query(alpha, user, device_type::oath)).body);
  std::string id(list.at("result").as_array()[0].at("_id").as_string());
  auto del = json::parse(f.call("DELETE", f.paths.device(alpha, user, device_type::oath, id)).body);
  EXPECT_EQ(del.at("recoveryCodes").as_array().size(), 2u);
}

TEST(SimApi, WebauthnHasNoResetAction) {
  fixture f;
  auto user = f.state.user_id(0);
  auto out = f.call("POST", f.paths.reset(alpha, user, device_type::webauthn), "{}");
  EXPECT_EQ(out.status, 400);
  auto body = json::parse(out.body);
  EXPECT_EQ(body.at("code"), 400);
  EXPECT_EQ(body.at("reason"), "Bad Request");
  EXPECT_EQ(body.at("message"), "Action 'reset' not implemented for this resource");
}

TEST(SimApi, BindingResetCanBeSwitchedOffLikeAnOlderTenant) {
  options o;
  o.binding_reset = false;
  fixture f(o);
  auto user = f.state.user_id(0);
  EXPECT_EQ(f.call("POST", f.paths.reset(alpha, user, device_type::binding), "{}").status, 400);
  fixture g;
  EXPECT_EQ(g.call("POST", g.paths.reset(alpha, user, device_type::binding), "{}").status, 200);
}

TEST(SimApi, MissingOrWrongTokenIs401WithTheDocumentedBody) {
  fixture f;
  auto target = f.paths.reset(alpha, f.state.user_id(0), device_type::oath);
  for (std::string_view auth : {"", "Bearer nope", "Basic tok", "Bearer tokx"}) {
    auto out = f.call("POST", target, "{}", auth);
    EXPECT_EQ(out.status, 401) << auth;
    EXPECT_EQ(out.body, R"({"code":401,"reason":"Unauthorized","message":"Access Denied"})");
  }
  EXPECT_EQ(f.call("POST", target, "{}", "bearer tok").status, 200) << "the scheme is caseless";
}

TEST(SimApi, UnknownUserRealmOrPathIs404) {
  fixture f;
  auto out = f.call("POST", f.paths.reset(alpha, "no-such-user", device_type::oath), "{}");
  EXPECT_EQ(out.status, 404);
  EXPECT_EQ(json::parse(out.body).at("message"), "User 'no-such-user' not found");
  auto realm = f.call(
      "POST", f.paths.reset("/realms/root/realms/beta", f.state.user_id(0), device_type::oath),
      "{}");
  EXPECT_EQ(realm.status, 404);
  EXPECT_EQ(json::parse(realm.body).at("message"), "Realm \"/beta\" not found");
  // A route AM does not have: its router's JSON 404.
  auto route = f.call("GET", "/am/json/realms/root/realms/alpha/users");
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(json::parse(route.body).at("message"), "Resource 'users' not found");
  // Outside AM's context path the web container answers, with an HTML page.
  auto outside = f.call("GET", "/openam/json/realms/root/realms/alpha/users/x/devices/2fa/oath");
  EXPECT_EQ(outside.status, 404);
  EXPECT_EQ(outside.content_type.rfind("text/html", 0), 0u) << outside.content_type;
  EXPECT_NE(outside.body.find("<title>HTTP Status 404"), std::string::npos);
}

TEST(SimApi, ServerinfoIsPublicAndRoutedByRealm) {
  fixture f;
  auto info = f.call("GET", "/am/json/realms/root/realms/alpha/serverinfo/*", {}, "");
  EXPECT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(json::parse(info.body).at("_id"), "*");
  auto beta = f.call("GET", "/am/json/realms/root/realms/beta/serverinfo/*", {}, "");
  EXPECT_EQ(beta.status, 404);
  EXPECT_EQ(json::parse(beta.body).at("message"), "Realm \"/beta\" not found");
}

TEST(SimApi, ServesAnyRealmHierarchyAndHostileIdsAddedByHand) {
  fixture f;
  const std::string emea = "/realms/root/realms/alpha/realms/emea";
  const std::string hostile = "../x?_action=delete#frag %2F";
  f.state.add_user(emea, hostile, {1, 0, 2, 0, 0, 0});
  auto out = f.call("POST", f.paths.reset(emea, hostile, device_type::oath), "{}");
  EXPECT_EQ(out.status, 200);
  auto list = json::parse(f.call("GET", f.paths.query(emea, hostile, device_type::webauthn)).body);
  EXPECT_EQ(list.at("resultCount"), 2);
  // The raw id pasted into the path does not reach the user.
  auto raw = "/am/json" + emea + "/users/" + hostile + "/devices/2fa/oath?_action=reset";
  EXPECT_EQ(f.call("POST", raw, "{}").status, 404);
}

TEST(SimApi, PagingFollowsTheCookieUntilItIsNull) {
  fixture f;
  const std::string id = "paged-user";
  f.state.add_user(std::string(alpha), id, {0, 0, 5, 0, 0, 0});
  std::vector<std::string> seen;
  std::string cookie;
  int pages = 0;
  do {
    auto out = f.call("GET", f.paths.query(alpha, id, device_type::webauthn, 2, cookie));
    ASSERT_EQ(out.status, 200) << out.body;
    auto v = json::parse(out.body).as_object();
    for (const auto& d : v.at("result").as_array())
      seen.emplace_back(d.at("_id").as_string());
    cookie = v.at("pagedResultsCookie").is_null()
                 ? ""
                 : std::string(v.at("pagedResultsCookie").as_string());
    ++pages;
  } while (!cookie.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 5u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "no device twice";
}

TEST(SimApi, HeadersAndBodyAreCheckedAsDocumented) {
  fixture f;
  auto target = f.paths.reset(alpha, f.state.user_id(0), device_type::oath);
  request_view no_version{"POST", "tenant.example",   target, "Bearer tok",
                          "",     "application/json", "{}",   "127.0.0.1"};
  EXPECT_EQ(f.handler.handle(no_version, f.now).status, 200) << "AM takes its latest version";
  request_view no_type{"POST", "tenant.example", target, "Bearer tok", "resource=1.0", "",
                       "{}",   "127.0.0.1"};
  EXPECT_EQ(f.handler.handle(no_type, f.now).status, 400);
  EXPECT_EQ(f.call("POST", target, "not json").status, 400);
  EXPECT_EQ(f.call("PUT", target, "{}").status, 405);
}

TEST(SimApi, RateLimitAnswers429WithRetryAfterAndCountsEarlyRequests) {
  options o;
  o.rate_limit = 10;  // bucket of one token, ten a second
  fixture f(o);
  auto target = f.paths.reset(alpha, f.state.user_id(0), device_type::oath);
  EXPECT_EQ(f.call("POST", target, "{}").status, 200);
  auto limited = f.call("POST", target, "{}");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after, "1");
  EXPECT_EQ(json::parse(limited.body).at("code"), 429);

  f.now += std::chrono::milliseconds(500);  // before the Retry-After elapsed: early
  f.call("POST", target, "{}");
  EXPECT_EQ(f.stats().at("early_requests"), 1);
  f.now += std::chrono::milliseconds(1500);  // after it: fine
  EXPECT_EQ(f.call("POST", target, "{}").status, 200);
  auto s = f.stats();
  EXPECT_EQ(s.at("early_requests"), 1);
  EXPECT_EQ(s.at("faults").at("rate_limited"), 1);
}

// The value of header `name` in an outcome, or "" when it has none.
std::string header_of(const outcome& o, std::string_view name) {
  for (const auto& [n, v] : o.headers)
    if (n == name) return v;
  return {};
}

TEST(SimApi, ARateLimitScheduleChangesTheLimitFromTheFirstRequestOn) {
  options o;
  o.rate_limit = 10;
  o.rate_changes = {{std::chrono::seconds(2), 100}, {std::chrono::seconds(4), 0}};
  fixture f(o);
  const auto start = f.now;
  auto accepted_in = [&](std::chrono::milliseconds from, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {  // n requests evenly over one second
      f.now = start + from + std::chrono::milliseconds(1000 * i / n);
      ok +=
          f.call("GET", f.paths.query(alpha, f.state.user_id(i % 20), device_type::oath)).status ==
          200;
    }
    return ok;
  };
  EXPECT_NEAR(accepted_in(std::chrono::milliseconds(0), 50), 10, 1);
  EXPECT_NEAR(accepted_in(std::chrono::milliseconds(2000), 200), 100, 10);
  EXPECT_EQ(accepted_in(std::chrono::milliseconds(4000), 300), 300) << "0: no limit any more";
  auto per_second = f.stats().at("rate_limit").at("per_second").as_array();
  ASSERT_GE(per_second.size(), 3u);
  EXPECT_EQ(
      per_second[0].as_array()[0].to_number<int>() + per_second[0].as_array()[1].to_number<int>(),
      50);
  EXPECT_NEAR(per_second[0].as_array()[0].to_number<int>(), 10, 1) << "accepted, then refused";
}

// --capacity: a tenant that slows down instead of refusing. Below the capacity no request
// waits; above it each waits one slot (1/capacity) longer than the one before; none is refused.
TEST(SimApi, ACapacityQueuesRequestsInsteadOfRefusingThem) {
  options o;
  o.capacity = 100;  // a slot every 10 ms
  o.latency = std::chrono::milliseconds(20);
  fixture f(o);
  const auto user = f.state.user_id(0);
  for (int i = 0; i < 5; ++i) {  // 50 a second: every request finds a free slot
    f.now += std::chrono::milliseconds(20);
    auto a = f.call("GET", f.paths.query(alpha, user, device_type::oath));
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.delay, std::chrono::milliseconds(20)) << "request " << i;
  }
  f.now += std::chrono::seconds(1);
  for (int i = 0; i < 30; ++i) {  // 30 at once: the last waits 29 slots
    auto a = f.call("GET", f.paths.query(alpha, user, device_type::oath));
    EXPECT_EQ(a.status, 200) << "nothing refused";
    EXPECT_EQ(a.delay, std::chrono::milliseconds(20 + 10 * i)) << "request " << i;
  }
}

TEST(SimApi, RateLimitHeadersStateThePolicyAndWhatIsLeft) {
  options o;
  o.rate_limit = 200;  // a burst of 20
  o.rate_limit_headers = true;
  fixture f(o);
  auto target = f.paths.query(alpha, f.state.user_id(0), device_type::oath);
  auto first = f.call("GET", target);
  EXPECT_EQ(header_of(first, "RateLimit-Policy"), "200;w=1");
  EXPECT_EQ(header_of(first, "RateLimit"), "limit=200, remaining=19, reset=1");
  EXPECT_EQ(header_of(first, "X-RateLimit-Limit"), "200");
  EXPECT_EQ(header_of(first, "X-RateLimit-Remaining"), "19");
  for (int i = 0; i < 19; ++i)
    f.call("GET", target);
  auto refused = f.call("GET", target);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(header_of(refused, "X-RateLimit-Remaining"), "0");
  options quiet;
  quiet.rate_limit = 200;
  fixture g(quiet);
  EXPECT_TRUE(g.call("GET", target).headers.empty()) << "only when asked";
}

TEST(SimApi, ALimitPerClientAddressOrOneForAll) {
  for (bool per_client : {true, false}) {
    options o;
    o.rate_limit = 10;  // one token
    o.rate_limit_per_client = per_client;
    fixture f(o);
    auto target = f.paths.query(alpha, f.state.user_id(0), device_type::oath);
    EXPECT_EQ(f.call("GET", target, "", "Bearer tok", "127.0.0.2").status, 200);
    EXPECT_EQ(f.call("GET", target, "", "Bearer tok", "127.0.0.3").status, per_client ? 200 : 429);
    EXPECT_EQ(f.call("GET", target, "", "Bearer tok", "127.0.0.2").status, 429);
  }
}

// GET <idm>/managed/<object>?... with the parameters percent-encoded.
std::string idm_query(std::string_view object,
                      std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  boost::urls::url u;
  u.set_path(fmt::format("/openidm/managed/{}", object));
  for (const auto& [k, v] : params) {
    if (k == "_pagedResultsCookie")  // sent as the answer wrote it (percent-encoded)
      u.encoded_params().append({k, boost::urls::pct_string_view(v)});
    else
      u.params().append({k, v});
  }
  return std::string(u.buffer());
}

std::vector<std::string> ids_in(const outcome& o) {
  std::vector<std::string> ids;
  const auto page = json::parse(o.body);
  for (const auto& r : page.at("result").as_array())
    ids.emplace_back(r.at("_id").as_string());
  return ids;
}

TEST(SimApi, IdmFindsUsersByNameAndMailInOneQuery) {
  fixture f(options{}, 100);
  auto o = f.call(
      "GET",
      idm_query(
          "alpha_user",
          {{"_queryFilter",
            R"(userName eq "user000001" or userName eq "USER000002" or userName eq "nobody")"},
           {"_fields", "_id,userName,mail"}}));
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(ids_in(o), (std::vector<std::string>{f.state.user_id(1), f.state.user_id(2)}));
  auto first = json::parse(o.body).at("result").at(0);
  EXPECT_EQ(first.at("userName"), "user000001");
  EXPECT_EQ(first.at("mail"), "user000001@example.com");
  EXPECT_FALSE(first.as_object().contains("accountStatus")) << "_fields honoured";
  // Every 50th user shares the mail of the one before.
  o = f.call("GET",
             idm_query("alpha_user", {{"_queryFilter", R"(mail eq "user000048@example.com")"}}));
  EXPECT_EQ(ids_in(o), (std::vector<std::string>{f.state.user_id(48), f.state.user_id(49)}));
  EXPECT_EQ(f.stats().at("idm").at("user_queries"), 2);
}

TEST(SimApi, IdmFilterLiteralsMatchOnlyThemselves) {
  fixture f;
  const std::string odd = R"(x" or true or userName eq ")";
  f.state.add_user(std::string(alpha), "odd-one", {1, 0, 0, 0, 0, 0}, odd, "odd@example.com");
  auto o = f.call("GET",
                  idm_query("alpha_user",
                            {{"_queryFilter", R"(userName eq "x\" or true or userName eq \"")"}}));
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(ids_in(o), (std::vector<std::string>{"odd-one"}));
  o = f.call("GET", idm_query("alpha_user", {{"_queryFilter", odd}}));  // not escaped: not a filter
  EXPECT_EQ(o.status, 400);
  EXPECT_NE(json::parse(o.body).at("message").as_string().find("Invalid query filter"),
            std::string::npos);
}

TEST(SimApi, IdmPagesWithCookiesAndAnExactTotal) {
  fixture f;  // 20 users
  std::vector<std::string> seen;
  std::string cookie;
  int pages = 0;
  do {
    auto o = f.call("GET", idm_query("alpha_user", {{"_queryFilter", "true"},
                                                    {"_pageSize", "7"},
                                                    {"_totalPagedResultsPolicy", "EXACT"},
                                                    {"_pagedResultsCookie", cookie}}));
    ASSERT_EQ(o.status, 200) << o.body;
    auto page = json::parse(o.body);
    EXPECT_EQ(page.at("totalPagedResults"), 20);
    for (auto& id : ids_in(o))
      seen.push_back(id);
    cookie = page.at("pagedResultsCookie").is_null()
                 ? ""
                 : std::string(page.at("pagedResultsCookie").as_string());
    ++pages;
  } while (!cookie.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i)
    EXPECT_EQ(seen[i], f.state.user_id(i));
}

TEST(SimApi, IdmTakesACookieBackOnlyAsItWroteIt) {
  // As AIC's IDM: the cookie percent-encoded in the JSON; sent back encoded again, or decoded,
  // it is refused (the client bug of issue 32: a query that stopped after one page).
  fixture f;
  auto first =
      f.call("GET", idm_query("alpha_user", {{"_queryFilter", "true"}, {"_pageSize", "7"}}));
  const std::string cookie(json::parse(first.body).at("pagedResultsCookie").as_string());
  ASSERT_NE(cookie.find("%3D"), std::string::npos) << cookie;
  auto page = [&](std::string_view c) {
    return f
        .call("GET",
              "/openidm/managed/alpha_user?_queryFilter=true&_pageSize=7&_pagedResultsCookie=" +
                  std::string(c))
        .status;
  };
  EXPECT_EQ(page(cookie), 200);
  std::string twice;
  for (char c : cookie)
    twice += c == '%' ? std::string("%25") : std::string(1, c);
  EXPECT_EQ(page(twice), 400);
  EXPECT_EQ(page(std::string(boost::urls::pct_string_view(cookie).decode())), 400);
}

TEST(SimApi, IdmNeedsItsScopeAndAnswersGroups) {
  options o;
  o.token_scopes = "fr:am:*";
  fixture noidm(o);
  auto refused = noidm.call("GET", idm_query("alpha_user", {{"_queryFilter", "true"}}));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(
      noidm.call("GET", idm_query("alpha_user", {{"_queryFilter", "true"}}), "", "Bearer nope")
          .status,
      401);

  fixture f;
  auto g = f.call("GET", idm_query("alpha_group", {{"_queryFilter", R"(name eq "group3")"}}));
  ASSERT_EQ(ids_in(g).size(), 1u);
  auto members = f.call(
      "GET", idm_query("alpha_group/" + ids_in(g)[0] + "/members", {{"_queryFilter", "true"}}));
  ASSERT_EQ(members.status, 200) << members.body;
  auto result = json::parse(members.body).at("result").as_array();
  ASSERT_EQ(result.size(), 2u);  // users 3 and 13 of 20
  EXPECT_EQ(result[1].at("_refResourceId").as_string(), f.state.user_id(13));
  EXPECT_EQ(f.call("GET", idm_query("beta_user", {{"_queryFilter", "true"}})).status, 404);
}

TEST(SimApi, DeviceListsNeedNoApiVersionButRefuseAnUnknownOne) {
  fixture f;
  auto target = f.paths.query(alpha, f.state.user_id(0), device_type::webauthn);
  request_view none{"GET", "tenant.example", target, "Bearer tok", "", "", "", "127.0.0.1"};
  EXPECT_EQ(f.handler.handle(none, f.now).status, 200) << "as AM answers the docs' curl";
  request_view future{"GET", "tenant.example", target, "Bearer tok", "resource=9.9", "",
                      "",    "127.0.0.1"};
  EXPECT_EQ(f.handler.handle(future, f.now).status, 400);
}

TEST(SimApi, FaultsChangeNothingAndFollowTheSeed) {
  auto run = [](std::uint64_t seed) {
    options o;
    o.seed = seed;
    o.fail_rate = 0.2;
    o.drop_rate = 0.1;
    o.slow_rate = 0.1;
    o.slow_delay = std::chrono::milliseconds(7000);
    fixture f(o, 200);
    std::string kinds;
    for (std::size_t i = 0; i < 200; ++i) {
      auto out = f.call("POST", f.paths.reset(alpha, f.state.user_id(i), device_type::oath), "{}");
      if (out.what == outcome::kind::drop) {
        kinds += 'D';
      } else if (out.status == 504) {
        kinds += 'S';
        EXPECT_EQ(out.delay, std::chrono::milliseconds(7000));
      } else if (out.status == 503) {
        kinds += 'F';
      } else {
        kinds += '.';
      }
    }
    auto resets = f.stats().at("resets_per_user").at("1").as_int64();
    EXPECT_EQ(resets, std::count(kinds.begin(), kinds.end(), '.'))
        << "faulted requests change nothing";
    return kinds;
  };
  auto a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
  EXPECT_GT(std::count(a.begin(), a.end(), 'D'), 5);
  EXPECT_GT(std::count(a.begin(), a.end(), 'F'), 15);
}

TEST(SimApi, EachHostileModeAnswersAsNamedAndChangesNothing) {
  struct expect {
    hostile mode;
    outcome::kind what;
    int status;
    std::string_view header;  // Retry-After or Location, when the mode sends one
    std::string_view body_starts;
  };
  const expect cases[] = {
      {hostile::huge, outcome::kind::huge_body, 200, "", ""},
      {hostile::chunked, outcome::kind::endless_chunked, 200, "", ""},
      {hostile::chunk_ext, outcome::kind::endless_chunk_ext, 200, "", ""},
      {hostile::headers, outcome::kind::endless_headers, 200, "", ""},
      {hostile::retry_year, outcome::kind::answer, 429, "31536000", "{"},
      {hostile::retry_garbage, outcome::kind::answer, 503, "soon, maybe", "{"},
      {hostile::result_false, outcome::kind::answer, 200, "", R"({"result":false})"},
      {hostile::html, outcome::kind::answer, 502, "", "<html>"},
      {hostile::bad_json, outcome::kind::answer, 200, "", R"({"result":true,"_id":"dev)"},
      {hostile::redirect, outcome::kind::answer, 302, "https://login.elsewhere.example/", "<html>"},
      {hostile::controls, outcome::kind::answer, 400, "", R"({"code":400)"},
  };
  for (const auto& c : cases) {
    options o;
    o.hostile_rate[static_cast<std::size_t>(c.mode)] = 1.0;
    fixture f(o);
    auto user = user_with(f.state, device_type::oath, 1);
    auto out = f.call("POST", f.paths.reset(alpha, user, device_type::oath), "{}");
    auto name = hostile_names[static_cast<std::size_t>(c.mode)];
    EXPECT_EQ(out.what, c.what) << name;
    EXPECT_EQ(out.status, c.status) << name;
    EXPECT_EQ(out.body.rfind(c.body_starts, 0), 0u) << name << ": " << out.body;
    if (c.status == 302) {
      EXPECT_EQ(out.location.rfind(c.header, 0), 0u) << name;
    } else if (!c.header.empty()) {
      EXPECT_EQ(out.retry_after.rfind(c.header, 0), 0u) << name;
    }
    if (c.mode == hostile::html) {
      EXPECT_EQ(out.content_type, "text/html");
    }
    EXPECT_EQ(f.stats().at("resets_per_user").at("1"), 0) << name << " changed the tenant";
    EXPECT_EQ(f.stats().at("hostile").at(name), 1) << name;
  }
  EXPECT_EQ(parse_hostile("tls-stall"), hostile::tls_stall);
  EXPECT_FALSE(parse_hostile("tls_stall").has_value());
}

TEST(SimApi, TlsStallIsDrawnPerConnection) {
  options o;
  o.hostile_rate[static_cast<std::size_t>(hostile::tls_stall)] = 0.5;
  fixture f(o);
  int stalled = 0;
  for (int i = 0; i < 400; ++i)
    stalled += f.handler.stall_handshake() ? 1 : 0;
  EXPECT_GT(stalled, 150);
  EXPECT_LT(stalled, 250);
  EXPECT_EQ(f.stats().at("hostile").at("tls-stall"), stalled);
  auto user = user_with(f.state, device_type::oath, 1);
  EXPECT_EQ(f.call("POST", f.paths.reset(alpha, user, device_type::oath), "{}").status, 200)
      << "requests on a connection that got through are answered as usual";
}

TEST(SimApi, LatencyAndJitterStayInTheirBounds) {
  options o;
  o.latency = std::chrono::milliseconds(20);
  o.jitter = std::chrono::milliseconds(5);
  fixture f(o);
  auto target = f.paths.reset(alpha, f.state.user_id(0), device_type::oath);
  std::set<long> seen;
  for (int i = 0; i < 200; ++i) {
    auto d = f.call("POST", target, "{}").delay.count();
    EXPECT_GE(d, 15);
    EXPECT_LE(d, 25);
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 5u) << "jitter varies the delay";
}

TEST(SimState, SameSeedGivesTheSameUsersAndDevices) {
  tenant_state a(std::string(alpha), 50, 42), b(std::string(alpha), 50, 42),
      c(std::string(alpha), 50, 43);
  ASSERT_EQ(a.seeded_users(), 50u);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(a.user_id(i), b.user_id(i));
    EXPECT_TRUE(parse_uuid(a.user_id(i)).has_value()) << a.user_id(i);
  }
  EXPECT_NE(a.user_id(0), c.user_id(0));
  EXPECT_EQ(a.devices_left(), b.devices_left());
  auto left = a.devices_left();
  for (auto t : io::all_device_types) {
    EXPECT_GT(left[static_cast<std::size_t>(t)], 0u) << io::to_string(t) << ": a mix of every type";
  }
}

TEST(SimState, TokenBucketRefillsAtItsRate) {
  token_bucket b(100, 2);
  auto t0 = clock::time_point{} + std::chrono::seconds(1);
  EXPECT_EQ(b.take(t0).count(), 0);
  EXPECT_EQ(b.take(t0).count(), 0);
  auto wait = b.take(t0);
  EXPECT_NEAR(std::chrono::duration<double>(wait).count(), 0.01, 1e-6);
  EXPECT_EQ(b.take(t0 + std::chrono::milliseconds(10)).count(), 0);
  EXPECT_GT(b.take(t0 + std::chrono::milliseconds(10)).count(), 0);
}

}  // namespace
}  // namespace devreset::sim
