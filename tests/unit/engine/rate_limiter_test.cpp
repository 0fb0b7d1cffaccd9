// The run's token bucket (GCRA): spacing, bursts, and a new slot after a 429, on a fake clock.
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
    EXPECT_EQ(r.reserve(t0).when, t0);
  EXPECT_FALSE(r.lowered());
}

TEST(RateLimiter, SpacesRequestsEvenlyAtTheCeiling) {
  rate_limiter r(100, 1);
  EXPECT_EQ(r.reserve(t0).when, t0);
  EXPECT_EQ(r.reserve(t0).when, t0 + milliseconds(10));
  EXPECT_EQ(r.reserve(t0).when, t0 + milliseconds(20));
  // A thousand reservations at once end ten seconds later: the rate holds exactly.
  clock::time_point last;
  for (int i = 0; i < 1000; ++i)
    last = r.reserve(t0).when;
  EXPECT_EQ(last, t0 + milliseconds(10020));
}

TEST(RateLimiter, BurstAllowsThatManyAtOnceThenTheRate) {
  rate_limiter r(10, 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(r.reserve(t0).when, t0) << i;
  EXPECT_EQ(r.reserve(t0).when, t0 + milliseconds(100));
}

TEST(RateLimiter, IdleTimeDoesNotSaveUpMoreThanTheBurst) {
  rate_limiter r(10, 2);
  r.reserve(t0).when;
  auto later = t0 + std::chrono::seconds(60);
  EXPECT_EQ(r.reserve(later).when, later);
  EXPECT_EQ(r.reserve(later).when, later);
  EXPECT_EQ(r.reserve(later).when, later + milliseconds(100));
}

TEST(RateLimiter, A429StartsANewEpochAndEvenSpacing) {
  rate_limiter r(1000, 10);
  // Ten at once (the burst), ahead of any answer.
  std::vector<rate_limiter::slot> slots;
  for (int i = 0; i < 20; ++i)
    slots.push_back(r.reserve(t0));
  EXPECT_EQ(slots[9].when, t0);
  for (int i = 0; i < 100; ++i)
    r.on_answer(t0 + milliseconds(i), false, slots[0], "");
  r.on_answer(t0 + milliseconds(100), true, slots[0], "");
  EXPECT_TRUE(r.lowered());
  EXPECT_TRUE(r.stale(slots[19])) << "slots given out at the old rate are taken again";
  EXPECT_NEAR(r.allowed(), 1000, 20);
  auto a = r.reserve(t0 + milliseconds(100));
  auto b = r.reserve(t0 + milliseconds(100));
  EXPECT_FALSE(r.stale(a));
  EXPECT_EQ(a.when, t0 + milliseconds(100)) << "no burst after a 429";
  EXPECT_NEAR(std::chrono::duration<double>(b.when - a.when).count(),
              1.0 / r.current_rate(t0 + milliseconds(100)), 1e-6);
  // A 429 to a request of the old epoch lowers nothing more.
  const double rate = r.current_rate(t0 + milliseconds(110));
  r.on_answer(t0 + milliseconds(110), true, slots[19], "");
  EXPECT_EQ(r.current_rate(t0 + milliseconds(110)), rate);
}

TEST(RateLimiter, AStatedPolicyPacesAtOnce) {
  rate_limiter r;
  auto s = r.reserve(t0);
  r.on_answer(t0, false, s, "200;w=1");
  EXPECT_TRUE(r.lowered());
  auto a = r.reserve(t0);
  auto b = r.reserve(t0);
  EXPECT_NEAR(std::chrono::duration<double>(b.when - a.when).count(), 1.0 / (0.98 * 200), 1e-6);
}

}  // namespace
}  // namespace devreset::engine
