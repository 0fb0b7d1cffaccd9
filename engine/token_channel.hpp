// What a token source that talks to the tenant owns (a service account's token endpoint, an
// AM session's sign-in): its own connection, its backoff timer, its stop, and one exchange in
// flight at a time with the others waiting for it. Its requests are driven like every other
// (engine/request_driver.hpp), counted in the run's figures, by a profile whose 401 is final.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <optional>
#include <random>

#include "engine/answer.hpp"
#include "engine/https_client.hpp"
#include "engine/request_driver.hpp"
#include "engine/token_source.hpp"

namespace devreset::engine {

class token_channel {
 public:
  token_channel() : rng_(std::random_device{}()) {}

  /// One exchange: `send` makes each attempt over conn(); retried and counted as the token
  /// endpoint's profile says (`retry`: the run's attempts and backoff).
  boost::asio::awaitable<driven> exchange(
      token_context* ctx, const retry_config& retry, http_method method,
      std::function<boost::asio::awaitable<http_answer>()> send);
  https_connection& conn() { return *conn_; }

  /// One exchange in flight at a time: begin() before it, end() after (waking the waiters).
  void begin(token_context* ctx);
  void end();
  bool in_flight() const { return in_flight_; }
  /// Until the exchange in flight ends (at once when none is).
  boost::asio::awaitable<void> wait();

  /// The run stops at once: what is in flight fails now.
  void cancel();
  bool cancelled() const { return cancelled_; }
  /// A request after the run's stop (a sign-out): the channel may send again.
  void resume() { cancelled_ = false; }
  /// The run's io_context goes: drop every I/O object made on it.
  void detach();

 private:
  class port;
  void open(token_context* ctx);

  std::mt19937_64 rng_;
  bool in_flight_ = false;
  bool cancelled_ = false;
  std::optional<boost::asio::steady_timer> done_;
  std::optional<boost::asio::steady_timer> backoff_;
  std::optional<https_connection> conn_;
};

}  // namespace devreset::engine
