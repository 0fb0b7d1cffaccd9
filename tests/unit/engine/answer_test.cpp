// Reading tenant answers: JSON bodies of 2xx answers, and the words recorded when a step
// gives up on a hostile or broken answer (HTML gateway pages, redirects, error messages).
#include <gtest/gtest.h>

#include "engine/answer.hpp"

namespace devreset::engine {
namespace {

http_answer answer(int status, std::string body, std::string content_type = "application/json") {
  http_answer a;
  a.status = status;
  a.body = std::move(body);
  a.content_type = std::move(content_type);
  return a;
}

std::string reason_for(const http_answer& a, int attempt = 1) {
  answer_reader reader;
  auto r = reader.read(a);
  auto d = retry_policy().decide(r.result, attempt, true, std::chrono::system_clock::now(), 0.5);
  EXPECT_EQ(d.what, decision::kind::give_up);
  return give_up_reason(d, r, a);
}

TEST(AnswerReader, ParsesTheJsonBodyOfA2xxAnswer) {
  answer_reader reader;
  auto r = reader.read(answer(200, R"({"result":true})"));
  ASSERT_NE(r.body, nullptr);
  EXPECT_EQ(r.result.how, transport::ok);
  EXPECT_EQ(r.body->at("result").as_bool(), true);
  // The next answer replaces it (the arena is fresh each time).
  auto r2 = reader.read(answer(200, R"({"result":[1,2,3]})"));
  ASSERT_NE(r2.body, nullptr);
  EXPECT_EQ(r2.body->at("result").as_array().size(), 3u);
}

TEST(AnswerReader, A200ThatIsNotJsonIsABadAnswerWithoutItsBody) {
  answer_reader reader;
  for (const char* body : {"{\"result\":tru", "<html>", "", "{\"result\":true} trailing"}) {
    auto r = reader.read(answer(200, body));
    EXPECT_EQ(r.result.how, transport::bad_answer) << body;
    EXPECT_EQ(r.body, nullptr);
    EXPECT_EQ(r.detail, "a 200 answer that is not JSON") << "the body itself is not recorded";
  }
}

TEST(GiveUpReason, AnHtmlGatewayPageIsNamedByItsTitle) {
  auto a = answer(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body>",
                  "text/html; charset=utf-8");
  EXPECT_EQ(reason_for(a, 5),
            "502 Bad Gateway after 5 attempts (an HTML page: \"502 Bad Gateway\")");
  EXPECT_EQ(reason_for(answer(502, "<!DOCTYPE html><p>down</p>", ""), 5),
            "502 Bad Gateway after 5 attempts (an HTML page)");
}

TEST(GiveUpReason, AnAmErrorAddsItsMessagePrintably) {
  EXPECT_EQ(
      reason_for(answer(400, R"({"code":400,"reason":"Bad Request","message":"Invalid action"})")),
      "400 Bad Request: Invalid action");
  EXPECT_EQ(reason_for(answer(403, R"({"message":"no\u001b[31m"})")), "403 Forbidden: no\\x1B[31m");
  EXPECT_EQ(reason_for(answer(409, "not json at all", "text/plain")),
            "409 Conflict (an answer that is not JSON)");
}

TEST(GiveUpReason, ARedirectIsNotFollowedAndNamesOnlyTheHost) {
  auto a = answer(302, "");
  a.location = "https://admin:hunter2@login.example.com:8443/sso?token=abc";
  auto why = reason_for(a);
  EXPECT_EQ(why, "302 Found: a redirect to https://login.example.com:8443, not followed");
  EXPECT_EQ(why.find("hunter2"), std::string::npos);
  EXPECT_EQ(why.find("token"), std::string::npos);
  a.location = "/am/XUI/;jsessionid=abc123?realm=alpha";
  EXPECT_EQ(reason_for(a), "302 Found: a redirect to /am/XUI/ on the same host, not followed");
  a.location.clear();
  EXPECT_EQ(reason_for(a), "302 Found: a redirect without a Location, not followed");
}

TEST(GiveUpReason, TransportFailuresKeepTheirDetail) {
  http_answer a;
  a.how = transport::bad_answer;
  a.detail = "body limit exceeded (127.0.0.1:1234)";
  EXPECT_EQ(reason_for(a, 5),
            "unreadable answer after 5 attempts: body limit exceeded (127.0.0.1:1234)");
}

// Issue 17: a 404 is "not found" only on AM's own word.
TEST(WhatIsMissing, OnlyAmsJsonErrorNamesAUserADeviceOrARealm) {
  EXPECT_EQ(what_is_missing(answer(
                404, R"({"code":404,"reason":"Not Found","message":"User 'u1' not found"})")),
            missing::user);
  EXPECT_EQ(what_is_missing(
                answer(404, R"({"code":404,"message":"getIdentity : User u1 is not found"})")),
            missing::user);
  EXPECT_EQ(
      what_is_missing(answer(
          404, R"({"code":404,"reason":"Not Found","message":"User device, d1, not found."})")),
      missing::device);
  EXPECT_EQ(what_is_missing(answer(
                404, R"({"code":404,"reason":"Not Found","message":"Realm \"/beta\" not found"})")),
            missing::realm);
  EXPECT_EQ(what_is_missing(
                answer(404, R"({"code":404,"reason":"Not Found","message":"Realm not found"})")),
            missing::realm);
  EXPECT_EQ(
      what_is_missing(answer(404, R"({"code":404,"reason":"Not Found","message":"Not Found"})")),
      missing::resource);
  EXPECT_EQ(
      what_is_missing(answer(
          404, R"({"code":404,"reason":"Not Found","message":"Resource 'users' not found"})")),
      missing::resource);
  // A user id that holds "device" is still a user.
  EXPECT_EQ(what_is_missing(answer(404, R"({"code":404,"message":"User 'mydevice' not found"})")),
            missing::user);
  // Not AM: a web server's page, plain text, JSON of another shape, nothing at all.
  EXPECT_EQ(what_is_missing(answer(404, "<html><title>404 Not Found</title></html>", "text/html")),
            missing::not_am);
  EXPECT_EQ(what_is_missing(answer(404, "Not Found", "text/plain")), missing::not_am);
  EXPECT_EQ(what_is_missing(answer(404, R"({"error":"user not found"})")), missing::not_am);
  EXPECT_EQ(what_is_missing(answer(404, "")), missing::not_am);
}

TEST(Conclude, A404IsNotFoundOnlyWhenAmNamesTheUser) {
  answer_reader reader;
  auto d = retry_policy().decide({transport::ok, 404, {}}, 1, false,
                                 std::chrono::system_clock::now(), 0.5);
  ASSERT_EQ(d.what, decision::kind::not_found);
  auto user = answer(404, R"({"code":404,"reason":"Not Found","message":"User 'u1' not found"})");
  EXPECT_EQ(conclude(d, reader.read(user), user, http_method::post, 1).what,
            final_answer::kind::not_found);
  auto html = answer(404, "<html><head><title>404 Not Found</title></head></html>", "text/html");
  auto fa = conclude(d, reader.read(html), html, http_method::post, 1);
  EXPECT_EQ(fa.what, final_answer::kind::failed);
  EXPECT_EQ(fa.error, "404 Not Found (an HTML page: \"404 Not Found\")");
  auto realm =
      answer(404, R"({"code":404,"reason":"Not Found","message":"Realm \"/beta\" not found"})");
  fa = conclude(d, reader.read(realm), realm, http_method::get, 1);
  EXPECT_EQ(fa.what, final_answer::kind::failed);
  EXPECT_EQ(fa.error, "404 Not Found: Realm \"/beta\" not found");
  // A DELETE whose device is gone already (a lost answer, retried): not found, i.e. done.
  auto gone =
      answer(404, R"({"code":404,"reason":"Not Found","message":"User device, d1, not found."})");
  EXPECT_EQ(conclude(d, reader.read(gone), gone, http_method::delete_, 2).what,
            final_answer::kind::not_found);
  EXPECT_EQ(conclude(d, reader.read(gone), gone, http_method::get, 2).what,
            final_answer::kind::failed);
}

}  // namespace
}  // namespace devreset::engine
