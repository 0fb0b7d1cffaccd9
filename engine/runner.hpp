// A whole run: preflight, N worker coroutines on one io_context pulling jobs from the
// dispatcher, the shared rate limiter, retries, token refresh, the ledger, signals, and
// the run and summary records.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/json/object.hpp>

#include "engine/device_plan.hpp"
#include "engine/https_client.hpp"
#include "engine/retry_policy.hpp"
#include "engine/run_stats.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/user_type_map.hpp"

namespace devreset::engine {

struct run_config {
  std::string host;  ///< tenant host name or address
  std::string port = "443";
  std::string am_path = "/am";
  run_mode mode = run_mode::reset;
  int concurrency = 16;              ///< requests in flight (one connection each)
  double rate = 0;                   ///< requests per second ceiling; 0 = none
  double burst = 0;                  ///< 0: 10 ms worth (at least 1)
  std::uint64_t expected_users = 0;  ///< input rows when counted ahead: sizes the seen-set once
  retry_config retry;
  std::chrono::milliseconds timeout{30000};  ///< per request
  tls_settings tls;
  int page_size = 0;                       ///< _pageSize for list queries; 0 = the tenant's default
  int max_auth_failures = 5;               ///< consecutive 401/403 answers before the run aborts
  /// Requests in a row that got no answer at all (refused, dropped, timed out) before the
  /// run aborts as "the tenant stopped answering"; 0: max(64, 2 × concurrency).
  int max_transport_failures = 0;
  /// The first this many users all `not_found` (none ok) abort the run: a wrong tenant or
  /// realm, not a list of leavers. 0 turns the guard off.
  int not_found_guard = 20;
  std::chrono::milliseconds grace{10000};  ///< after Ctrl-C, for in-flight users
  bool handle_signals = true;              ///< SIGINT/SIGTERM stop the run gracefully
  std::string run_id;
  boost::json::object run_record;  ///< extra fields for the run record (input, realm...)
  std::chrono::milliseconds progress_interval{1000};
  /// Called every progress_interval and once at the end (current rate: 0 = unlimited).
  std::function<void(const run_stats&, double current_rate, bool lowered)> on_progress;
};

enum class run_end {
  finished,     ///< every job was done
  interrupted,  ///< Ctrl-C / SIGTERM
  aborted,      ///< auth failures, tenant unreachable, ledger failure
};

struct run_result {
  run_end end = run_end::finished;
  /// The run stopped in its preflight: no user was touched, and what it had written to the
  /// ledger was cut off again (the same command, fixed, starts afresh).
  bool preflight_failed = false;
  std::string reason;  ///< for aborted/interrupted: one printable line
  run_stats stats;
  std::uint64_t connections = 0;
  std::uint64_t resumed_sessions = 0;
  double elapsed_s = 0;

  /// DESIGN.md's exit codes: 0 all ok, 1 some not ok, 3 aborted or interrupted.
  int exit_code() const;
};

/// Runs the jobs of `reader` against the tenant, writing to `ledger`. `done` is the resume
/// index (or null). Throws only for broken invariants; failures come back in the result.
run_result run(const run_config& config, io::job_reader& reader, io::ledger_writer& ledger,
               const io::user_type_map* done, token_source& tokens);

/// The summary record of a run ({"record":"summary",...}).
boost::json::object summary_record(const run_config& config, const run_result& r);

}  // namespace devreset::engine
