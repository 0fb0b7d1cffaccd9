// The rate controller on a fake clock: alone (what it does with each 429 and each answer),
// and in a fake world where 64 workers share one limiter against a tenant that is the sim's
// own token bucket (steady limit, step down, step up, no limit, a stated policy, two clients).
#include <gtest/gtest.h>

#include <numeric>
#include <queue>
#include <vector>

#include "engine/rate_limiter.hpp"
#include "sim/api.hpp"

namespace devreset::engine {
namespace {

using clock = rate_controller::clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const clock::time_point t0 = clock::time_point{} + std::chrono::hours(1);

TEST(RateController, WithoutPushbackOnlyTheCeilingPaces) {
  rate_controller none;
  rate_controller capped(500);
  for (int i = 0; i < 1000; ++i) {
    none.on_accepted(t0 + milliseconds(i));
    capped.on_accepted(t0 + milliseconds(i));
  }
  EXPECT_EQ(none.rate(t0 + seconds(1)), 0);
  EXPECT_EQ(capped.rate(t0 + seconds(1)), 500);
  EXPECT_FALSE(none.limited());
  EXPECT_EQ(none.allowed(), 0);
}

TEST(RateController, A429SettlesJustUnderTheAcceptedRateThenProbesUp) {
  rate_controller c;
  // 100 accepted a second for two seconds, then a 429.
  c.on_sent(t0);
  for (int i = 0; i < 200; ++i)
    c.on_accepted(t0 + milliseconds(10 * i));
  const auto at = t0 + seconds(2);
  EXPECT_TRUE(c.on_refused(at, 0));
  EXPECT_NEAR(c.allowed(), 100, 1);
  EXPECT_NEAR(c.rate(at), rate_controller::settle_share * c.allowed(), 1e-9);
  EXPECT_EQ(c.epoch(), 1u);
  // 429s to requests sent before the decrease are the same volley: no second decrease.
  EXPECT_FALSE(c.on_refused(at + milliseconds(10), 0));
  // Back to the measure within a second or so, about there a while, then faster and faster:
  // 90% of a doubled limit within five seconds.
  const double allowed = c.allowed();
  EXPECT_NEAR(c.rate(at + milliseconds(1000)), allowed, 0.01 * allowed);
  EXPECT_NEAR(c.rate(at + milliseconds(1500)), allowed, 0.01 * allowed);
  EXPECT_LT(c.rate(at + milliseconds(1800)), 1.02 * allowed);
  EXPECT_GT(c.rate(at + seconds(5)), 1.8 * allowed);
}

TEST(RateController, TheProbeGrowsLessThanInProportionSoThatClientsConverge) {
  // Two clients sharing a limit, one with three times the other's share: after the same
  // time since a 429, the smaller one has grown by more, relative to its share.
  rate_controller big, small;
  big.on_sent(t0);
  small.on_sent(t0);
  for (int i = 0; i < 300; ++i)
    big.on_accepted(t0 + milliseconds(i * 1000 / 150));
  for (int i = 0; i < 100; ++i)
    small.on_accepted(t0 + milliseconds(i * 1000 / 50));
  big.on_refused(t0 + seconds(2), 0);
  small.on_refused(t0 + seconds(2), 0);
  const auto later = t0 + seconds(6);
  EXPECT_GT(small.rate(later) / small.allowed(), big.rate(later) / big.allowed());
}

TEST(RateController, AFirst429WithNothingAcceptedHalvesTheCeiling) {
  rate_controller c(100);
  EXPECT_TRUE(c.on_refused(t0, 0));
  EXPECT_NEAR(c.rate(t0), rate_controller::settle_share * 50, 1e-9);
  rate_controller unlimited;
  EXPECT_TRUE(unlimited.on_refused(t0, 0));
  EXPECT_GE(unlimited.rate(t0), rate_controller::min_rate);
}

TEST(RateController, AStatedPolicyCapsTheRate) {
  rate_controller c(1000);
  c.on_policy(200);
  EXPECT_TRUE(c.limited());
  EXPECT_EQ(c.allowed(), 200);
  EXPECT_DOUBLE_EQ(c.rate(t0), rate_controller::policy_share * 200);
  rate_controller low(100);
  low.on_policy(200);
  EXPECT_EQ(low.rate(t0), 100) << "the operator's ceiling stays the ceiling";
}

TEST(RateController, ReadsTheDraftsPolicyHeaders) {
  EXPECT_EQ(parse_rate_policy("100;w=1"), 100.0);
  EXPECT_EQ(parse_rate_policy("6000;w=60"), 100.0);
  EXPECT_EQ(parse_rate_policy(R"("default";q=100;w=10)"), 10.0);
  EXPECT_EQ(parse_rate_policy(R"("burst";q=100;w=1, "day";q=86400;w=86400)"), 1.0);
  EXPECT_EQ(parse_rate_policy("100"), std::nullopt) << "no window: no rate";
  EXPECT_EQ(parse_rate_policy("lots;w=1"), std::nullopt);
  EXPECT_EQ(parse_rate_policy("100;w=0"), std::nullopt);
  EXPECT_EQ(parse_rate_policy(""), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// The fake world.

struct limit_step {
  milliseconds at;
  double rate;
};

struct client {
  explicit client(double ceiling, seconds begins = seconds(0))
      : limiter(ceiling, std::max(1.0, ceiling / 100)), start(begins) {}
  rate_limiter limiter;
  seconds start;                                 // when its workers begin
  std::vector<std::uint64_t> accepted, refused;  // per second of the run
  std::uint64_t waits = 0;                       // slots that were not "now"
};

struct world {
  std::vector<limit_step> limits;  // empty: no limit
  bool state_policy = false;
  int workers = 64;
  milliseconds latency{20};

  void run(std::vector<client*> clients, seconds length);
};

void world::run(std::vector<client*> clients, seconds length) {
  struct event {
    clock::time_point t;
    std::size_t c, w;
    bool answer, throttled;
    bool operator>(const event& o) const { return t > o.t; }
  };
  std::priority_queue<event, std::vector<event>, std::greater<>> q;
  std::vector<std::vector<rate_limiter::slot>> slots(clients.size());
  std::optional<sim::token_bucket> tenant;
  std::size_t next_step = 0;
  std::uint64_t jitter = 12345;
  const auto end = t0 + length;
  for (std::size_t c = 0; c < clients.size(); ++c) {
    clients[c]->accepted.assign(static_cast<std::size_t>(length.count()), 0);
    clients[c]->refused.assign(static_cast<std::size_t>(length.count()), 0);
    slots[c].resize(static_cast<std::size_t>(workers));
    for (std::size_t w = 0; w < slots[c].size(); ++w) {
      slots[c][w] = clients[c]->limiter.reserve(t0 + clients[c]->start);
      q.push({slots[c][w].when, c, w, false, false});
    }
  }
  while (!q.empty() && q.top().t < end) {
    const event e = q.top();
    q.pop();
    client& cl = *clients[e.c];
    auto& slot = slots[e.c][e.w];
    while (next_step < limits.size() && e.t >= t0 + limits[next_step].at) {
      const double r = limits[next_step++].rate;
      if (!tenant) tenant.emplace(r, std::max(1.0, r / 10));
      tenant->set_rate(e.t, r, std::max(1.0, r / 10));
    }
    if (e.answer) {
      const std::string policy =
          state_policy && tenant ? std::to_string(static_cast<int>(tenant->rate())) + ";w=1" : "";
      cl.limiter.on_answer(e.t, e.throttled, slot, policy);
      slot = cl.limiter.reserve(e.t);
      cl.waits += slot.when > e.t;
      q.push({slot.when, e.c, e.w, false, false});
      continue;
    }
    if (cl.limiter.stale(slot)) {  // lowered while it waited: a new slot
      slot = cl.limiter.reserve(e.t);
      if (slot.when > e.t) {
        q.push({slot.when, e.c, e.w, false, false});
        continue;
      }
    }
    const bool refused = tenant && tenant->take(e.t).count() > 0;
    const auto second = static_cast<std::size_t>((e.t - t0) / seconds(1));
    ++(refused ? cl.refused : cl.accepted)[second];
    jitter = jitter * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto spread = milliseconds(static_cast<int>((jitter >> 33) % 11) - 5);
    q.push({e.t + latency + spread, e.c, e.w, true, refused});
  }
}

std::uint64_t sum(const std::vector<std::uint64_t>& v, std::size_t from, std::size_t to) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from),
                         v.begin() + static_cast<std::ptrdiff_t>(to), std::uint64_t{0});
}

// Goodput and 429 share over seconds [from, to).
void expect_near_the_limit(const client& c, double limit, std::size_t from, std::size_t to) {
  const double good =
      static_cast<double>(sum(c.accepted, from, to)) / static_cast<double>(to - from);
  const double bad = static_cast<double>(sum(c.refused, from, to));
  const double share = bad / (bad + static_cast<double>(sum(c.accepted, from, to)));
  EXPECT_GE(good, 0.95 * limit) << "limit " << limit;
  EXPECT_LE(good, 1.1 * limit) << "limit " << limit << " (and its burst, a tenth of it)";
  EXPECT_LE(share, 0.02) << "limit " << limit;
}

TEST(RateControllerWorld, RunsAtTheLimitWithFew429s) {
  for (double limit : {50.0, 200.0, 1000.0}) {
    world w;
    w.limits = {{milliseconds(0), limit}};
    client c(10 * limit);  // --rate ten times the limit, as the bench runs it
    w.run({&c}, seconds(60));
    expect_near_the_limit(c, limit, 0, 60);
    EXPECT_NEAR(c.limiter.allowed(), limit, 0.05 * limit);
  }
}

// The first second in [from, from + 10) whose accepted count reaches `share` of `limit`.
std::size_t recovered_after(const client& c, std::size_t from, double limit, double share) {
  for (std::size_t s = from; s < from + 10 && s < c.accepted.size(); ++s) {
    if (static_cast<double>(c.accepted[s]) >= share * limit) return s - from + 1;
  }
  return 99;
}

TEST(RateControllerWorld, FollowsALimitThatHalvesThenDoubles) {
  world w;
  w.limits = {{milliseconds(0), 200}, {seconds(20), 100}, {seconds(40), 200}};
  client c(100000);
  w.run({&c}, seconds(60));
  EXPECT_LE(recovered_after(c, 20, 100, 0.9), 5u);
  EXPECT_LE(recovered_after(c, 40, 200, 0.9), 5u);
  expect_near_the_limit(c, 100, 25, 40);
  expect_near_the_limit(c, 200, 45, 60);
}

TEST(RateControllerWorld, WithoutALimitNothingWaits) {
  world w;
  client c(0);
  w.run({&c}, seconds(5));
  EXPECT_EQ(c.waits, 0u);
  EXPECT_EQ(sum(c.refused, 0, 5), 0u);
  // 64 workers, 20 ms apart (±5): Little's bound, 3,200 a second.
  EXPECT_GE(sum(c.accepted, 0, 5), 5u * 3000);
}

TEST(RateControllerWorld, AStatedPolicyIsPacedWithoutA429) {
  world w;
  w.state_policy = true;
  w.limits = {{milliseconds(0), 200}};
  client c(100000);
  w.run({&c}, seconds(30));
  // The first answers state the policy; the requests sent before them may meet 429s.
  EXPECT_EQ(sum(c.refused, 2, 30), 0u);
  expect_near_the_limit(c, 200, 2, 30);
}

TEST(RateControllerWorld, TwoClientsShareTheLimit) {
  // The second starts ten seconds after the first has the whole limit: within 20 s they
  // share it, half each (± 10%), with few 429s.
  world w;
  w.limits = {{milliseconds(0), 200}};
  client a(2000), b(2000, seconds(10));
  w.run({&a, &b}, seconds(90));
  const double ga = static_cast<double>(sum(a.accepted, 30, 90)) / 60;
  const double gb = static_cast<double>(sum(b.accepted, 30, 90)) / 60;
  EXPECT_NEAR(ga / (ga + gb), 0.5, 0.1);
  EXPECT_GE(ga + gb, 0.9 * 200);
  const double refused = static_cast<double>(sum(a.refused, 30, 90) + sum(b.refused, 30, 90));
  EXPECT_LE(refused / (refused + (ga + gb) * 60), 0.03);
}

TEST(RateController, AStatedLimitUnderOnePerSecondIsFloored) {
  // Issue 30: `RateLimit-Policy: 1;w=1000000000` stated 1e-9/s: pacing at that stalled the
  // run for ever. Never under 1 request/s, and the figure stated is kept for the warning.
  rate_controller c(0);
  c.on_policy(*parse_rate_policy("1;w=1000000000"));
  EXPECT_GE(c.rate(t0), rate_controller::min_rate);
  EXPECT_DOUBLE_EQ(c.policy_floored(), 1e-9);
  rate_controller slow(0.5);  // the operator's own --rate 0.5 still holds
  slow.on_policy(1e-9);
  EXPECT_DOUBLE_EQ(slow.rate(t0), 0.5);
  rate_controller sane(0);
  sane.on_policy(5);
  EXPECT_EQ(sane.policy_floored(), 0.0);
}

}  // namespace
}  // namespace devreset::engine
