// The run's token bucket (GCRA) and its AIMD response to 429s, on a fake clock.
#include <gtest/gtest.h>

#include "engine/rate_limiter.hpp"

namespace devreset::engine {
namespace {

using clock = rate_limiter::clock;
using std::chrono::milliseconds;

const clock::time_point t0 = clock::time_point{} + std::chrono::hours(1);

TEST(RateLimiter, WithoutCeilingEverythingGoesAtOnce) {
  rate_limiter r;
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(r.reserve(t0), t0);
  EXPECT_FALSE(r.lowered());
}

TEST(RateLimiter, SpacesRequestsEvenlyAtTheCeiling) {
  rate_limiter r(100, 1);
  EXPECT_EQ(r.reserve(t0), t0);
  EXPECT_EQ(r.reserve(t0), t0 + milliseconds(10));
  EXPECT_EQ(r.reserve(t0), t0 + milliseconds(20));
  // A thousand reservations at once end ten seconds later: the rate holds exactly.
  clock::time_point last;
  for (int i = 0; i < 1000; ++i)
    last = r.reserve(t0);
  EXPECT_EQ(last, t0 + milliseconds(10020));
}

TEST(RateLimiter, BurstAllowsThatManyAtOnceThenTheRate) {
  rate_limiter r(10, 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(r.reserve(t0), t0) << i;
  EXPECT_EQ(r.reserve(t0), t0 + milliseconds(100));
}

TEST(RateLimiter, IdleTimeDoesNotSaveUpMoreThanTheBurst) {
  rate_limiter r(10, 2);
  r.reserve(t0);
  auto later = t0 + std::chrono::seconds(60);
  EXPECT_EQ(r.reserve(later), later);
  EXPECT_EQ(r.reserve(later), later);
  EXPECT_EQ(r.reserve(later), later + milliseconds(100));
}

TEST(RateLimiter, HalvesOn429OncePerCooldownAndClimbsBackSlowly) {
  rate_limiter r(1000, 1);
  r.on_throttled(t0);
  EXPECT_DOUBLE_EQ(r.current_rate(), 500);
  EXPECT_TRUE(r.lowered());
  r.on_throttled(t0 + milliseconds(10));  // a volley from requests already in flight
  EXPECT_DOUBLE_EQ(r.current_rate(), 500);
  r.on_throttled(t0 + milliseconds(1500));
  EXPECT_DOUBLE_EQ(r.current_rate(), 250);
  // Slow increase: 5% of the current rate per second.
  r.on_success(t0 + milliseconds(2500));
  EXPECT_NEAR(r.current_rate(), 262.5, 1e-6);
  r.on_success(t0 + std::chrono::seconds(600));
  EXPECT_DOUBLE_EQ(r.current_rate(), 1000) << "never above the ceiling";
  EXPECT_FALSE(r.lowered());
}

TEST(RateLimiter, WithoutCeilingA429StartsFromHalfTheRateSeen) {
  rate_limiter r;
  for (int i = 0; i < 400; ++i)
    r.reserve(t0 + milliseconds(i));
  r.on_throttled(t0 + milliseconds(500));
  EXPECT_DOUBLE_EQ(r.current_rate(), 200);
  auto a = r.reserve(t0 + milliseconds(600));
  auto b = r.reserve(t0 + milliseconds(600));
  EXPECT_EQ(b - a, milliseconds(5));
}

TEST(RateLimiter, NeverFallsBelowTheMinimum) {
  rate_limiter r(2, 1);
  for (int i = 0; i < 10; ++i)
    r.on_throttled(t0 + std::chrono::seconds(2 * i));
  EXPECT_DOUBLE_EQ(r.current_rate(), rate_limiter::min_rate);
}

}  // namespace
}  // namespace devreset::engine
