// Counters of a run for progress, the summary and benchmarks: users and types by status,
// requests, retries, 429s, and a latency histogram. Cheap on the hot path: increments and
// one bucket index per request, no allocation.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "io/device_type.hpp"
#include "io/ledger_record.hpp"

namespace devreset::engine {

/// Latencies in log-linear buckets (128 per power of two, 1 µs to ~70 minutes, 32 KiB):
/// a percentile is its bucket's middle, within 0.4% of the true value (the way HdrHistogram
/// bounds its error); the maximum is kept exactly.
class latency_histogram {
 public:
  void record(std::chrono::nanoseconds d);
  /// The latency under which `q` (0..1) of the records fall; zero when empty.
  std::chrono::nanoseconds percentile(double q) const;
  std::chrono::nanoseconds max() const { return max_; }
  std::uint64_t count() const { return count_; }
  /// The sum of every latency recorded (a Prometheus summary's _sum).
  std::chrono::nanoseconds sum() const { return sum_; }

 private:
  static constexpr int sub_bits = 7;
  static constexpr int sub = 1 << sub_bits;
  static constexpr int octaves = 32;
  std::array<std::uint64_t, sub * octaves> buckets_{};
  std::uint64_t count_ = 0;
  std::chrono::nanoseconds max_{0};
  std::chrono::nanoseconds sum_{0};
};

struct run_stats {
  std::uint64_t rows_read = 0;     ///< input rows, valid or not
  std::uint64_t duplicates = 0;    ///< rows that added nothing new
  std::uint64_t skipped_done = 0;  ///< users whose types were all done (resume)
  std::uint64_t other_shards = 0;  ///< rows of users of other shards (--shard)
  std::array<std::uint64_t, io::user_status_count> users{};  ///< by io::user_status
  std::array<std::array<std::uint64_t, io::result_status_count>, io::device_type_count>
      types{};  ///< [device_type][result_status]
  std::array<std::uint64_t, io::device_type_count>
      devices_found{};  ///< [device_type]: listed (plan, list+delete)
  std::array<std::uint64_t, io::device_type_count>
      devices_removed{};  ///< [device_type]: type_result::removed()
  std::array<std::uint64_t, io::device_type_count>
      reset_by_action{};  ///< [device_type]: users reset, count untold
  /// A cleanup by age (run_config::selection): [device_type] devices selected to go (plan:
  /// would go), kept as used since the cut-off, kept as undated.
  bool by_age = false;
  std::array<std::uint64_t, io::device_type_count> selected{};
  std::array<std::uint64_t, io::device_type_count> kept_recent{};
  std::array<std::uint64_t, io::device_type_count> kept_undated{};
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t throttled = 0;  ///< 429 answers
  std::uint64_t transport_errors = 0;
  std::uint64_t auth_failures = 0;  ///< 401/403 answers
  std::uint64_t sign_ins = 0;       ///< AM sessions opened (self-managed AM; 0 otherwise)
  // run --plan: devices listed now and not in the plan, planned ones gone before the run,
  // types the plan found empty (listed again all the same), users with nothing to remove
  // (nothing planned, nothing registered since).
  bool from_plan = false;  ///< the run applies a plan
  std::uint64_t added_since_plan = 0;
  std::uint64_t gone_since_plan = 0;
  std::uint64_t types_empty_in_plan = 0;
  std::uint64_t users_nothing_planned = 0;
  std::uint64_t users_outside_types = 0;  ///< the plan's users with none of --types (left out)
  latency_histogram latency;
  /// The tenant's allowed rate as the rate controller measured it (or the tenant stated
  /// it), requests per second; 0 while the tenant has not pushed back.
  double tenant_allowed = 0;
  double policy_floored = 0;  ///< a RateLimit-Policy under 1 request/s, as stated (paced at 1/s)
  /// Users a tenant query said it holds (its totalPagedResults); 0: not known.
  std::uint64_t expected_users = 0;
  std::chrono::steady_clock::time_point started{};
  /// When the workers started, after the preflight, and the requests sent before then: a
  /// rate over the workers' time is the tenant's, not the preflight's round trips.
  std::chrono::steady_clock::time_point workers_started{};
  std::uint64_t preflight_requests = 0;

  void count_user(io::user_status s) { ++users[static_cast<std::size_t>(s)]; }
  void count_type(io::device_type t, io::result_status s) {
    ++types[static_cast<std::size_t>(t)][static_cast<std::size_t>(s)];
  }
  std::uint64_t users_done() const;
  /// Requests sent per user that reached the tenant (invalid rows never do).
  double requests_per_user() const;
  std::uint64_t user_count(io::user_status s) const { return users[static_cast<std::size_t>(s)]; }
};

}  // namespace devreset::engine
