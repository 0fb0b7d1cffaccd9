// Request targets: every collection's path, and hostile ids that must stay one segment.
#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

#include "io/tenant_path.hpp"

namespace devreset::io {
namespace {

constexpr std::string_view alpha = "/realms/root/realms/alpha";

TEST(TenantPaths, BuildsTheDocumentedTargetsForEachCollection) {
  tenant_paths p;
  EXPECT_EQ(p.reset(alpha, "014c54bd-6078-4639-8316-8ce0e7746fa4", device_type::oath),
            "/am/json/realms/root/realms/alpha/users/014c54bd-6078-4639-8316-8ce0e7746fa4/"
            "devices/2fa/oath?_action=reset");
  EXPECT_EQ(p.reset(alpha, "u", device_type::push),
            "/am/json/realms/root/realms/alpha/users/u/devices/2fa/push?_action=reset");
  EXPECT_EQ(p.reset(alpha, "u", device_type::binding),
            "/am/json/realms/root/realms/alpha/users/u/devices/2fa/binding?_action=reset");
  EXPECT_EQ(p.query(alpha, "u", device_type::webauthn),
            "/am/json/realms/root/realms/alpha/users/u/devices/2fa/webauthn?_queryFilter=true");
  EXPECT_EQ(p.query(alpha, "u", device_type::profile),
            "/am/json/realms/root/realms/alpha/users/u/devices/profile?_queryFilter=true");
  EXPECT_EQ(p.device(alpha, "u", device_type::trusted, "d1"),
            "/am/json/realms/root/realms/alpha/users/u/devices/trusted/d1");
}

TEST(TenantPaths, QueryCarriesPageSizeAndEncodedCookie) {
  tenant_paths p;
  EXPECT_EQ(p.query(alpha, "u", device_type::webauthn, 50, "a+b/c=="),
            "/am/json/realms/root/realms/alpha/users/u/devices/2fa/webauthn"
            "?_queryFilter=true&_pageSize=50&_pagedResultsCookie=a%2Bb%2Fc%3D%3D");
}

TEST(TenantPaths, AnIdmCookieGoesBackAsTheTenantWroteIt) {
  // Issue 32: IDM writes its cookie percent-encoded ("fHwAAAAAAJiWlA%3D%3D%3A0") and takes it
  // back as written; encoded again (%253D) it is refused and the query stops after a page.
  io::tenant_paths p("/am");
  p.set_idm("/openidm", "");
  const auto realm = "/realms/root/realms/alpha";
  auto cookie_of = [&](std::string_view c) {
    auto t = p.user_query(realm, "true", "_id", 100, c);
    auto at = t.find("_pagedResultsCookie=");
    return at == std::string::npos ? std::string() : t.substr(at + 20, t.find('&', at) - at - 20);
  };
  EXPECT_EQ(cookie_of("fHwAAAAAAJiWlA%3D%3D%3A0"), "fHwAAAAAAJiWlA%3D%3D%3A0");
  EXPECT_EQ(cookie_of("ab+/=:c"), "ab%2B%2F%3D%3Ac") << "raw: what a query cannot hold, encoded";
  EXPECT_EQ(cookie_of("50%"), "50%25") << "a '%' that starts no escape is itself";
  EXPECT_EQ(cookie_of("%zz%4"), "%25zz%254");
  auto members = p.group_members(realm, "g1", 10, "AAA%3D");
  EXPECT_NE(members.find("_pagedResultsCookie=AAA%3D"), std::string::npos) << members;
}

TEST(TenantPaths, ContextPathIsConfigurable) {
  EXPECT_EQ(tenant_paths("/openam").reset("/realms/root", "u", device_type::oath),
            "/openam/json/realms/root/users/u/devices/2fa/oath?_action=reset");
  EXPECT_EQ(tenant_paths("openam/").am_path(), "/openam");
  EXPECT_EQ(tenant_paths("/").collection("/realms/root", "u", device_type::oath),
            "/json/realms/root/users/u/devices/2fa/oath");
}

TEST(EncodeSegment, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(encode_segment("a/b"), "a%2Fb");
  EXPECT_EQ(encode_segment("a?b"), "a%3Fb");
  EXPECT_EQ(encode_segment("a#b"), "a%23b");
  EXPECT_EQ(encode_segment("100%"), "100%25");
  EXPECT_EQ(encode_segment("a b"), "a%20b");
  EXPECT_EQ(encode_segment("\"quoted\" 'single'"), "%22quoted%22%20%27single%27");
  EXPECT_EQ(encode_segment("j\xC3\xBCrgen"), "j%C3%BCrgen");
  EXPECT_EQ(encode_segment("a;b=c&d"), "a%3Bb%3Dc%26d");
  EXPECT_EQ(encode_segment("Az09-._~"), "Az09-._~");
  EXPECT_EQ(encode_segment("."), "%2E");
  EXPECT_EQ(encode_segment(".."), "%2E%2E");
}

TEST(TenantPaths, HostileIdsStayExactlyOneSegment) {
  tenant_paths p;
  const std::string prefix = "/am/json/realms/root/realms/alpha/users/";
  for (std::string id :
       {"../x", "a?_action=delete", "x/../../admin", "a#frag", "..", "a%2F..%2Fb", "a b",
        "\xE2\x80\xAE"
        "evil",
        "a\\b", "@host:1"}) {
    auto target = p.reset(alpha, id, device_type::oath);
    auto url = boost::urls::parse_origin_form(target);
    ASSERT_TRUE(url.has_value()) << target;
    // The query is only ours, the path has exactly the expected segments, and the user
    // segment decodes back to the id.
    EXPECT_EQ(url->encoded_query(), "_action=reset") << target;
    auto segs = url->segments();
    std::vector<std::string> parts(segs.begin(), segs.end());
    ASSERT_EQ(parts.size(), 11u) << target;
    EXPECT_EQ(parts[7], id) << target;
    EXPECT_EQ(parts[8], "devices") << target;
    EXPECT_EQ(target.rfind(prefix, 0), 0u);
  }
}

}  // namespace
}  // namespace devreset::io
