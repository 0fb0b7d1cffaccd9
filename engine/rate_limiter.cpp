// GCRA pacing at the controller's rate.
#include "engine/rate_limiter.hpp"

#include <algorithm>

namespace devreset::engine {

rate_limiter::rate_limiter(double ceiling, double burst)
    : controller_(ceiling), burst_(std::max(1.0, burst)) {}

rate_limiter::slot rate_limiter::reserve(clock::time_point now) {
  controller_.on_sent(now);
  const double rate = controller_.rate(now);
  if (rate <= 0) return {now, controller_.epoch()};
  const auto interval =
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / rate));
  // Bursts only while the tenant has not pushed back: after that, evenly spaced.
  const double burst = controller_.limited() ? 1.0 : burst_;
  const auto tolerance = std::chrono::duration_cast<clock::duration>(interval * (burst - 1.0));
  const auto tat = std::max(tat_, now);
  tat_ = tat + interval;
  return {std::max(tat - tolerance, now), controller_.epoch()};
}

void rate_limiter::on_answer(clock::time_point now, bool throttled, const slot& s,
                             std::string_view policy) {
  if (!policy.empty()) {
    if (auto per_second = parse_rate_policy(policy)) controller_.on_policy(*per_second);
  }
  if (!throttled) {
    controller_.on_accepted(now);
    return;
  }
  // Lowered: the slots given out ahead at the old rate are taken again (stale()), from now.
  if (controller_.on_refused(now, s.epoch)) tat_ = now;
}

}  // namespace devreset::engine
