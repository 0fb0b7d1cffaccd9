// Service-account assertions (claims and signature checked with OpenSSL) and the sim's
// token endpoint: issue, refuse, expire.
#include <gtest/gtest.h>

#include "tests/unit/test_util.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "engine/service_account.hpp"
#include "io/jose.hpp"
#include "sim/api.hpp"

namespace devreset {
namespace {

namespace json = boost::json;

const std::string sample_key = test::private_sample_key();

io::rsa_key public_part() {
  std::ifstream in(sample_key);
  auto full = json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
  return io::rsa_key::from_jwk(
      json::object{{"kty", "RSA"}, {"n", full.at("n")}, {"e", full.at("e")}}, false);
}

TEST(ServiceAccount, AssertionHasTheDocumentedClaimsAndVerifies) {
  auto now = std::chrono::system_clock::time_point{std::chrono::seconds(1795881600)};
  auto aud = engine::token_endpoint_audience("tenant.example", "443", "/am");
  EXPECT_EQ(aud, "https://tenant.example:443/am/oauth2/access_token");
  auto claims = engine::assertion_claims("sa-123", aud, now);
  EXPECT_EQ(claims.at("iss"), "sa-123");
  EXPECT_EQ(claims.at("sub"), "sa-123");
  EXPECT_EQ(claims.at("aud"), aud.c_str());
  EXPECT_EQ(claims.at("exp"), 1795881600 + 180);
  EXPECT_EQ(claims.at("jti").as_string().size(), 32u);
  EXPECT_NE(claims.at("jti"), engine::assertion_claims("sa-123", aud, now).at("jti"))
      << "a fresh jti each time";

  auto key = io::rsa_key::from_jwk_file(sample_key, true);
  auto jwt = io::sign_jwt_rs256(claims, key);
  std::string error;
  auto back = io::verify_jwt_rs256(jwt, public_part(), error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(*back, claims);
}

struct token_fixture {
  token_fixture() : state("/realms/root/realms/alpha", 3, 1), handler(options(), state, "static") {}
  static sim::options options() {
    sim::options o;
    o.sa_id = "sa-1";
    o.sa_jwk_file = sample_key;
    o.token_ttl = std::chrono::seconds(2);
    return o;
  }
  std::string assertion(
      const std::string& id = "sa-1",
      const std::string& aud = "https://tenant.example:443/am/oauth2/access_token") {
    auto key = io::rsa_key::from_jwk_file(sample_key, true);
    return io::sign_jwt_rs256(engine::assertion_claims(id, aud, std::chrono::system_clock::now()),
                              key);
  }
  sim::outcome exchange(const std::string& jwt, std::string scope = "fr:am:*") {
    body =
        "client_id=service-account&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        "&assertion=" +
        jwt + "&scope=" + scope;
    sim::request_view r{"POST",
                        "tenant.example",
                        "/am/oauth2/access_token",
                        "",
                        "",
                        "application/x-www-form-urlencoded",
                        body,
                        "127.0.0.1"};
    return handler.handle(r, now);
  }
  int reset_with(const std::string& token) {
    target = "/am/json/realms/root/realms/alpha/users/" + state.user_id(0) +
             "/devices/2fa/oath?_action=reset";
    auth = "Bearer " + token;
    sim::request_view r{"POST",         "tenant.example",   target, auth,
                        "resource=1.0", "application/json", "{}",   "127.0.0.1"};
    return handler.handle(r, now).status;
  }

  sim::tenant_state state;
  sim::api handler;
  sim::clock::time_point now = sim::clock::time_point{} + std::chrono::hours(1);
  std::string body, target, auth;
};

TEST(SimTokenEndpoint, IssuesATokenThatWorksUntilItExpires) {
  token_fixture f;
  auto out = f.exchange(f.assertion());
  ASSERT_EQ(out.status, 200) << out.body;
  auto v = json::parse(out.body);
  std::string token(v.at("access_token").as_string());
  EXPECT_EQ(v.at("expires_in").to_number<double>(), 2.0);
  EXPECT_EQ(f.reset_with(token), 200);
  f.now += std::chrono::milliseconds(2100);
  EXPECT_EQ(f.reset_with(token), 401) << "expired";
  EXPECT_EQ(json::parse(f.handler.stats_json()).at("tokens_issued"), 1);
}

TEST(SimTokenEndpoint, RefusesReplaysForeignAccountsWrongAudienceAndScope) {
  token_fixture f;
  auto jwt = f.assertion();
  EXPECT_EQ(f.exchange(jwt).status, 200);
  auto replay = f.exchange(jwt);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(json::parse(replay.body).at("error"), "invalid_grant");
  auto other = f.exchange(f.assertion("sa-2"));
  EXPECT_EQ(other.status, 401);
  EXPECT_EQ(json::parse(other.body).at("error"), "invalid_client");
  EXPECT_EQ(f.exchange(f.assertion("sa-1", "https://elsewhere:443/am/oauth2/access_token")).status,
            400);
  EXPECT_EQ(json::parse(f.exchange(f.assertion(), "openid").body).at("error"), "invalid_scope");
  auto tampered = f.assertion();
  auto& c = tampered[tampered.size() - 10];  // inside the signature, all bits count
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(f.exchange(tampered).status, 401);
}

}  // namespace
TEST(ServiceAccount, ATokenLifetimeIsHeldBetweenFiveSecondsAndADay) {
  // Issue 30: expires_in 0 cost a token request per few resets; 1e300 overflowed the clock.
  std::string warning;
  EXPECT_EQ(engine::token_lifetime_s(3599, warning), 3599);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(engine::token_lifetime_s(0, warning), 5);
  EXPECT_NE(warning.find("said its tokens last 0 s; taken as 5 s"), std::string::npos) << warning;
  std::string big;
  EXPECT_EQ(engine::token_lifetime_s(1e300, big), 86400);
  EXPECT_NE(big.find("taken as 86400 s"), std::string::npos) << big;
  std::string negative;
  EXPECT_EQ(engine::token_lifetime_s(-1, negative), 5);
}

}  // namespace devreset
