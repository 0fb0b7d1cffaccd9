// The ledger's run record (a run's first line) and summary record (its last), beside the
// user records (io/ledger_record.hpp): what each holds, and its JSON. The engine fills them
// from its config and its counters; the JSON's field names are the ledger's format
// (docs/architecture.md, "Ledger").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "io/device_type.hpp"
#include "io/ledger_record.hpp"

namespace devreset::io {

/// {"record":"run",...}: what a run was asked to do, and of which tenant.
/// A cleanup by age, as the run record holds it: its "now" (the cut-offs' origin, epoch ms)
/// and its rules. A resumed run and a plan's run read it back and cut at the same time.
struct selection_record {
  std::int64_t now_ms = 0;
  std::optional<std::int64_t> unused_for_ms;         ///< --unused-for
  std::optional<std::int64_t> registered_before_ms;  ///< the registration cut-off, epoch ms
  std::optional<std::int64_t> registered_ago_ms;     ///< it was given as a duration before now
  bool remove_undated = false;                       ///< --undated remove
  /// The same rules: a duration compared as a duration (its cut-off moves with "now").
  bool same_rules(const selection_record& o) const {
    return unused_for_ms == o.unused_for_ms && registered_ago_ms == o.registered_ago_ms &&
           (registered_ago_ms || registered_before_ms == o.registered_before_ms) &&
           remove_undated == o.remove_undated;
  }
};
boost::json::object to_json(const selection_record& s);
/// A run record's "selection", read back; nullopt when it has none (or it cannot be read).
std::optional<selection_record> selection_of(const boost::json::object& run_record);

struct run_record {
  std::string run_id;
  std::string started_at;  ///< ISO-8601 UTC
  std::string mode;        ///< "plan" or "reset"
  std::string tenant;      ///< host[:port]
  std::string tenant_url;
  std::string am_path;
  bool tls_verify = true;
  int concurrency = 0;
  double rate = 0;
  int max_attempts = 0;
  bool verify = false;
  std::optional<std::string> proxy;  ///< as shown (no credentials)
  std::string version;
  std::string input;  ///< as the operator gave it
  std::string input_path;
  std::string input_format;
  std::uint64_t input_rows = 0;
  std::string delimiter;  ///< empty: none (null)
  std::vector<std::string> ignored_columns;
  std::string realm;
  std::string types;
  bool resume = false;
  std::optional<std::string> shard;  ///< "K/N"; none: every user
  bool demo = false;
  std::string user_path = "id";  ///< how device paths name users: "id" or "name"
  std::string users_at = "idm";  ///< where users are looked up: "idm" or "am" (AM's endpoint)
  struct plan_ref {
    std::string run_id;
    std::string path;
    std::string made_at;
    std::string sha256;
    bool strict = false;
  };
  std::optional<plan_ref> plan;               ///< run --plan: the plan applied
  std::optional<selection_record> selection;  ///< a cleanup by age
};
boost::json::object to_json(const run_record& r);

/// {"record":"summary",...}: how a run ended and what it did, in counts.
struct summary_record {
  std::string run_id;
  std::string end;  ///< "finished", "interrupted", "aborted"
  std::array<std::uint64_t, user_status_count> users{};
  std::array<std::array<std::uint64_t, result_status_count>, device_type_count> types{};
  std::array<std::uint64_t, device_type_count> devices_found{};
  std::array<std::uint64_t, device_type_count> devices_removed{};
  std::array<std::uint64_t, device_type_count> reset_by_action{};
  std::array<std::uint64_t, device_type_count> selected{};  ///< a cleanup by age
  std::array<std::uint64_t, device_type_count> kept_recent{};
  std::array<std::uint64_t, device_type_count> kept_undated{};
  std::uint64_t rows = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t skipped_done = 0;
  std::uint64_t other_shards = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t throttled_429 = 0;
  std::uint64_t transport_errors = 0;
  struct latency {
    double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;  ///< ms
  } latency_ms;
  double elapsed_s = 0;
  double requests_per_s = 0;
  double requests_per_user = 0;
  double tenant_allowed_per_s = 0;
  std::uint64_t connections = 0;
  std::optional<std::string> proxy;
  std::uint64_t tunnels = 0;
  std::uint64_t sign_ins = 0;  ///< AM sessions opened (a self-managed AM; 0 otherwise)
  std::string finished_at;     ///< ISO-8601 UTC
  struct plan_outcome {
    std::string run_id;
    std::uint64_t added_since_plan = 0;
    std::uint64_t gone_since_plan = 0;
    std::uint64_t types_empty_in_plan = 0;
    std::uint64_t users_nothing_to_remove = 0;
    std::uint64_t users_outside_types = 0;
  };
  std::optional<plan_outcome> plan;  ///< run --plan: what changed since the plan
  std::string reason;                ///< why it did not finish (empty: it did)
};
/// Numbers rounded to a tenth (the rates and latencies), statuses and types by name; types,
/// statuses and device counts that are zero are left out.
boost::json::object to_json(const summary_record& s);

}  // namespace devreset::io
