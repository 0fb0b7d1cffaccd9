// A self-managed AM's sign-in, read without sockets: the target of a named journey, and what
// each answer AM gives means (a session, a wrong password, a journey with callbacks, a wrong
// AM path, a tenant that could not be reached), in words that name the account and journey.
#include <gtest/gtest.h>

#include "engine/am_session.hpp"

namespace devreset::engine {
namespace {

http_answer answer(int status, std::string body) {
  http_answer a;
  a.status = status;
  a.body = std::move(body);
  if (status >= 300) a.content_type = "application/json";
  return a;
}

const am_account admin{"amadmin", "secret", "/realms/root", ""};

TEST(AmSession, ASignInTargetsTheRealmAndEncodesTheJourney) {
  EXPECT_EQ(sign_in_target("/am", admin), "/am/json/realms/root/authenticate");
  am_account sub{"ops", "x", "/realms/root/realms/alpha", "My Tree&x=1"};
  EXPECT_EQ(sign_in_target("/openam", sub),
            "/openam/json/realms/root/realms/alpha/authenticate"
            "?authIndexType=service&authIndexValue=My%20Tree%26x%3D1");
}

TEST(AmSession, ASessionsTokenIdIsTakenAsAmWritesIt) {
  const std::string id = "AQIC5wM2LY4SfczS5ZqJ.*AAJTSQACMDEAAlNLABQtNjM5AAJTMQAA*";
  auto r = read_sign_in(
      admin, "/am/json/realms/root/authenticate",
      answer(200, R"({"tokenId":")" + id + R"(","successUrl":"/am/console","realm":"/"})"));
  EXPECT_FALSE(r.trouble) << r.trouble.what;
  EXPECT_EQ(r.token, id);
}

TEST(AmSession, AWrongPasswordNamesTheAccountNeverThePassword) {
  auto r = read_sign_in(
      admin, "/am/json/realms/root/authenticate",
      answer(401, R"({"code":401,"reason":"Unauthorized","message":"Login failure"})"));
  EXPECT_TRUE(r.token.empty());
  EXPECT_EQ(r.trouble.code, run_error::no_token);
  EXPECT_EQ(r.trouble.what,
            "AM refused the sign-in of 'amadmin' with the realm's default journey (401 "
            "Unauthorized: Login failure): check --am-user and the password");
  EXPECT_EQ(r.trouble.what.find("secret"), std::string::npos);
}

TEST(AmSession, AJourneyWithCallbacksSaysWhichAndWhatToDo) {
  am_account ldap = admin;
  ldap.tree = "ldapService";
  auto r = read_sign_in(ldap, "t", answer(200, R"({"authId":"x","callbacks":[
      {"type":"NameCallback","output":[],"input":[]},
      {"type":"ChoiceCallback","output":[],"input":[]}]})"));
  EXPECT_TRUE(r.token.empty());
  EXPECT_EQ(r.trouble.what,
            "the journey 'ldapService' asks for more than a user name and password "
            "(NameCallback, ChoiceCallback): use --auth-tree with one that takes both (the "
            "sign-in of 'amadmin')");
}

TEST(AmSession, AWrongAmPathAndAnUnreachableTenantAreNamed) {
  auto page = answer(404, "<html><title>HTTP Status 404 – Not Found</title></html>");
  page.content_type = "text/html";
  auto r = read_sign_in(admin, "/sso/json/realms/root/authenticate", page);
  EXPECT_EQ(r.trouble.code, run_error::wrong_address);
  EXPECT_NE(r.trouble.what.find("nothing signs in at /sso/json/realms/root/authenticate (404"),
            std::string::npos)
      << r.trouble.what;
  http_answer refused;
  refused.how = transport::connect_failed;
  refused.detail = "Connection refused";
  EXPECT_EQ(read_sign_in(admin, "t", refused).trouble.code, run_error::unreachable);
  refused.how = transport::certificate;
  EXPECT_EQ(read_sign_in(admin, "t", refused).trouble.code, run_error::certificate);
}

TEST(AmSession, ATokenIdThatCouldEndAHeaderIsRefused) {
  for (const char* body : {R"({"tokenId":"abc\r\nX-Evil: 1"})", R"({"tokenId":"a b"})",
                           R"({"tokenId":""})", R"({"tokenId":42})", R"({"successUrl":"/"})"}) {
    auto r = read_sign_in(admin, "t", answer(200, body));
    EXPECT_TRUE(r.token.empty()) << body;
    EXPECT_EQ(r.trouble.what, "the sign-in of 'amadmin' answered without a usable tokenId") << body;
  }
}

// AM's documented form for names and passwords beyond ASCII: RFC 2047, UTF-8, base64.
TEST(AmSession, NamesAndPasswordsBeyondAsciiAreEncodedWords) {
  EXPECT_EQ(openam_header_value("amadmin"), "amadmin");
  EXPECT_EQ(openam_header_value("p@ss w0rd!"), "p@ss w0rd!");
  EXPECT_EQ(openam_header_value("\xc3\xa5"
                                "dmin"),
            "=?UTF-8?B?w6VkbWlu?=");  // "ådmin"
  // What could be read as an encoded word, or could end the header line, is encoded too.
  EXPECT_EQ(openam_header_value("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
  EXPECT_EQ(openam_header_value("a\r\nb"), "=?UTF-8?B?YQ0KYg==?=");
  EXPECT_EQ(openam_header_value(" pw "), "=?UTF-8?B?IHB3IA==?=");  // a header trims its ends
}

}  // namespace
}  // namespace devreset::engine
