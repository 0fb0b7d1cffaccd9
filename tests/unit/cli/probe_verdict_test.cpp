// When `devreset probe` stops: on what the tenant shows, never on one step's noise.
#include "cli/probe_verdict.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace devreset::cli {
namespace {

step_result step(double offered, double p50, double p99, std::uint64_t throttled = 0,
                 bool repeat = false) {
  static int n = 0;
  step_result s;
  s.step = ++n;
  s.offered = offered;
  s.sent = offered;  // this machine keeps up unless a test says otherwise
  s.requests = static_cast<std::uint64_t>(offered * 2);
  s.throttled = throttled;
  s.p50 = p50;
  s.p99 = p99;
  s.repeat = repeat;
  return s;
}

// This machine's pauses: the p99 of two steps in a row ten times the first's, the median flat.
TEST(ProbeVerdict, APauseOfThisMachineIsNoKnee) {
  std::vector<step_result> steps{step(20, 50, 60), step(30, 50, 600), step(45, 51, 700)};
  EXPECT_EQ(verdict(steps), std::nullopt);
}

TEST(ProbeVerdict, AMedianThatRisesWithTheRateTwiceIsTheKnee) {
  std::vector<step_result> steps{step(20, 25, 30), step(30, 25, 31), step(45, 150, 270)};
  EXPECT_EQ(verdict(steps), std::nullopt);  // once is not yet
  steps.push_back(step(67, 700, 1000));
  EXPECT_EQ(verdict(steps), stop_reason::latency);
}

TEST(ProbeVerdict, AMedianThatFallsBackIsNoKnee) {
  std::vector<step_result> steps{step(20, 25, 30), step(30, 150, 200), step(45, 60, 80)};
  EXPECT_EQ(verdict(steps), std::nullopt);  // 60 ms is past, but lower than the step before
}

// A stall answered in a burst: 429s once, none when the same rate is asked again.
TEST(ProbeVerdict, OneStepOf429sIsAskedAgainBeforeItIsTheLimit) {
  std::vector<step_result> steps{step(25, 50, 60), step(37, 50, 60, 10)};
  EXPECT_EQ(verdict(steps), std::nullopt);
  steps.push_back(step(37, 50, 60, 0, true));
  EXPECT_EQ(verdict(steps), std::nullopt);  // the repeat took it all: go on
  steps.push_back(step(56, 50, 60, 12));
  EXPECT_EQ(verdict(steps), std::nullopt);
  steps.push_back(step(56, 50, 60, 9, true));
  EXPECT_EQ(verdict(steps), stop_reason::limit);
}

step_result sending(double offered, double sent, double p50) {
  auto s = step(offered, p50, p50 * 2);
  s.sent = sent;
  return s;
}

// --concurrency 1 against 50 ms answers: 20/s at most, whatever the step asks.
TEST(ProbeVerdict, TwoStepsThisMachineCouldNotSendAreItsCeiling) {
  std::vector<step_result> steps{sending(20, 19, 50), sending(30, 19.5, 50)};
  EXPECT_EQ(verdict(steps), std::nullopt);  // once short is not yet
  steps.push_back(sending(45, 19.6, 51));
  EXPECT_EQ(verdict(steps), stop_reason::client);
}

TEST(ProbeVerdict, ShortStepsThatStillGrowOrSlowTheTenantAreNotTheClients) {
  // Still sending more at each step: go on.
  std::vector<step_result> growing{sending(20, 20, 50), sending(30, 22, 50), sending(45, 30, 50)};
  EXPECT_EQ(verdict(growing), std::nullopt);
  // Short because the tenant's answers slowed (a queue): the knee's, not this machine's.
  std::vector<step_result> queued{sending(20, 20, 25), sending(30, 20, 150), sending(45, 20, 100)};
  EXPECT_EQ(verdict(queued), std::nullopt);
  // Short and refused: the tenant's 429s, asked again at the same rate first.
  auto refused_step = sending(45, 20, 50);
  refused_step.throttled = 20;
  std::vector<step_result> limited{sending(20, 20, 50), sending(30, 20, 50), refused_step};
  EXPECT_EQ(verdict(limited), std::nullopt);
  // Short with a stray 429 or two (under 1%: no limit yet): a run held just under the
  // tenant's limit, not this machine's ceiling.
  auto held = [](double offered) {
    auto s = sending(offered, 100, 50);
    s.requests = 200;
    s.throttled = 1;
    return s;
  };
  std::vector<step_result> under_a_limit{sending(80, 80, 50), held(130), held(195)};
  EXPECT_FALSE(refused(under_a_limit.back()));
  EXPECT_EQ(verdict(under_a_limit), std::nullopt);
}

TEST(ProbeVerdict, AFewStray429sAreNoLimit) {
  auto s = step(100, 50, 60, 1);  // 1 of 200: under 1%
  EXPECT_FALSE(refused(s));
  s.throttled = 3;
  EXPECT_TRUE(refused(s));
}

}  // namespace
}  // namespace devreset::cli
