// The request state machine, event by event with a fake clock: every status class, every
// transport outcome, every profile, the limiter's feedback and the run's streaks.
#include <gtest/gtest.h>

#include <memory>

#include "engine/errors.hpp"
#include "engine/request_machine.hpp"

namespace devreset::engine {
namespace {

using kind = request_machine::action::kind;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

const steady::time_point t0 = steady::time_point{} + 1h;
const std::chrono::system_clock::time_point wall0 = std::chrono::system_clock::time_point{} + 1h;

http_answer answer(int status, std::string body = R"({"result":true})",
                   std::string content_type = "application/json") {
  http_answer a;
  a.status = status;
  a.body = std::move(body);
  a.content_type = std::move(content_type);
  return a;
}

http_answer failure(transport how) {
  http_answer a;
  a.how = how;
  a.detail = "connection refused";
  return a;
}

retry_config fast(int attempts = 3) {
  retry_config r;
  r.max_attempts = attempts;
  r.backoff_base = 100ms;
  r.backoff_cap = 1s;
  return r;
}

// Drives a machine: feeds `a` at `now` and returns the action.
struct driver {
  driver(request_profile p, request_feedback& fb, http_method m = http_method::post)
      : profile(std::move(p)), machine(profile, fb, m) {}
  request_machine::action feed(const http_answer& a, steady::time_point now = t0) {
    return machine.on_answer(a, reader.read(a), now, wall0, 0.5);
  }
  // start, then a token when asked: the action that follows.
  request_machine::action begin(steady::time_point now = t0) {
    auto act = machine.start(now);
    if (act.what == kind::get_token) act = machine.on_token({}, "tok-1", now);
    return act;
  }
  request_profile profile;
  request_machine machine;
  answer_reader reader;
};

TEST(RequestMachine, ASuccessFinishesOkAfterOneAttempt) {
  request_feedback fb;
  driver d(request_profile::device(fast()), fb);
  auto act = d.machine.start(t0);
  ASSERT_EQ(act.what, kind::get_token);
  EXPECT_TRUE(act.rejected.empty());
  act = d.machine.on_token({}, "tok-1", t0);
  ASSERT_EQ(act.what, kind::send);
  EXPECT_EQ(d.machine.token(), "tok-1");
  act = d.feed(answer(200));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::ok);
  ASSERT_NE(act.answer.body, nullptr);
  EXPECT_EQ(act.answer.attempts, 1);
}

TEST(RequestMachine, EachTransportFailureIsRetriedThenFailsWithTheAttempts) {
  for (auto how :
       {transport::connect_failed, transport::timeout, transport::dropped, transport::bad_answer}) {
    request_feedback fb;
    driver d(request_profile::device(fast(3)), fb);
    auto act = d.begin();
    for (int attempt = 1; attempt < 3; ++attempt) {
      ASSERT_EQ(act.what, kind::send) << to_string(how);
      act = d.feed(failure(how));
      ASSERT_EQ(act.what, kind::wait) << to_string(how);
      EXPECT_TRUE(act.retrying);
      EXPECT_LE(act.until, t0 + 1s);
      act = d.machine.on_waited(act.until);
      if (act.what == kind::get_token) act = d.machine.on_token({}, "tok-1", t0);
    }
    act = d.feed(failure(how));
    ASSERT_EQ(act.what, kind::finish);
    EXPECT_EQ(act.answer.what, final_answer::kind::failed);
    EXPECT_EQ(act.answer.attempts, 3);
    EXPECT_NE(act.answer.error.find("after 3 attempts"), std::string::npos) << act.answer.error;
  }
}

TEST(RequestMachine, ARefusedCertificateIsNeverRetried) {
  request_feedback fb;
  driver d(request_profile::device(fast()), fb);
  d.begin();
  auto act = d.feed(failure(transport::certificate));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::failed);
  EXPECT_EQ(act.answer.attempts, 1);
}

TEST(RequestMachine, A401RefreshesTheTokenOnceThenFails) {
  request_feedback fb;
  driver d(request_profile::device(fast()), fb);
  d.begin();
  auto act = d.feed(answer(401, R"({"code":401,"message":"Access Denied"})"));
  ASSERT_EQ(act.what, kind::get_token);
  EXPECT_EQ(act.rejected, "tok-1") << "names the token the tenant refused";
  act = d.machine.on_token({}, "tok-2", t0);
  ASSERT_EQ(act.what, kind::get_token) << "a new attempt asks for the token in force";
  act = d.machine.on_token({}, "tok-2", t0);
  ASSERT_EQ(act.what, kind::send);
  EXPECT_EQ(d.machine.token(), "tok-2");
  act = d.feed(answer(401, R"({"code":401,"message":"Access Denied"})"));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::failed);
  EXPECT_NE(act.answer.error.find("after a token refresh"), std::string::npos);
}

TEST(RequestMachine, NoTokenAbortsTheRun) {
  request_feedback fb;
  driver d(request_profile::device(fast()), fb);
  d.machine.start(t0);
  auto act = d.machine.on_token({run_error::no_token, "the token endpoint answered 401"}, {}, t0);
  ASSERT_EQ(act.what, kind::abort);
  EXPECT_EQ(make_error_code(act.error), make_error_code(run_error::no_token));
}

TEST(RequestMachine, A404IsNotFoundOnlyOnAmsWordForTheUser) {
  request_feedback fb;
  driver user(request_profile::device(fast()), fb, http_method::post);
  user.begin();
  auto act =
      user.feed(answer(404, R"({"code":404,"reason":"Not Found","message":"User 'u' not found"})"));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::not_found);
  driver page(request_profile::device(fast()), fb, http_method::post);
  page.begin();
  act = page.feed(answer(404, "<html><title>Not Found</title></html>", "text/html"));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::failed);
}

TEST(RequestMachine, ServerTroubleRetriesAndRefusedActionsDoNot) {
  for (int s : {500, 502, 503, 504}) {
    request_feedback fb;
    driver d(request_profile::device(fast()), fb);
    d.begin();
    EXPECT_EQ(d.feed(answer(s, "{}")).what, kind::wait) << s;
  }
  for (int s : {400, 405, 501, 409, 302}) {
    request_feedback fb;
    driver d(request_profile::device(fast()), fb);
    d.begin();
    auto act = d.feed(answer(s, "{}"));
    ASSERT_EQ(act.what, kind::finish) << s;
    EXPECT_EQ(act.answer.what, final_answer::kind::failed);
    EXPECT_EQ(act.answer.http_status, s);
  }
}

TEST(RequestMachine, A429HonoursRetryAfterAndLowersTheRate) {
  rate_limiter limiter(100, 1);
  request_feedback fb;
  fb.limiter = &limiter;
  driver d(request_profile::device(fast(5)), fb);
  d.begin();
  auto a = answer(429, R"({"code":429})");
  a.retry_after = "2";
  auto act = d.feed(a);
  ASSERT_EQ(act.what, kind::wait);
  EXPECT_GE(act.until, t0 + 2s) << "no request before its Retry-After";
  EXPECT_TRUE(limiter.lowered());
  EXPECT_LT(limiter.current_rate(t0), 100);
}

TEST(RequestMachine, ASlotTakenBeforeTheRateWasLoweredIsTakenAgain) {
  rate_limiter limiter(100, 1);  // one request per 10 ms
  request_feedback fb;
  fb.limiter = &limiter;
  driver first(request_profile::device(fast(5)), fb);
  driver second(request_profile::device(fast()), fb);
  driver third(request_profile::device(fast()), fb);
  first.begin();
  auto w2 = second.machine.start(t0);
  auto w3 = third.machine.start(t0);
  ASSERT_EQ(w3.what, kind::wait);
  EXPECT_EQ(w3.until, t0 + 20ms);
  first.feed(answer(429, R"({"code":429})"));  // the rate is lowered to about 48/s
  ASSERT_TRUE(limiter.lowered());
  EXPECT_EQ(second.machine.on_waited(w2.until).what, kind::get_token);
  auto again = third.machine.on_waited(w3.until);
  ASSERT_EQ(again.what, kind::wait) << "its slot was at the old rate";
  EXPECT_GE(again.until, w2.until + 20ms);
}

TEST(RequestMachine, TheLimitersSlotComesBeforeTheToken) {
  rate_limiter limiter(10, 1);  // one request per 100 ms
  request_feedback fb;
  fb.limiter = &limiter;
  driver first(request_profile::device(fast()), fb);
  driver second(request_profile::device(fast()), fb);
  EXPECT_EQ(first.machine.start(t0).what, kind::get_token);
  auto act = second.machine.start(t0);
  ASSERT_EQ(act.what, kind::wait);
  EXPECT_FALSE(act.retrying);
  EXPECT_GE(act.until, t0 + 100ms);
  EXPECT_EQ(second.machine.on_waited(act.until).what, kind::get_token);
}

TEST(RequestMachine, SessionsThatEndCountOnlyTheRefusalsANewOneDidNotCure) {
  // An AM session ends for every worker at once: their 401s, before the one sign-in that
  // cures them all, are no streak; a 401 with the new session is.
  request_feedback fb;
  fb.max_refusals = 2;
  fb.count_curable_refusals = false;
  const auto denied = answer(401, R"({"code":401,"message":"Access Denied"})");
  std::vector<std::unique_ptr<driver>> workers;
  for (int i = 0; i < 4; ++i) {
    workers.push_back(std::make_unique<driver>(request_profile::device(fast()), fb));
    workers.back()->begin();
    ASSERT_EQ(workers.back()->feed(denied).what, kind::get_token) << "worker " << i;
  }
  auto& d = *workers.front();
  ASSERT_EQ(d.machine.on_token({}, "tok-2", t0).what, kind::get_token);
  ASSERT_EQ(d.machine.on_token({}, "tok-2", t0).what, kind::send);
  EXPECT_EQ(d.feed(denied).what, kind::finish) << "one refusal the new session did not cure";
  auto& e = *workers[1];
  e.machine.on_token({}, "tok-2", t0);
  e.machine.on_token({}, "tok-2", t0);
  auto act = e.feed(denied);
  ASSERT_EQ(act.what, kind::abort) << "two in a row";
  EXPECT_EQ(make_error_code(act.error), make_error_code(run_error::token_refused));
}

TEST(RequestMachine, AStreakOfRefusalsAbortsTheRun) {
  request_feedback fb;
  fb.max_refusals = 3;
  for (int i = 1; i <= 3; ++i) {
    driver d(request_profile::device(fast()), fb);
    d.begin();
    auto act = d.feed(answer(403, R"({"code":403,"message":"Forbidden"})"));
    if (i < 3) {
      EXPECT_EQ(act.what, kind::finish);
    } else {
      ASSERT_EQ(act.what, kind::abort);
      EXPECT_EQ(make_error_code(act.error), make_error_code(run_error::token_refused));
      EXPECT_NE(act.reason.find("refused 3 requests in a row (403 Forbidden)"), std::string::npos);
    }
  }
  // Any other answer ends a streak.
  request_feedback fb2;
  fb2.max_refusals = 2;
  driver a(request_profile::device(fast()), fb2);
  a.begin();
  a.feed(answer(403, "{}"));
  driver b(request_profile::device(fast()), fb2);
  b.begin();
  b.feed(answer(200));
  EXPECT_EQ(fb2.refusals, 0);
}

TEST(RequestMachine, AStreakOfSilenceAbortsTheRunAnAnswerEndsIt) {
  request_feedback fb;
  fb.max_silence = 3;
  driver d(request_profile::device(fast(10)), fb);
  d.begin();
  EXPECT_EQ(d.feed(failure(transport::connect_failed)).what, kind::wait);
  EXPECT_EQ(d.feed(answer(503, "{}")).what, kind::wait) << "an answer, even a 503";
  EXPECT_EQ(fb.silence, 0);
  d.feed(failure(transport::dropped));
  d.feed(failure(transport::timeout));
  auto act = d.feed(failure(transport::connect_failed));
  ASSERT_EQ(act.what, kind::abort);
  EXPECT_EQ(make_error_code(act.error), make_error_code(run_error::tenant_silent));
  EXPECT_NE(act.reason.find("the tenant stopped answering at"), std::string::npos);
}

TEST(RequestMachine, ThePreflightTakesNoSlotCountsNoStreakAndAnUnreadableAnswerIsFinal) {
  rate_limiter limiter(1, 1);
  request_feedback fb;
  fb.limiter = &limiter;
  fb.max_refusals = 1;
  limiter.reserve(t0);  // the only slot of this second is gone
  driver d(request_profile::preflight(fast(), true), fb, http_method::get);
  EXPECT_EQ(d.begin().what, kind::send) << "no wait for a slot";
  auto act = d.feed(answer(403, "{}"));
  ASSERT_EQ(act.what, kind::finish) << "no streak: the preflight says why itself";
  driver u(request_profile::preflight(fast(), false), fb, http_method::get);
  ASSERT_EQ(u.machine.start(t0).what, kind::send) << "serverinfo needs no token";
  http_answer bad = failure(transport::bad_answer);
  act = u.feed(bad);
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.attempts, 1);
}

TEST(RequestMachine, TheTokenEndpointSendsNoTokenAndA401IsFinal) {
  request_feedback fb;
  driver d(request_profile::token_endpoint(fast()), fb);
  ASSERT_EQ(d.machine.start(t0).what, kind::send);
  auto act = d.feed(answer(401, R"({"error":"invalid_client"})"));
  ASSERT_EQ(act.what, kind::finish);
  EXPECT_EQ(act.answer.what, final_answer::kind::failed);
  driver busy(request_profile::token_endpoint(fast()), fb);
  busy.machine.start(t0);
  auto a = answer(503, "{}");
  a.retry_after = "1";
  act = busy.feed(a);
  ASSERT_EQ(act.what, kind::wait) << "passing trouble is retried, as for any request";
  EXPECT_GE(act.until, t0 + 1s);
  EXPECT_EQ(busy.machine.on_waited(act.until).what, kind::send);
}

}  // namespace
}  // namespace devreset::engine
