// When a probe stops.
#include "cli/probe_verdict.hpp"

namespace devreset::cli {

std::string_view to_string(stop_reason r) {
  switch (r) {
    case stop_reason::limit:
      return "429s";
    case stop_reason::latency:
      return "latency";
    case stop_reason::client:
      return "client";
    case stop_reason::ceiling:
      return "ceiling";
    case stop_reason::max_duration:
      return "max_duration";
  }
  return "?";
}

// The median is the tenant's: a pause of this machine moves the p99, not the middle.
bool past_the_knee(const step_result& s, const step_result& first) {
  return s.step > 1 && s.p50 > 2 * first.p50 && s.p50 > first.p50 + 5;
}

// More than 1% of the step's requests were refused with 429.
bool refused(const step_result& s) {
  return s.throttled > 0 &&
         static_cast<double>(s.throttled) > 0.01 * static_cast<double>(s.requests);
}

bool short_of_its_rate(const step_result& s) {
  return s.sent < 0.8 * s.offered;
}

// Why to stop after the last step (nullopt: go on). The tenant's signs, each seen twice: 429s
// at the same rate two steps in a row (once can be this machine's stall, answered in a
// burst), or a median latency past the knee two steps in a row, rising with the rate.
std::optional<stop_reason> verdict(const std::vector<step_result>& steps) {
  const auto& s = steps.back();
  const auto* before = steps.size() >= 2 ? &steps[steps.size() - 2] : nullptr;
  if (refused(s) && s.repeat && before != nullptr && refused(*before)) return stop_reason::limit;
  if (steps.size() >= 3 && past_the_knee(s, steps.front()) &&
      past_the_knee(*before, steps.front()) && s.p50 >= before->p50 && !s.repeat) {
    return stop_reason::latency;
  }
  // This machine's ceiling, not the tenant's: two steps short of their rate, the second no
  // faster than the first, not one 429 (the rate controller holds a run just under a limit
  // it met, with a stray 429 now and then: that shortfall is the tenant's) and the median as
  // it was. Asking more sends no more.
  auto client_bound = [&](const step_result& x) {
    return short_of_its_rate(x) && x.throttled == 0 && !past_the_knee(x, steps.front());
  };
  if (before != nullptr && client_bound(s) && client_bound(*before) && s.sent < 1.1 * before->sent)
    return stop_reason::client;
  return std::nullopt;
}

}  // namespace devreset::cli
