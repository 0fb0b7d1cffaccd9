// One request, driven to its final answer: a sans-io state machine. Events go in (start, a
// wait is over, a token is ready or not, an answer or a transport outcome came), actions come
// out (wait until, get a token, send, finish with the final answer, abort the run). It owns
// the attempts, the one token refresh after a 401, the rate limiter's feedback and the run's
// streaks of refusals and silence. What retries is data: a `request_profile`. The worker's
// device calls, the preflight and the token endpoint are its three profiles; one coroutine,
// `drive` (engine/request_driver.hpp), performs the actions of every one.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "engine/answer.hpp"
#include "engine/errors.hpp"
#include "engine/rate_limiter.hpp"
#include "engine/request.hpp"
#include "engine/retry_policy.hpp"

namespace devreset::engine {

/// Which outcomes of a kind of request retry, and what else it takes part in.
struct request_profile {
  retry_config retry;
  bool rate_limited = true;      ///< takes a slot of the run's limiter, tells it of 429s
  bool uses_token = true;        ///< sends the bearer token; a 401 gets it refreshed once
  bool retry_unreadable = true;  ///< an answer that came but could not be read is tried again
  bool counts_streaks = true;    ///< feeds the run's streaks of refusals and of silence

  /// A worker's device call: everything on.
  static request_profile device(const retry_config& r) { return {r, true, true, true, true}; }
  /// The preflight's reads: no slot, no streaks, and an unreadable answer is final (it
  /// proves the tenant is there; the workers record it per user).
  static request_profile preflight(const retry_config& r, bool with_token) {
    return {r, false, with_token, false, false};
  }
  /// The token endpoint's exchange (no bearer token: a 401 is final).
  static request_profile token_endpoint(const retry_config& r) {
    return {r, false, false, true, false};
  }
};

/// What all the requests of a run share: the limiter, and the streaks that abort a run.
struct request_feedback {
  rate_limiter* limiter = nullptr;
  int max_refusals = 5;  ///< 401/403 answers in a row that abort the run
  /// Whether a 401 that a new token may still cure counts in that streak (false for AM
  /// sessions, which end unannounced: every worker meets the end at once, and one sign-in
  /// cures them all).
  bool count_curable_refusals = true;
  int max_silence = 64;  ///< requests in a row without any answer that abort the run
  int refusals = 0;
  int silence = 0;
  std::chrono::system_clock::time_point silent_since{};
};

class request_machine {
 public:
  using steady = std::chrono::steady_clock;
  using wall = std::chrono::system_clock;

  struct action {
    enum class kind { wait, get_token, send, finish, abort };
    kind what = kind::finish;
    steady::time_point until{};  ///< wait: until then
    bool retrying = false;       ///< wait: a backoff before another attempt
    std::string rejected;        ///< get_token: the token the tenant refused (empty: any)
    final_answer answer;         ///< finish
    run_error error{};           ///< abort
    std::string reason;          ///< abort: for people
  };

  request_machine(const request_profile& profile, request_feedback& feedback,
                  http_method method = http_method::get);

  /// A new request (a machine is reused request after request: nothing is allocated anew).
  action start(steady::time_point now, http_method method);
  action start(steady::time_point now) { return start(now, method_); }
  /// The wait the last action asked for is over.
  action on_waited(steady::time_point now);
  /// The token asked for: `trouble` says why there is none, else `token` is it.
  action on_token(const problem& trouble, std::string_view token, steady::time_point now);
  /// The answer to the send (or how it failed), read; `random01` draws the backoff's jitter.
  action on_answer(const http_answer& a, const read_answer& r, steady::time_point now,
                   wall::time_point wall_now, double random01);

  /// The token to send (valid after get_token).
  const std::string& token() const { return token_; }

 private:
  enum class phase { slot, backoff, token, refresh, send, done };
  action next_attempt(steady::time_point now);
  action take_slot(steady::time_point now);
  action ask_token(phase next, std::string rejected);
  action finish(const decision& d, const read_answer& r, const http_answer& a);
  action abort(run_error e, std::string reason);
  /// The run's streaks; an abort when one is long enough.
  bool streaks(const attempt_result& ar, wall::time_point wall_now, std::string_view detail,
               action& out);

  const request_profile& profile_;
  request_feedback& feedback_;
  retry_policy policy_;
  http_method method_;
  phase phase_ = phase::slot;
  rate_limiter::slot slot_{};
  int attempt_ = 0;
  int throttled_ = 0;  // 429 answers to this request so far
  bool refreshed_ = false;
  std::string token_;
};

}  // namespace devreset::engine
