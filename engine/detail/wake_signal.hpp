// A condition to wait on without polling: coroutines wait until another part of the run
// says something changed. Single-threaded, like the run: the waiter checks its condition and
// starts its wait in one step, so no notification falls between the two.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "engine/detail/use_tuple.hpp"

namespace devreset::engine::detail {

/// A timer that never expires, cancelled to wake everyone waiting on it (its expiry stays:
/// the next wait waits again). The waiters check their condition again when woken.
class wake_signal {
 public:
  explicit wake_signal(const boost::asio::any_io_executor& ex)
      : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

  /// Until the next notify().
  boost::asio::awaitable<void> wait() {
    ++waiting_;
    co_await timer_.async_wait(use_tuple);
    --waiting_;
  }
  /// Wakes every waiter; nothing when none waits (the common case costs a compare).
  void notify() {
    if (waiting_ > 0) timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  int waiting_ = 0;
};

}  // namespace devreset::engine::detail
