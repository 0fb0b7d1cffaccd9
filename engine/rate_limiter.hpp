// The run's pacing: one token bucket (kept as a theoretical arrival time, GCRA) shared by all
// workers, at the rate the controller sets: the operator's ceiling until the tenant pushes
// back, then what the tenant was measured to allow (see rate_controller.hpp). No I/O: callers
// pass the time and wait on their own timers until the time it gives them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "engine/rate_controller.hpp"

namespace devreset::engine {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  /// A send slot: when the request may go, and the controller's epoch it was taken in.
  struct slot {
    clock::time_point when;
    std::uint64_t epoch = 0;
  };

  /// `ceiling` requests per second (0: no ceiling until the tenant pushes back), up to
  /// `burst` at once (at least 1) while the tenant has not pushed back.
  explicit rate_limiter(double ceiling = 0, double burst = 0);

  /// Reserves the next send slot. Slots are taken in call order, so waiting callers go out
  /// evenly spaced.
  slot reserve(clock::time_point now);
  /// True when the rate was lowered since the slot was taken: take another.
  bool stale(const slot& s) const { return s.epoch != controller_.epoch(); }

  /// The answer to a request sent in `s`: accepted, or a 429; `policy` is its
  /// RateLimit-Policy header (empty: none).
  void on_answer(clock::time_point now, bool throttled, const slot& s, std::string_view policy);

  /// Requests per second in force at `now`; 0 when nothing limits.
  double current_rate(clock::time_point now) const { return controller_.rate(now); }
  /// The tenant's allowed rate, measured or stated; 0 while unknown.
  double allowed() const { return controller_.allowed(); }
  /// A stated limit under 1 request/s, as stated (0: none): paced at 1/s instead.
  double policy_floored() const { return controller_.policy_floored(); }
  /// True once the tenant has pushed back (or stated a limit under the ceiling).
  bool lowered() const { return controller_.limited(); }
  double ceiling() const { return controller_.ceiling(); }

 private:
  rate_controller controller_;
  double burst_;
  clock::time_point tat_{};  // theoretical arrival time of the next request
};

}  // namespace devreset::engine
