// A token source's own channel to the tenant: one exchange at a time, driven and counted.
#include "engine/token_channel.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "engine/detail/use_tuple.hpp"
#include "engine/request_machine.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using detail::use_tuple;

// The port of the channel's requests: the run's counters, the channel's backoff and stop.
class token_channel::port final : public request_port {
 public:
  port(token_channel& c, token_context* ctx, std::function<asio::awaitable<http_answer>()> send)
      : c_(c), send_(std::move(send)) {
    stats = ctx->stats;
  }
  bool stopped() const override { return c_.cancelled_; }
  asio::awaitable<void> wait_until(steady::time_point when) override {
    c_.backoff_->expires_at(when);
    co_await c_.backoff_->async_wait(use_tuple);
  }
  asio::awaitable<http_answer> send(const std::string&) override { return send_(); }
  read_answer read(const http_answer& a) override { return reader_.read(a); }
  double draw() override { return std::uniform_real_distribution<double>(0, 1)(c_.rng_); }

 private:
  token_channel& c_;
  std::function<asio::awaitable<http_answer>()> send_;
  answer_reader reader_;
};

void token_channel::open(token_context* ctx) {
  if (!done_) done_.emplace(ctx->executor);
  if (!conn_) conn_.emplace(ctx->executor, *ctx->host);
  if (!backoff_) backoff_.emplace(ctx->executor);
}

asio::awaitable<driven> token_channel::exchange(
    token_context* ctx, const retry_config& retry, http_method method,
    std::function<asio::awaitable<http_answer>()> send) {
  open(ctx);
  const auto profile = request_profile::token_endpoint(retry);
  request_feedback alone;  // no limiter, no streaks: the run's are for device calls
  request_machine m(profile, alone, method);
  port p(*this, ctx, std::move(send));
  co_return co_await drive(m, p, method);
}

void token_channel::begin(token_context* ctx) {
  open(ctx);
  in_flight_ = true;
  done_->expires_at(steady::time_point::max());
}

void token_channel::end() {
  in_flight_ = false;
  if (done_) done_->cancel();
}

asio::awaitable<void> token_channel::wait() {
  if (!in_flight_ || !done_) co_return;
  co_await done_->async_wait(use_tuple);  // cancelled when the exchange ends
}

void token_channel::cancel() {
  cancelled_ = true;
  if (conn_) conn_->close();
  if (backoff_) backoff_->cancel();
}

void token_channel::detach() {
  conn_.reset();
  backoff_.reset();
  done_.reset();
  cancelled_ = false;
}

}  // namespace devreset::engine
