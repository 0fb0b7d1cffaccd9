// The one table of what an attempt's outcome means: every status class and transport
// outcome, for every caller (the request machine's retries, refreshes and streaks, the
// preflight, the token endpoint, the binding fallback). No other file interprets a status.
#pragma once

#include "engine/transport.hpp"

namespace devreset::engine {

enum class meaning {
  success,         ///< 2xx: the step is done
  retry,           ///< passing trouble: no answer, an unreadable one, 500/502/503/504
  slow_down,       ///< 429: passing, and the run sends faster than the tenant takes
  refresh_token,   ///< 401: the token was refused; refreshed once, then a failure
  forbidden,       ///< 403: the token lacks a scope, or the operation is not allowed
  not_found,       ///< 404: what is missing is read from the body (answer.hpp)
  action_refused,  ///< 400/405/501: the tenant lacks the action (binding falls back)
  fail,            ///< anything else (a redirect, a refused certificate, 409...): final
};

meaning meaning_of(const attempt_result& r) noexcept;

/// 401 and 403: a streak of them means the token is wrong for every user (the run aborts).
inline bool is_refusal(meaning m) noexcept {
  return m == meaning::refresh_token || m == meaning::forbidden;
}

/// No answer at all (refused, dropped, timed out): a streak of them means the tenant is gone.
inline bool is_silence(transport t) noexcept {
  return t == transport::connect_failed || t == transport::timeout || t == transport::dropped;
}

}  // namespace devreset::engine
