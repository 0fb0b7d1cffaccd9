// Realm names as users type them, all giving the tenant's realm path.
#include <gtest/gtest.h>

#include "io/realm_path.hpp"

namespace devreset::io {
namespace {

std::string path_of(std::string_view realm) {
  auto r = realm_path(realm);
  if (auto* err = std::get_if<realm_error>(&r)) return "error: " + err->reason;
  return std::get<std::string>(r);
}

TEST(RealmPath, EveryFormOfAlphaGivesTheSamePath) {
  for (auto form :
       {"alpha", "/alpha", "alpha/", "root/alpha", "/root/alpha", "/realms/root/realms/alpha",
        "realms/root/realms/alpha", "/realms/root/realms/alpha/", " alpha "}) {
    EXPECT_EQ(path_of(form), "/realms/root/realms/alpha") << form;
  }
}

TEST(RealmPath, SubRealmsSpellTheWholeHierarchy) {
  EXPECT_EQ(path_of("alpha/emea"), "/realms/root/realms/alpha/realms/emea");
  EXPECT_EQ(path_of("/root/alpha/emea"), "/realms/root/realms/alpha/realms/emea");
  EXPECT_EQ(path_of("/realms/root/realms/alpha/realms/emea"),
            "/realms/root/realms/alpha/realms/emea");
}

TEST(RealmPath, TopLevelRealmIsRealmsRoot) {
  EXPECT_EQ(path_of("root"), "/realms/root");
  EXPECT_EQ(path_of("/"), "/realms/root");
  EXPECT_EQ(path_of("/realms/root"), "/realms/root");
}

TEST(RealmPath, RejectsNamesThatWouldChangeThePath) {
  EXPECT_EQ(path_of(""), "error: invalid realm '': empty");
  EXPECT_EQ(path_of("alpha/../beta"),
            "error: invalid realm 'alpha/../beta': '.' and '..' are not realm names");
  EXPECT_EQ(path_of("alpha//beta"), "error: invalid realm 'alpha//beta': an empty level ('//')");
  EXPECT_EQ(path_of("al?pha"), "error: invalid realm 'al?pha': '?' is not allowed in a realm name");
  EXPECT_EQ(path_of("al%2Fpha"),
            "error: invalid realm 'al%2Fpha': '%' is not allowed in a realm name");
  EXPECT_EQ(path_of("a\nb"),
            "error: invalid realm 'a\\x0Ab': '\\x0A' is not allowed in a realm name");
}

TEST(RealmPath, RejectsMalformedFullPaths) {
  EXPECT_EQ(path_of("/realms/alpha"),
            "error: invalid realm '/realms/alpha': a full realm path starts with /realms/root");
  EXPECT_EQ(path_of("/realms/root/realms"),
            "error: invalid realm '/realms/root/realms': a 'realms' segment without a realm name");
  EXPECT_EQ(path_of("/realms/root/alpha/beta"),
            "error: invalid realm '/realms/root/alpha/beta': expected 'realms' before 'beta'");
}

// Found by fuzz_realm: 400 characters of "a/" levels made a path over the input limit, which
// then did not read back as itself.
TEST(RealmPath, LimitIsOnThePathSoEveryPathReadsBackAsItself) {
  std::string levels;
  for (int i = 0; i < 300; ++i)
    levels += "a/";
  levels += "a";
  auto r = path_of(levels);
  EXPECT_NE(r.find("its realm path would be longer than 2048 characters"), std::string::npos) << r;
  std::string fits;
  for (int i = 0; i < 200; ++i)
    fits += "ab/";
  auto path = path_of(fits);
  ASSERT_EQ(path.rfind("/realms/root/realms/ab", 0), 0u) << path;
  EXPECT_EQ(path_of(path), path);
}

}  // namespace
}  // namespace devreset::io
