// The run's ceiling on requests per second: one token bucket (kept as a theoretical
// arrival time, GCRA) shared by all workers, whose effective rate halves when the tenant
// answers 429 and climbs back slowly to the ceiling (AIMD). No I/O: callers pass the time
// and wait on their own timers until the time it gives them.
#pragma once

#include <chrono>
#include <cstdint>

namespace devreset::engine {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  /// `ceiling` requests per second (0: no ceiling until the tenant pushes back), up to
  /// `burst` at once (at least 1).
  explicit rate_limiter(double ceiling = 0, double burst = 0);

  /// Reserves the next send slot: the time at which the caller may send (now, or later).
  /// Reservations are taken in call order, so waiting callers go out evenly spaced.
  clock::time_point reserve(clock::time_point now);

  /// The tenant answered 429: halve the effective rate (at most once per `cooldown`, about
  /// the time requests already in flight take to come back, so their volley counts once).
  void on_throttled(clock::time_point now);
  /// A request went through: the rate climbs back by 5% of itself per second (at least one
  /// request per second per second), never above the ceiling.
  void on_success(clock::time_point now);

  /// Requests per second now in force; 0 when nothing limits.
  double current_rate() const { return rate_; }
  double ceiling() const { return ceiling_; }
  /// True while 429s hold the rate under its ceiling.
  bool lowered() const { return rate_ > 0 && (ceiling_ == 0 || rate_ < ceiling_); }

  static constexpr double min_rate = 1.0;
  static constexpr std::chrono::milliseconds cooldown{250};

 private:
  double ceiling_;
  double burst_;
  double rate_;              // 0: unlimited
  clock::time_point tat_{};  // theoretical arrival time of the next request
  clock::time_point last_decrease_{};
  clock::time_point last_increase_{};
  bool decreased_once_ = false;
  // Sends seen in the current and the previous second, to learn a rate when there is none.
  clock::time_point window_start_{};
  std::uint64_t window_sends_ = 0;
  std::uint64_t last_window_sends_ = 0;
};

}  // namespace devreset::engine
