// The sim's one parser of AM REST targets: what each part of the sim routes on.
#include "sim/am_route.hpp"

#include <gtest/gtest.h>

namespace devreset::sim {
namespace {

TEST(AmRoute, RealmsRestAndParamsOfATargetUnderJson) {
  auto r = parse_am_route(
      "/am/json/realms/root/realms/alpha/users/u%2F1/devices/2fa/oath?_queryFilter=true&_action",
      "am");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->realm, "/realms/root/realms/alpha");
  EXPECT_EQ(r->rest, (std::vector<std::string>{"users", "u/1", "devices", "2fa", "oath"}));
  EXPECT_EQ(r->param("_queryFilter"), "true");
  EXPECT_EQ(r->param("_action"), "");  // present without a value
  EXPECT_FALSE(r->param("_pageSize"));
  EXPECT_TRUE(r->under_root());
  EXPECT_EQ(r->am_realm(), "/alpha");
}

TEST(AmRoute, OnlyTargetsUnderTheAmPathAndJson) {
  EXPECT_FALSE(parse_am_route("/openam/json/realms/root/users", "am"));
  EXPECT_FALSE(parse_am_route("/am/xml/realms/root/users", "am"));
  EXPECT_FALSE(parse_am_route("/am", "am"));
  EXPECT_FALSE(parse_am_route("not a path", "am"));
  auto root_am = parse_am_route("/json/realms/root/serverinfo/*", "");
  ASSERT_TRUE(root_am);
  EXPECT_EQ(root_am->rest, (std::vector<std::string>{"serverinfo", "*"}));
  EXPECT_EQ(root_am->am_realm(), "/");
}

TEST(AmRoute, TheRootRealmIsARealmNotAPrefix) {
  EXPECT_FALSE(parse_am_route("/am/json/realms/rootx/users", "am")->under_root());
  EXPECT_FALSE(parse_am_route("/am/json/users", "am")->under_root());
  EXPECT_TRUE(parse_am_route("/am/json/realms/root/realms/a/realms/b/users", "am")->under_root());
  EXPECT_EQ(am_realm_name("/realms/root/realms/a/realms/b"), "/a/b");
  // "realms" with no name after it is the route's, not a realm level.
  EXPECT_EQ(parse_am_route("/am/json/realms/root/realms", "am")->rest,
            (std::vector<std::string>{"realms"}));
}

TEST(AmRoute, AnEncodedSlashMakesNoRealmAndTheLastOfTwoKeysCounts) {
  auto r = parse_am_route("/am/json/realms/root%2Frealms%2Fbeta/authenticate?a=1&a=2", "am");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->realm, "");
  EXPECT_FALSE(r->under_root());
  EXPECT_EQ(r->rest.front(), "realms");
  EXPECT_EQ(r->param("a"), "2");
}

TEST(AmRoute, ATrailingSlashNamesTheSameRoute) {
  auto r = parse_am_route("/am/json/realms/root/sessions/?_action=logout", "am");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->rest_is({"sessions"}));
  EXPECT_FALSE(r->rest_is({"sessions", "x"}));
  EXPECT_FALSE(r->rest_is({}));
}

}  // namespace
}  // namespace devreset::sim
