// JOSE helpers: base64url, RSA keys from JWK, RS256 JWTs signed and checked with OpenSSL.
#include <gtest/gtest.h>

#include "tests/unit/test_util.hpp"

#include <openssl/evp.h>
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "io/jose.hpp"

namespace devreset::io {
namespace {

namespace json = boost::json;

const std::string sample_key = test::private_sample_key();

TEST(Base64url, RoundTripsWithoutPaddingOrUrlUnsafeCharacters) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "\xff\xfe\xfd",
                                                std::string(100, '\xfb')}) {
    auto enc = base64url_encode(s);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
    EXPECT_EQ(base64url_decode(enc), s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a").has_value());
  EXPECT_FALSE(base64url_decode("ab$c").has_value());
}

TEST(Jwk, LoadsThePrivateSampleKeyAndItsPublicPart) {
  auto priv = rsa_key::from_jwk_file(sample_key, true);
  EXPECT_EQ(EVP_PKEY_get_bits(priv.get()), 2048);
  auto jwk = json::parse(R"({"kty":"RSA","n":"AQAB","e":"AQAB"})").as_object();
  EXPECT_NO_THROW(rsa_key::from_jwk(jwk, false));
}

TEST(Jwk, RefusesKeysThatCannotSignWithoutShowingThem) {
  auto pub = json::parse(R"({"kty":"RSA","n":"AQAB","e":"AQAB"})").as_object();
  try {
    rsa_key::from_jwk(pub, true);
    FAIL() << "expected jose_error";
  } catch (const jose_error& e) {
    EXPECT_STREQ(e.what(), "the JWK has no private part ('d'): a service account key is needed");
  }
  auto ec = json::parse(R"({"kty":"EC","crv":"P-256"})").as_object();
  EXPECT_THROW(rsa_key::from_jwk(ec, false), jose_error);
  EXPECT_THROW(rsa_key::from_jwk_file("/nonexistent.jwk", true), jose_error);
}

TEST(Jwt, SignedAssertionVerifiesWithThePublicKeyAndCarriesTheClaims) {
  auto priv = rsa_key::from_jwk_file(sample_key, true);
  json::object claims{{"iss", "sa-1"},
                      {"sub", "sa-1"},
                      {"aud", "https://tenant.example:443/am/oauth2/access_token"},
                      {"exp", 1795881780},
                      {"jti", "abc"}};
  auto jwt = sign_jwt_rs256(claims, priv);
  EXPECT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2);

  // The public half only, as the tenant holds it.
  auto jwk = json::parse(R"({"kty":"RSA"})").as_object();
  auto full = json::parse([&] {
                std::ifstream in(sample_key);
                return std::string(std::istreambuf_iterator<char>(in), {});
              }())
                  .as_object();
  jwk["n"] = full.at("n");
  jwk["e"] = full.at("e");
  auto pub = rsa_key::from_jwk(jwk, false);
  std::string error;
  auto got = verify_jwt_rs256(jwt, pub, error);
  ASSERT_TRUE(got.has_value()) << error;
  EXPECT_EQ(*got, claims);

  // A changed claim breaks the signature.
  auto parts_end = jwt.rfind('.');
  auto forged_claims = claims;
  forged_claims["sub"] = "admin";
  auto forged = jwt.substr(0, jwt.find('.') + 1) +
                base64url_encode(json::serialize(forged_claims)) + jwt.substr(parts_end);
  EXPECT_FALSE(verify_jwt_rs256(forged, pub, error).has_value());
  EXPECT_EQ(error, "the JWT signature does not verify");
  EXPECT_FALSE(verify_jwt_rs256("not-a-jwt", pub, error).has_value());
}

}  // namespace
}  // namespace devreset::io
