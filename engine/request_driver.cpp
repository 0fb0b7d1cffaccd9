// The one driver of request machines (engine/request_driver.hpp).
#include "engine/request_driver.hpp"

#include "engine/status_table.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using kind = request_machine::action::kind;

void count_attempt(run_stats& stats, const http_answer& a, std::chrono::nanoseconds took) {
  ++stats.requests;
  stats.latency.record(took);
  if (a.how != transport::ok) ++stats.transport_errors;
  const auto m = meaning_of(outcome_of(a));
  if (m == meaning::slow_down) ++stats.throttled;
  if (is_refusal(m)) ++stats.auth_failures;
}

namespace {

// The token for the machine: at once when the source has a good one (the hot path: no
// coroutine), else after the source got one (or said why it cannot).
asio::awaitable<request_machine::action> with_token(request_machine& m, request_port& port,
                                                    const std::string& rejected) {
  auto trouble = co_await port.tokens->ensure(port.token_ctx, rejected);
  co_return m.on_token(trouble, port.tokens->token(), steady::now());
}

}  // namespace

asio::awaitable<driven> drive(request_machine& m, request_port& port, http_method method) {
  driven out;
  auto act = m.start(steady::now(), method);
  for (;;) {
    if (port.stopped()) co_return out;
    switch (act.what) {
      case kind::wait:
        if (act.retrying && port.stats != nullptr) ++port.stats->retries;
        co_await port.wait_until(act.until);
        act = m.on_waited(steady::now());
        break;
      case kind::get_token:
        if (act.rejected.empty() && port.tokens->ready()) {
          act = m.on_token({}, port.tokens->token(), steady::now());
        } else {
          act = co_await with_token(m, port, act.rejected);
        }
        break;
      case kind::send: {
        out.sent_at = steady::now();
        out.last = co_await port.send(m.token());
        const auto end = steady::now();
        if (port.stopped()) co_return out;
        if (port.stats != nullptr) count_attempt(*port.stats, out.last, end - out.sent_at);
        act = m.on_answer(out.last, port.read(out.last), end, std::chrono::system_clock::now(),
                          port.draw());
        break;
      }
      case kind::finish:
        out.how = driven::end::answered;
        out.answer = std::move(act.answer);
        co_return out;
      case kind::abort:
        out.how = driven::end::aborted;
        out.error = act.error;
        out.reason = std::move(act.reason);
        co_return out;
    }
  }
}

}  // namespace devreset::engine
