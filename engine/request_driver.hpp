// The one driver of request machines: every request of a run (a device call, a look-up, a
// page of a tenant query, a preflight read, the token endpoint's exchange) is one
// `request_machine` whose actions `drive` performs through a small port: how to send, how
// to wait, whether the run stopped. The token source and the run's counters come with the
// port, so every attempt of every kind of request is counted the same way.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "engine/answer.hpp"
#include "engine/errors.hpp"
#include "engine/request.hpp"
#include "engine/request_machine.hpp"
#include "engine/run_stats.hpp"
#include "engine/token_source.hpp"

namespace devreset::engine {

/// What a driver needs of the world around one kind of request.
class request_port {
 public:
  using steady = std::chrono::steady_clock;

  /// True when the request should end now, unanswered (the run, or the token source, stops).
  virtual bool stopped() const = 0;
  /// Waits until `when` (a backoff, a rate slot); cut short by a stop.
  virtual boost::asio::awaitable<void> wait_until(steady::time_point when) = 0;
  /// One attempt, with `token` (empty for a request that sends none).
  virtual boost::asio::awaitable<http_answer> send(const std::string& token) = 0;
  /// Reads an answer (its parsed body lives until the next read).
  virtual read_answer read(const http_answer& a) = 0;
  /// A uniform draw in [0, 1), for the backoff's jitter.
  virtual double draw() = 0;

  token_source* tokens = nullptr;      ///< where get_token goes (none: no request asks)
  token_context* token_ctx = nullptr;  ///< what the token source needs of the run
  run_stats* stats = nullptr;          ///< where attempts and retries are counted (none: not)

 protected:
  ~request_port() = default;
};

/// How a driven request ended.
struct driven {
  enum class end { answered, aborted, stopped };
  end how = end::stopped;
  final_answer answer;  ///< answered: the final answer (its body lives as long as the port)
  run_error error{};    ///< aborted: the run's error
  std::string reason;   ///< aborted: for people
  http_answer last;     ///< the last attempt's answer, or how it failed (empty before one)
  std::chrono::steady_clock::time_point sent_at{};  ///< when the last attempt went out
};

/// One attempt into the run's counters: requests, latency, transport errors, 429s, refusals.
void count_attempt(run_stats& stats, const http_answer& a, std::chrono::nanoseconds took);

/// Performs `m`'s actions for one request until it ends: its final answer, an abort (the
/// run's streaks, a token that cannot be had), or a stop.
boost::asio::awaitable<driven> drive(request_machine& m, request_port& port, http_method method);

}  // namespace devreset::engine
