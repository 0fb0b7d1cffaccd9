// Retry decisions for every status class, Retry-After in both forms, backoff bounds.
#include <gtest/gtest.h>

#include "engine/retry_policy.hpp"

namespace devreset::engine {
namespace {

using std::chrono::milliseconds;
using kind = decision::kind;

const auto now = std::chrono::system_clock::time_point{std::chrono::seconds(1795881600)};

decision decide(int status, int attempt = 1, std::string_view retry_after = {},
                bool refreshed = false, double random01 = 0.5) {
  retry_policy p;
  return p.decide(attempt_result{transport::ok, status, retry_after}, attempt, refreshed, now,
                  random01);
}

TEST(RetryPolicy, SuccessIsDone) {
  EXPECT_EQ(decide(200).what, kind::done);
  EXPECT_EQ(decide(204).what, kind::done);
}

TEST(RetryPolicy, NotFoundIsFinal) {
  auto d = decide(404);
  EXPECT_EQ(d.what, kind::not_found);
}

TEST(RetryPolicy, RetriesThrottlingAndServerTroubleWithBackoff) {
  for (int s : {429, 500, 502, 503, 504}) {
    auto d = decide(s, 1);
    EXPECT_EQ(d.what, kind::retry) << s;
    EXPECT_EQ(d.wait, milliseconds(100)) << s << ": half of the 200 ms first ceiling";
  }
}

TEST(RetryPolicy, RetriesEveryTransportFailure) {
  retry_policy p;
  for (auto t :
       {transport::connect_failed, transport::timeout, transport::dropped, transport::bad_answer}) {
    auto d = p.decide(attempt_result{t, 0, {}}, 2, false, now, 1.0);
    EXPECT_EQ(d.what, kind::retry) << to_string(t);
    EXPECT_EQ(d.wait, milliseconds(400)) << to_string(t);
  }
}

TEST(RetryPolicy, GivesUpAfterMaxAttemptsSayingWhy) {
  auto d = decide(503, 5);
  EXPECT_EQ(d.what, kind::give_up);
  EXPECT_EQ(d.reason, "503 Service Unavailable after 5 attempts");
  retry_policy p(retry_config{1});
  auto t = p.decide(attempt_result{transport::timeout, 0, {}}, 1, false, now, 0.5);
  EXPECT_EQ(t.reason, "timeout after 1 attempt");
}

TEST(RetryPolicy, OtherClientErrorsAreFinal) {
  for (int s : {400, 403, 405, 409, 501, 302}) {
    auto d = decide(s);
    EXPECT_EQ(d.what, kind::give_up) << s;
  }
  EXPECT_EQ(decide(403).reason, "403 Forbidden");
}

TEST(RetryPolicy, UnauthorizedRefreshesTheTokenOnceThenGivesUp) {
  EXPECT_EQ(decide(401, 1, {}, false).what, kind::refresh_token);
  auto d = decide(401, 2, {}, true);
  EXPECT_EQ(d.what, kind::give_up);
  EXPECT_EQ(d.reason, "401 Unauthorized (after a token refresh)");
}

TEST(RetryPolicy, HonoursRetryAfterSeconds) {
  auto d = decide(429, 1, "7");
  EXPECT_EQ(d.what, kind::retry);
  EXPECT_EQ(d.wait, milliseconds(7000));
}

TEST(RetryPolicy, HonoursRetryAfterHttpDate) {
  // now is 2026-11-28T16:00:00Z
  auto d = decide(503, 1, "Sat, 28 Nov 2026 16:00:12 GMT");
  EXPECT_EQ(d.wait, milliseconds(12000));
}

TEST(RetryPolicy, RetryAfterNeverShortensTheBackoffAndIsCapped) {
  EXPECT_EQ(decide(429, 3, "0", false, 1.0).wait, milliseconds(800));
  EXPECT_EQ(decide(429, 1, "31536000").wait, milliseconds(std::chrono::minutes(5)));
  EXPECT_EQ(decide(429, 1, "soon", false, 0.5).wait, milliseconds(100)) << "garbage is ignored";
}

TEST(RetryAfter, ParsesBothFormsAndRejectsGarbage) {
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120000));
  EXPECT_EQ(parse_retry_after(" 3 ", now), milliseconds(3000));
  EXPECT_EQ(parse_retry_after("Sat, 28 Nov 2026 15:00:00 GMT", now), milliseconds(0))
      << "a date in the past";
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now).has_value());
  EXPECT_FALSE(parse_retry_after("Saturday", now).has_value());
  EXPECT_FALSE(parse_retry_after("Sat, 28 Nov 2026 15:00:00 GMT trailing", now).has_value());
}

// Found by fuzz_answer: a date past 2262 overflowed the clock's nanoseconds (UB).
TEST(RetryAfter, DatesCenturiesAheadAreFarNotAnOverflow) {
  auto far = parse_retry_after("Wed, 21 Oct 2439 07:28:00 GMT", now);
  ASSERT_TRUE(far.has_value());
  EXPECT_GE(*far, std::chrono::hours(24 * 365 * 29));
  EXPECT_EQ(decide(429, 1, "Wed, 21 Oct 2439 07:28:00 GMT", false, 0.5).wait,
            milliseconds(std::chrono::minutes(5)))
      << "and the wait is capped";
}

TEST(Backoff, FullJitterStaysUnderTheDoublingCeilingAndTheCap) {
  retry_policy p(retry_config{10, milliseconds(100), milliseconds(1000)});
  EXPECT_EQ(p.backoff(1, 0.0), milliseconds(0));
  EXPECT_EQ(p.backoff(1, 0.999), milliseconds(99));
  EXPECT_EQ(p.backoff(2, 0.5), milliseconds(100));
  EXPECT_EQ(p.backoff(4, 0.999), milliseconds(799));
  EXPECT_EQ(p.backoff(9, 0.999), milliseconds(999)) << "capped";
  EXPECT_EQ(p.backoff(60, 0.5), milliseconds(500)) << "no overflow";
}

}  // namespace
}  // namespace devreset::engine
