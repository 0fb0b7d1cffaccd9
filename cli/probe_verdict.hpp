// `devreset probe`'s steps and when to stop them: on what the tenant shows (429s at one rate
// twice in a row, a median latency past the knee two steps in a row), never on one step's
// noise; or on what this machine shows (two steps in a row that could not send their rate,
// with the tenant's answers as quick as ever). No I/O.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "engine/run_stats.hpp"

namespace devreset::cli {

/// One step of a probe: a plan run at one rate, measured over the workers' time.
struct step_result {
  int step = 0;
  double offered = 0;   // the step's ceiling, requests/s
  double sent = 0;      // requests/s
  double accepted = 0;  // answers that were not 429, a second
  std::uint64_t requests = 0, throttled = 0;
  double p50 = 0, p95 = 0, p99 = 0;  // ms
  double seconds = 0;
  bool repeat = false;  // the same rate again: the step before it saw 429s
  engine::run_stats stats;
};

/// Why a probe stopped.
enum class stop_reason { limit, latency, client, ceiling, max_duration };

std::string_view to_string(stop_reason r);

/// A step whose median latency is twice the first step's and 5 ms more.
bool past_the_knee(const step_result& s, const step_result& first);
/// More than 1% of the step's requests were refused with 429.
bool refused(const step_result& s);
/// The step sent under 80% of the rate it asked: this machine (or --concurrency) could not.
bool short_of_its_rate(const step_result& s);
/// Why to stop after the last of `steps` (nullopt: go on; a step that was `refused` and is
/// no repeat is run again at the same rate).
std::optional<stop_reason> verdict(const std::vector<step_result>& steps);

}  // namespace devreset::cli
