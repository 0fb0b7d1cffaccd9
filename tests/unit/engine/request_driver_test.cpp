// The one driver of request machines, through a scripted port: no sockets, waits skipped.
// What it owes every kind of request: each attempt and retry counted alike, the token from
// the source (the hot path when it is ready), an end for a stop and for an abort.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <deque>
#include <memory>
#include <optional>

#include "engine/request_driver.hpp"

namespace devreset::engine {
namespace {

namespace asio = boost::asio;

http_answer answer(int status, std::string body = R"({"result":true})") {
  http_answer a;
  a.status = status;
  a.body = std::move(body);
  a.content_type = "application/json";
  return a;
}

// Answers from a script; records the tokens sent; stops after `stop_after` sends.
class scripted_port final : public request_port {
 public:
  explicit scripted_port(std::deque<http_answer> script) : script_(std::move(script)) {}
  bool stopped() const override { return sent.size() >= stop_after; }
  asio::awaitable<void> wait_until(steady::time_point) override {
    ++waits;
    co_return;
  }
  asio::awaitable<http_answer> send(const std::string& token) override {
    sent.push_back(token);
    auto a = script_.front();
    script_.pop_front();
    co_return a;
  }
  read_answer read(const http_answer& a) override { return reader_.read(a); }
  double draw() override { return 0.5; }

  std::vector<std::string> sent;
  std::size_t stop_after = 1000;
  int waits = 0;

 private:
  std::deque<http_answer> script_;
  answer_reader reader_;
};

// A token source with no token to give.
class no_token final : public token_source {
 public:
  const std::string& token() override { return none_; }
  bool refresh() override { return false; }
  std::string describe() const override { return "nowhere"; }
  bool ready() const override { return false; }
  asio::awaitable<problem> ensure(token_context*, std::string) override {
    co_return problem{run_error::no_token, "the token endpoint is down"};
  }

 private:
  std::string none_;
};

retry_config fast() {
  retry_config r;
  r.max_attempts = 3;
  r.backoff_base = std::chrono::milliseconds(1);
  r.backoff_cap = std::chrono::milliseconds(2);
  return r;
}

driven run(request_machine& m, request_port& port) {
  asio::io_context io;
  std::optional<driven> out;
  asio::co_spawn(io, drive(m, port, http_method::get), [&](std::exception_ptr e, driven d) {
    if (e) std::rethrow_exception(e);
    out = std::move(d);
  });
  io.run();
  return std::move(*out);
}

// A device call's machine, its static token and its counters, around a scripted port.
struct device_call {
  explicit device_call(std::deque<http_answer> script) : port(std::move(script)) {
    port.tokens = tokens.get();
    port.stats = &stats;
  }
  driven go() { return run(machine, port); }

  std::unique_ptr<token_source> tokens = make_static_token("tok-1", "test");
  scripted_port port;
  run_stats stats;
  request_profile profile = request_profile::device(fast());
  request_feedback feedback;
  request_machine machine{profile, feedback};
};

TEST(RequestDriver, CountsEveryAttemptAndEveryRetryAlike) {
  device_call call({answer(503, "{}"), answer(429, "{}"), answer(200)});
  auto d = call.go();
  const auto& stats = call.stats;
  const auto& port = call.port;
  ASSERT_EQ(d.how, driven::end::answered);
  EXPECT_EQ(d.answer.what, final_answer::kind::ok);
  EXPECT_EQ(d.answer.attempts, 3);
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(stats.latency.count(), 3u);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.throttled, 1u);
  EXPECT_EQ(port.waits, 2);
  EXPECT_EQ(port.sent, (std::vector<std::string>{"tok-1", "tok-1", "tok-1"}));
  EXPECT_EQ(d.last.status, 200);
}

TEST(RequestDriver, ARequestThatSendsNoTokenAsksNone) {
  scripted_port port({answer(200)});  // no token source at all: none may be asked for
  run_stats stats;
  port.stats = &stats;
  const auto profile = request_profile::token_endpoint(fast());
  request_feedback alone;
  request_machine m(profile, alone, http_method::post);
  auto d = run(m, port);
  ASSERT_EQ(d.how, driven::end::answered);
  EXPECT_EQ(port.sent, (std::vector<std::string>{""}));
  EXPECT_EQ(stats.requests, 1u);
}

TEST(RequestDriver, AStopEndsTheRequestUnansweredAndUncounted) {
  device_call call({answer(503, "{}"), answer(200)});
  call.port.stop_after = 1;  // the run stops while the first attempt is out
  auto d = call.go();
  EXPECT_EQ(d.how, driven::end::stopped);
  EXPECT_EQ(call.port.sent.size(), 1u);
  EXPECT_EQ(call.stats.requests, 0u) << "an answer that came after the stop is nobody's";
}

TEST(RequestDriver, ATokenThatCannotBeHadAbortsWithTheSourcesWords) {
  device_call call({});
  no_token tokens;
  call.port.tokens = &tokens;
  auto d = call.go();
  ASSERT_EQ(d.how, driven::end::aborted);
  EXPECT_EQ(d.error, run_error::no_token);
  EXPECT_NE(d.reason.find("the token endpoint is down"), std::string::npos) << d.reason;
  EXPECT_TRUE(call.port.sent.empty());
}

}  // namespace
}  // namespace devreset::engine
