// Batched look-ups of user names and mails: the filter (escaped so that no name widens it),
// its target, and the answer matched back to the names asked.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "engine/idm_lookup.hpp"
#include "io/tenant_path.hpp"
#include "sim/idm_filter.hpp"

namespace devreset::engine {
namespace {

namespace json = boost::json;
using io::id_kind;

TEST(IdmLookup, LiteralsEscapeQuotesAndBackslashes) {
  EXPECT_EQ(filter_literal("alice"), R"("alice")");
  EXPECT_EQ(filter_literal(R"(x" or true or userName eq ")"), R"("x\" or true or userName eq \"")");
  EXPECT_EQ(filter_literal(R"(a\b)"), R"("a\\b")");
  EXPECT_EQ(filter_literal(R"(\")"), R"("\\\"")");
}

TEST(IdmLookup, OneFilterForTheBatch) {
  EXPECT_EQ(lookup_filter(id_kind::user_name, {"a", "b"}), R"(userName eq "a" or userName eq "b")");
  EXPECT_EQ(lookup_filter(id_kind::mail, {"x@y"}), R"(mail eq "x@y")");
}

// Whatever a name holds, the filter built for it parses (by the sim's own parser) to exactly
// one equality per name, on the name itself: no name can widen or break the filter.
TEST(IdmLookup, NoNameCanWidenTheFilter) {
  const std::vector<std::string> hostile = {R"(x" or true or userName eq ")",
                                            R"(\)",
                                            R"(\\")",
                                            R"(") or (true)",
                                            R"(a" and !(mail pr)",
                                            "\"",
                                            R"(\" or true or \")",
                                            "ünïcødé ☃",
                                            R"(()"};
  auto f = sim::parse_filter(lookup_filter(id_kind::user_name, hostile));
  ASSERT_TRUE(std::holds_alternative<sim::filter_node>(f)) << std::get<std::string>(f);
  auto keys = sim::equality_keys(std::get<sim::filter_node>(f));
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), hostile.size());
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    EXPECT_EQ((*keys)[i].first, "userName");
    EXPECT_EQ((*keys)[i].second, hostile[i]);
  }
}

TEST(IdmLookup, TheTargetIsPercentEncoded) {
  io::tenant_paths p("/am");
  p.set_idm("/openidm/", "");
  auto t = p.user_query("/realms/root/realms/alpha", R"(userName eq "a&b=c+d")", lookup_fields);
  EXPECT_EQ(t,
            "/openidm/managed/alpha_user?_queryFilter=userName%20eq%20%22a%26b%3Dc%2Bd%22"
            "&_fields=_id%2CuserName%2Cmail");
  // A base64 cookie's '+' must not come back a space.
  EXPECT_EQ(p.group_members("/realms/root/realms/alpha", "g 1", 100, "AAAAAAAAA+g="),
            "/openidm/managed/alpha_group/g%201/members?_queryFilter=true&_fields=_refResourceId"
            "&_pageSize=100&_pagedResultsCookie=AAAAAAAAA%2Bg%3D");
  EXPECT_EQ(p.managed_user("/realms/root"), "user");
  EXPECT_EQ(p.managed_group("/realms/root"), "group");
  p.set_idm("/openidm", "person");
  EXPECT_EQ(p.managed_user("/realms/root/realms/alpha"), "person");
  EXPECT_EQ(p.managed_group("/realms/root/realms/alpha"), "person_group");
  p.set_idm("/openidm", "person", "team");
  EXPECT_EQ(p.managed_group("/realms/root/realms/alpha"), "team");
}

TEST(IdmLookup, AmsUsersEndpointIsAskedByUidAndAnsweredWithArrays) {
  user_directory am{true, true};
  EXPECT_EQ(lookup_filter(id_kind::user_name, {"bjensen", "x\"y"}, am),
            R"(uid eq "bjensen" or uid eq "x\"y")");
  EXPECT_EQ(lookup_filter(id_kind::mail, {"b@example.com"}, am), R"(mail eq "b@example.com")");
  EXPECT_EQ(am.fields(), "_id,username,uid,mail");
  io::tenant_paths paths("/openam");
  paths.set_am_users(true);
  EXPECT_EQ(paths.user_query("/realms/root/realms/emea", "uid eq \"a\"", am.fields()),
            "/openam/json/realms/root/realms/emea/users?_queryFilter=uid%20eq%20%22a%22"
            "&_fields=_id%2Cusername%2Cuid%2Cmail");
  // AM writes `mail` and `uid` as arrays; names in the path take `username`, ids `_id`.
  auto body = json::parse(R"({"result":[
      {"_id":"u-1","username":"bjensen","uid":["bjensen"],"mail":["Babs@Example.com","b2@x.org"]},
      {"_id":"u-2","username":"kvaughan","uid":["kvaughan"],"mail":["k@x.org"]}],
      "resultCount":2,"pagedResultsCookie":null,"remainingPagedResults":-1})");
  auto by_name =
      match_lookup(id_kind::mail, {"babs@example.com", "b2@x.org", "k@x.org", "no@x"}, body, am);
  EXPECT_TRUE(by_name.problem.empty()) << by_name.problem;
  EXPECT_EQ(by_name.found[0], std::vector<std::string>{"bjensen"});
  EXPECT_EQ(by_name.found[1], std::vector<std::string>{"bjensen"});
  EXPECT_EQ(by_name.found[2], std::vector<std::string>{"kvaughan"});
  EXPECT_TRUE(by_name.found[3].empty());
  user_directory am_ids{true, false};
  auto by_id = match_lookup(id_kind::user_name, {"kvaughan"}, body, am_ids);
  EXPECT_EQ(by_id.found[0], std::vector<std::string>{"u-2"});
  EXPECT_EQ(by_id.others, std::vector<std::string>{"bjensen"});
}

TEST(IdmLookup, MatchesTheAnswerBackToEachNameCaseIgnored) {
  auto body = json::parse(R"({"result":[
      {"_id":"id-1","userName":"Alice","mail":"shared@example.com"},
      {"_id":"id-2","userName":"bob","mail":"shared@example.com"},
      {"_id":"id-3"}],"resultCount":3})");
  auto m = match_lookup(id_kind::user_name, {"alice", "carol", "BOB"}, body);
  EXPECT_TRUE(m.problem.empty());
  ASSERT_EQ(m.found.size(), 3u);
  EXPECT_EQ(m.found[0], std::vector<std::string>{"id-1"});
  EXPECT_TRUE(m.found[1].empty());
  EXPECT_EQ(m.found[2], std::vector<std::string>{"id-2"});
  m = match_lookup(id_kind::mail, {"shared@example.com"}, body);
  EXPECT_EQ(m.found[0].size(), 2u) << "two users have that mail";
  m = match_lookup(id_kind::mail, {"x"}, json::parse(R"({"code":500})"));
  EXPECT_FALSE(m.problem.empty());
}

TEST(IdmLookup, OnePageOfSeveralResolvesNobody) {
  // Issue 30: a cookie says more pages follow; a second "alice" may be on them.
  for (const char* more : {R"("pagedResultsCookie":"fHwAAAAAAJiWlA%3D%3D%3A0")",
                           R"("pagedResultsCookie":null,"remainingPagedResults":3)"}) {
    auto body = json::parse(fmt::format(
        R"({{"result":[{{"_id":"id-1","userName":"alice"}}],"resultCount":1,{}}})", more));
    auto m = match_lookup(id_kind::user_name, {"alice"}, body);
    EXPECT_NE(m.problem.find("one page of several"), std::string::npos) << more;
    EXPECT_TRUE(m.found[0].empty()) << more;
  }
  auto last = match_lookup(
      id_kind::user_name, {"alice"},
      json::parse(R"({"result":[],"pagedResultsCookie":null,"remainingPagedResults":-1})"));
  EXPECT_TRUE(last.problem.empty()) << "the last page (or the only one): complete";
}

TEST(IdmLookup, WhatTheTenantAnsweredBeyondTheNamesAskedIsKept) {
  // A tenant that folds Unicode case ("ÉLISE" found "élise"), or one that answers a one-name
  // look-up with another user: nobody is taken for the name, and what came back is told.
  auto m = match_lookup(id_kind::user_name, {"ÉLISE"},
                        json::parse(R"({"result":[{"_id":"id-9","userName":"élise"}]})"));
  EXPECT_TRUE(m.problem.empty());
  EXPECT_TRUE(m.found[0].empty()) << "devreset compares ASCII case only";
  EXPECT_EQ(m.others, std::vector<std::string>{"élise"});
  m = match_lookup(id_kind::user_name, {"alice"},
                   json::parse(R"({"result":[{"_id":"id-2","userName":"bob"}]})"));
  EXPECT_TRUE(m.found[0].empty()) << "bob is never alice, even as the only answer";
  EXPECT_EQ(m.others, std::vector<std::string>{"bob"});
}

io::job named(io::id_kind kind, std::string name, std::string realm = "/realms/root/realms/alpha") {
  io::job j;
  j.kind = kind;
  j.name = std::move(name);
  j.realm = std::move(realm);
  return j;
}

// Feeds `jobs` to a batcher as the workers would, then takes what waits at the end: the
// sizes of the look-ups sent, in order.
std::vector<std::size_t> look_ups_of(std::vector<io::job> jobs) {
  lookup_batches batches;
  std::vector<std::size_t> sizes;
  for (auto& j : jobs) {
    if (auto b = batches.add(std::move(j))) sizes.push_back(b->size());
  }
  while (auto b = batches.take())
    sizes.push_back(b->size());
  EXPECT_TRUE(batches.empty());
  return sizes;
}

// 76 names and mails, mixed row by row as an HR export mixes them: 4 look-ups, not 11.
TEST(LookupBatches, NamesAndMailsMixedCostOneLookUpPer25OfEachKind) {
  std::vector<io::job> jobs;
  for (int i = 0; i < 38; ++i) {
    jobs.push_back(named(io::id_kind::user_name, fmt::format("user{:06}", i)));
    jobs.push_back(named(io::id_kind::mail, fmt::format("user{:06}@example.com", i)));
  }
  EXPECT_EQ(look_ups_of(std::move(jobs)), (std::vector<std::size_t>{25, 25, 13, 13}));
}

TEST(LookupBatches, EveryJobIsLookedUpOnceInTheBatchOfItsKindAndRealm) {
  lookup_batches batches;
  std::vector<io::job> out;
  for (int i = 0; i < 60; ++i) {
    auto kind = i % 3 == 0 ? io::id_kind::mail : io::id_kind::user_name;
    auto realm = i % 2 == 0 ? "/realms/root/realms/alpha" : "/realms/root/realms/bravo";
    if (auto b = batches.add(named(kind, fmt::format("n{}", i), realm))) {
      for (auto& j : *b)
        out.push_back(std::move(j));
    }
    EXPECT_EQ(out.size() + batches.jobs(), static_cast<std::size_t>(i + 1));
  }
  while (auto b = batches.take()) {
    for (const auto& j : *b)
      EXPECT_TRUE(j.kind == b->front().kind && j.realm == b->front().realm) << j.name;
    for (auto& j : *b)
      out.push_back(std::move(j));
  }
  ASSERT_EQ(out.size(), 60u);
  std::set<std::string> names;
  for (const auto& j : out)
    names.insert(j.name);
  EXPECT_EQ(names.size(), 60u);
}

TEST(LookupBatches, ABatchHoldsNoMoreBytesThanARequestLineTakes) {
  std::vector<io::job> jobs;
  for (int i = 0; i < 30; ++i)  // 150 bytes each: 13 fit in 2,000
    jobs.push_back(named(io::id_kind::mail, fmt::format("{:0>150}", i)));
  EXPECT_EQ(look_ups_of(std::move(jobs)), (std::vector<std::size_t>{13, 13, 4}));
}

TEST(LookupBatches, TooManyOpenBatchesSendTheOldest) {
  lookup_batches batches;
  for (std::size_t r = 0; r < lookup_batches::max_open; ++r)
    EXPECT_FALSE(batches.add(named(io::id_kind::mail, "a", fmt::format("/realms/r{}", r))));
  auto oldest = batches.add(named(io::id_kind::mail, "b", "/realms/another"));
  ASSERT_TRUE(oldest);
  ASSERT_EQ(oldest->size(), 1u);
  EXPECT_EQ(oldest->front().realm, "/realms/r0");
  EXPECT_EQ(batches.jobs(), lookup_batches::max_open);
}

}  // namespace
}  // namespace devreset::engine
