// When to retry, how long to wait, and when to give up: a plain function of one attempt's
// answer (no I/O, the clock and the randomness passed in), so tests drive it step by step.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "engine/transport.hpp"

namespace devreset::engine {

struct retry_config {
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{10000};
  std::chrono::milliseconds retry_after_cap{std::chrono::minutes(5)};  ///< a year is not waited
};

struct decision {
  enum class kind {
    done,           ///< a 2xx answer: the step is done
    retry,          ///< try again after `wait`
    refresh_token,  ///< get a fresh token, then try again at once
    not_found,      ///< 404: final, the user (or device) does not exist
    give_up,        ///< final failure; `reason` says why
  };
  kind what = kind::done;
  std::chrono::milliseconds wait{0};
  std::string reason;  ///< for give_up: "503 Service Unavailable after 5 attempts"

  bool operator==(const decision&) const = default;
};

std::ostream& operator<<(std::ostream& os, const decision& d);

/// Parses Retry-After: delay-seconds or an HTTP date (IMF-fixdate). nullopt when it is
/// neither; a date in the past gives zero.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

class retry_policy {
 public:
  explicit retry_policy(retry_config config = {}) : config_(config) {}

  /// What to do after attempt number `attempt` (1-based) ended with `r`.
  /// `token_refreshed` says whether this step already refreshed its token once.
  /// `random01` is a uniform draw in [0, 1) for the backoff jitter.
  decision decide(const attempt_result& r, int attempt, bool token_refreshed,
                  std::chrono::system_clock::time_point now, double random01) const;

  /// Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(attempt-1))].
  std::chrono::milliseconds backoff(int attempt, double random01) const;

  const retry_config& config() const { return config_; }

 private:
  retry_config config_;
};

/// "503 Service Unavailable", "timeout", ... for ledger errors.
std::string describe(const attempt_result& r);

}  // namespace devreset::engine
