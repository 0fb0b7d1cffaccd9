// What the parts of a run share (runner.cpp, worker.cpp, preflight.cpp): the config, the
// io_context, the host, the limiter and streaks, the dispatcher, the ledger, and how the run
// stops. Internal to the engine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <stop_token>
#include <string>

#include "engine/detail/query_source.hpp"
#include "engine/detail/storm_guard.hpp"
#include "engine/detail/wake_signal.hpp"
#include "engine/dispatcher.hpp"
#include "engine/idm_lookup.hpp"
#include "engine/rate_limiter.hpp"
#include "engine/request_driver.hpp"
#include "engine/request_machine.hpp"
#include "engine/runner.hpp"
#include "engine/tenant_input.hpp"
#include "io/tenant_path.hpp"

namespace devreset::engine::detail {

struct run_state {
  run_state(const run_config& c, boost::asio::io_context& io, io::job_reader& reader,
            io::ledger_writer& l, const io::user_type_map* done, token_source& t, run_result& r);

  const run_config& cfg;
  boost::asio::io_context& ioc;
  io::ledger_writer& ledger;
  token_source& tokens;
  run_result& result;
  https_host host;
  rate_limiter limiter;
  request_profile device_profile;
  request_feedback feedback;  // the limiter and the run's streaks, shared by every request
  dispatcher disp;
  io::tenant_paths paths;
  std::mt19937_64 rng;
  boost::asio::steady_timer grace;
  token_context tctx;
  wake_signal jobs_changed;  // a page came, a look-up ended, the input ended, the run stops

  std::optional<io::job> first_job;   // read by the preflight, done by the first worker
  std::optional<query_source> query;  // the input, when it is a tenant query (cfg.source)
  std::deque<io::job> ready;          // users a look-up resolved: for any worker, before the input
  lookup_batches lookups;             // users named otherwise, waiting for a look-up's worth
  int lookups_in_flight = 0;          // look-ups sent: their users will be `ready`
  bool flush_posted = false;
  bool stopping = false;        // take no new users
  std::stop_source hard_stop;   // cancel what is in flight: every worker's callback runs
  storm_guard guard;            // the first users all not found: a wrong tenant or realm
  io::type_set action_refused;  // types whose reset action the tenant refused once: list + delete

  double draw() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
  bool cancelled() const { return hard_stop.stop_requested(); }

  /// Ends the run's intake with `why` (the first reason wins).
  void stop(run_end why, run_error code, std::string reason);
  /// Stops and cancels everything in flight.
  void abort(run_error code, std::string reason);
  /// A stop request from outside (run_control), on the run's thread.
  void stop_request(bool now, std::chrono::milliseconds grace_period);

  /// Adds a user record to the ledger's batch, flushed at the end of this event-loop pass.
  void write_record(const io::user_record& rec);
  void flush_ledger();
  /// The next job, or nullopt (at the end, or after a turn's worth of rows that were not jobs).
  std::optional<io::job> next_job();
  bool more_jobs() const {
    return !stopping &&
           (!disp.ended() || !ready.empty() || !lookups.empty() || lookups_in_flight > 0);
  }
  /// No job now, but some to come: a tenant query's next page, or a look-up's users. The
  /// workers wait on `jobs_changed` for them.
  bool jobs_on_their_way() const {
    return ready.empty() && (disp.waiting() || (disp.ended() && lookups_in_flight > 0));
  }
  /// The storm guard: the first users of a run all "not found" mean a wrong tenant or realm.
  void note_user(io::user_status st);

  /// The run: the preflight and the workers (`work`) in one parallel group with the ticker
  /// (`tick`), which ends when the work does (runner.cpp).
  boost::asio::awaitable<void> start(run_observer* observer);
  boost::asio::awaitable<void> work(run_observer* observer);
  /// The host, the tenant query's first page, the first user's devices.
  boost::asio::awaitable<void> preflight_all();
  /// Progress and the ledger's sync, once a --progress-interval.
  boost::asio::awaitable<void> tick(run_observer* observer);
  /// Every worker (and the query's feeder), run to its end as one parallel group (worker.cpp).
  boost::asio::awaitable<void> run_workers();
  /// Waits on `timer` until `when`; skipped (or cut short) by a hard stop.
  boost::asio::awaitable<void> sleep_until(boost::asio::steady_timer* timer,
                                           std::chrono::steady_clock::time_point when);
};

/// A connection, its timer and the reader of its answers, for as long as a worker or the
/// preflight lives. A hard stop closes the connection and cancels the timer (the stop
/// callback is registered for the object's life, and runs at once if the stop came first).
struct stoppable_connection {
  explicit stoppable_connection(run_state* s);
  stoppable_connection(const stoppable_connection&) = delete;
  stoppable_connection& operator=(const stoppable_connection&) = delete;

  https_connection conn;
  boost::asio::steady_timer timer;
  answer_reader answers;
  std::stop_callback<std::function<void()>> on_stop;
};

/// The port of requests sent over a stoppable connection (engine/request_driver.hpp): the
/// run's token, counters and stop, the request aimed at. The preflight stops at a soft stop
/// too (nothing has started that a grace could finish); a worker only at a hard one.
class connection_port final : public request_port {
 public:
  connection_port(run_state* s, stoppable_connection* c, bool soft_stop);
  void aim(const planned_request& req) { req_ = &req; }

  bool stopped() const override;
  boost::asio::awaitable<void> wait_until(steady::time_point when) override;
  boost::asio::awaitable<http_answer> send(const std::string& token) override;
  read_answer read(const http_answer& a) override { return c_->answers.read(a); }
  double draw() override;

 private:
  run_state* s_;
  stoppable_connection* c_;
  const planned_request* req_ = nullptr;
  bool soft_stop_;
};

/// What one worker (or the tenant query's reader) owns: a stoppable connection, a request
/// machine of the device profile and its port, reused request after request.
struct worker_ctx : stoppable_connection {
  explicit worker_ctx(run_state* s);
  /// One request, driven to its final answer; nothing when the run stopped it (an abort is
  /// the run's).
  boost::asio::awaitable<std::optional<final_answer>> execute(const planned_request& req);

  run_state* run;
  request_machine machine;
  connection_port port;
};

/// The preflight: empty when the run may start, else why not (and the code).
boost::asio::awaitable<problem> preflight(run_state* s, const io::job& first);

}  // namespace devreset::engine::detail
