// A whole run, as a library call: preflight, N workers on one io_context pulling jobs from
// the dispatcher, the ledger, the run and summary records. The caller owns the process: it
// handles signals and asks the run to stop through a `run_control`; it shows progress
// through a `run_observer`. The engine prints nothing and never exits the process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/device_selection.hpp"
#include "engine/errors.hpp"
#include "engine/https_client.hpp"
#include "engine/idm_lookup.hpp"
#include "engine/retry_policy.hpp"
#include "engine/run_mode.hpp"
#include "engine/run_stats.hpp"
#include "engine/tenant_input.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/proxy.hpp"
#include "io/shard.hpp"
#include "io/user_type_map.hpp"

namespace devreset::engine {

/// What the run record says of the run's input (typed; the engine also names the input in
/// the error of a row it cannot read past).
struct run_input {
  std::string name;                          ///< as the operator gave it
  std::string path;                          ///< absolute (for `report` to read it again)
  std::string format;                        ///< csv, json, jsonl
  std::uint64_t rows = 0;                    ///< counted ahead (0: not counted)
  std::string realm;                         ///< the default realm path of rows that name none
  std::string types;                         ///< the default types, "oath,push"
  bool resume = false;                       ///< a --resume of the ledger
  bool demo = false;                         ///< `devreset demo`
  std::string delimiter;                     ///< CSV: the separator found or given (",", ";", "\t")
  std::vector<std::string> ignored_columns;  ///< CSV: header names that are no field
  /// run --plan: the plan applied (its run id, file, time); empty run_id: no plan
  struct plan_facts {
    std::string run_id;
    std::string path;
    std::string made_at;
    std::string sha256;  ///< of the plan file as read (what was reviewed is what is applied)
  } plan{};
};

/// Plain data: where the tenant is, how hard to push it, when to give up.
struct run_config {
  std::string host;  ///< tenant host name or address
  std::string port = "443";
  std::string am_path = "/am";
  std::string idm_path = "/openidm";  ///< IDM context path (users named by user name or mail)
  std::string managed_user;           ///< managed user object (empty: "<realm>_user")
  std::string managed_group;          ///< managed group object (empty: "<realm>_group")
  /// Where users named otherwise are looked up, and what names them in the paths.
  user_directory directory;
  /// A cleanup by age: only the devices it selects are removed, one DELETE each (empty: every
  /// device of the types, as a reset).
  device_selection selection;
  std::optional<io::proxy_config> proxy;  ///< the proxy to tunnel through (none: direct)
  run_mode mode = run_mode::reset;
  bool verify = false;
  /// run --plan: remove only the device ids the plan listed (the rest is recorded)
  bool plan_strict = false;
  /// The users come from the tenant (`--query`, `--group`): then the reader given to run()
  /// is an engine::query_reader, filled as the pages come.
  tenant_query source;   ///< list each type again after its reset; devices left: the type fails
  io::shard shard;       ///< --shard K/N: only this shard's users
  int concurrency = 16;  ///< requests in flight (one connection each)
  double rate = 0;       ///< requests per second ceiling; 0 = none
  double burst = 0;      ///< 0: 10 ms worth (at least 1)
  std::uint64_t expected_users = 0;  ///< input rows when counted ahead: sizes the seen-set once
  retry_config retry;
  std::chrono::milliseconds timeout{30000};  ///< per request
  tls_settings tls;
  int page_size = 0;          ///< _pageSize for list queries; 0 = the tenant's default
  int max_auth_failures = 5;  ///< consecutive 401/403 answers before the run aborts
  /// Requests in a row that got no answer at all (refused, dropped, timed out) before the
  /// run aborts as "the tenant stopped answering"; 0: max(64, 2 × concurrency).
  int max_transport_failures = 0;
  /// The first this many users all `not_found` (none ok) abort the run: a wrong tenant or
  /// realm, not a list of leavers. 0 turns the guard off.
  int not_found_guard = 20;
  std::string run_id;
  run_input input;
  std::chrono::milliseconds progress_interval{1000};
};

/// Sees the run as it goes (on the run's thread).
class run_observer {
 public:
  virtual ~run_observer() = default;
  /// Every progress_interval and once at the end (current rate: 0 = unlimited).
  virtual void on_progress(const run_stats& stats, double current_rate, bool lowered) = 0;
  /// Once, when the preflight passed and the workers start.
  virtual void on_preflight_passed(const run_stats& /*stats*/) {}
};

namespace detail {
struct run_state;
}

/// Stops a run from outside, from any thread (a signal handler's): the requests are carried
/// into the run's event loop. Requests made before the run starts apply when it does.
class run_control {
 public:
  /// Take no new users; cancel what is still in flight after `grace`.
  void stop(std::chrono::milliseconds grace);
  /// Cancel everything in flight now: the run ends at once with what it has written.
  void stop_now();

  /// For engine::run: where requests go while the run lasts (posted into its event loop).
  void attach(std::function<void(bool now, std::chrono::milliseconds grace)> deliver);
  void detach();

 private:
  std::mutex mutex_;
  std::function<void(bool, std::chrono::milliseconds)> deliver_;
  bool pending_ = false;
  bool pending_now_ = false;
  std::chrono::milliseconds pending_grace_{0};
};

enum class run_end {
  finished,     ///< every job was done
  interrupted,  ///< a stop request (Ctrl-C, SIGTERM)
  aborted,      ///< auth failures, tenant unreachable or silent, ledger failure...
};

struct run_result {
  run_end end = run_end::finished;
  std::error_code error;  ///< why it did not finish (run_error); empty when it did
  std::string reason;     ///< the same, for people: one printable line
  /// The run stopped in its preflight: no user was touched, and what it had written to the
  /// ledger was cut off again (the same command, fixed, starts afresh).
  bool preflight_failed = false;
  run_stats stats;
  std::uint64_t connections = 0;
  std::uint64_t tunnels = 0;  ///< CONNECT tunnels through the proxy (one per connection)
  std::uint64_t resumed_sessions = 0;
  double elapsed_s = 0;
  /// What the run tells the operator once it is over ("signed out of AM (...)").
  std::vector<std::string> notes;

  /// The exit codes: 0 all ok, 1 some not ok, 3 aborted or interrupted. `not_found_ok`:
  /// users the tenant does not know count as ok (a stale list is no failed Job).
  int exit_code(bool not_found_ok = false) const;
};

/// Runs the jobs of `reader` against the tenant, writing to `ledger`. `done` is the resume
/// index (or null). Throws only for broken invariants; failures come back in the result.
run_result run(const run_config& config, io::job_reader& reader, io::ledger_writer& ledger,
               const io::user_type_map* done, token_source& tokens, run_control* control = nullptr,
               run_observer* observer = nullptr);

/// The run record of a run ({"record":"run",...}).
boost::json::object run_record(const run_config& config);
/// The summary record of a run ({"record":"summary",...}).
boost::json::object summary_record(const run_config& config, const run_result& r);

}  // namespace devreset::engine
