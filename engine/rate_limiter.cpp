// GCRA token bucket with AIMD on 429.
#include "engine/rate_limiter.hpp"

#include <algorithm>

namespace devreset::engine {

namespace {

rate_limiter::clock::duration interval_of(double rate) {
  return std::chrono::duration_cast<rate_limiter::clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
}

}  // namespace

rate_limiter::rate_limiter(double ceiling, double burst)
    : ceiling_(std::max(0.0, ceiling)), burst_(std::max(1.0, burst)), rate_(ceiling_) {}

rate_limiter::clock::time_point rate_limiter::reserve(clock::time_point now) {
  // Count sends per second (for the rate to fall back to when there is no ceiling).
  if (now - window_start_ >= std::chrono::seconds(1)) {
    last_window_sends_ = now - window_start_ < std::chrono::seconds(2) ? window_sends_ : 0;
    window_sends_ = 0;
    window_start_ = now;
  }
  ++window_sends_;

  if (rate_ <= 0) return now;
  const auto interval = interval_of(rate_);
  const auto tolerance = std::chrono::duration_cast<clock::duration>(interval * (burst_ - 1.0));
  auto tat = std::max(tat_, now);
  auto allowed = tat - tolerance;
  tat_ = tat + interval;
  return std::max(allowed, now);
}

void rate_limiter::on_throttled(clock::time_point now) {
  if (decreased_once_ && now - last_decrease_ < cooldown) return;
  decreased_once_ = true;
  last_decrease_ = now;
  last_increase_ = now;
  double base = rate_;
  if (base <= 0) {
    // No ceiling yet: start from what was actually sent in the last second.
    base = static_cast<double>(std::max(last_window_sends_, window_sends_));
  }
  rate_ = std::max(min_rate, base / 2);
}

void rate_limiter::on_success(clock::time_point now) {
  if (!decreased_once_ || (ceiling_ > 0 && rate_ >= ceiling_)) return;
  auto elapsed = std::chrono::duration<double>(now - last_increase_).count();
  if (elapsed <= 0) return;
  last_increase_ = now;
  // Slow increase: 5% of the current rate per second, at least 1 request/s per second.
  double step = std::max(1.0, 0.05 * rate_) * elapsed;
  rate_ = ceiling_ > 0 ? std::min(ceiling_, rate_ + step) : rate_ + step;
}

}  // namespace devreset::engine
