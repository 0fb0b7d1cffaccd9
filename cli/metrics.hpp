// --metrics-file: the run's figures in Prometheus' text format for node_exporter's textfile
// collector, written whole (a temporary file renamed over the old one) every
// --progress-interval and at the end.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "engine/runner.hpp"

namespace devreset::cli {

/// What the metrics say of the run besides its counters.
struct metrics_facts {
  std::string run_id, tenant, realm, mode;
  std::chrono::system_clock::time_point started{};
  std::uint64_t expected_users = 0;
};

/// The text exposition of `s` (`exit_code`: the run's, once it ended; `tenant_allowed`: the
/// rate the tenant allowed, 0 when it never pushed back).
std::string metrics_text(const metrics_facts& facts, const engine::run_stats& s,
                         std::optional<int> exit_code, double elapsed_s);

/// Passes the run's progress on to `next` and writes the metrics file every `interval`.
class metrics_file final : public engine::run_observer {
 public:
  metrics_file(std::filesystem::path path, metrics_facts facts, std::chrono::milliseconds interval,
               engine::run_observer& next);
  void on_progress(const engine::run_stats& s, double current_rate, bool lowered) override;
  void on_preflight_passed(const engine::run_stats& s) override { next_.on_preflight_passed(s); }
  /// The last write, with the exit code.
  void finish(const engine::run_stats& s, int exit_code, double elapsed_s);

 private:
  void write(const std::string& text);

  std::filesystem::path path_;
  metrics_facts facts_;
  std::chrono::milliseconds interval_;
  engine::run_observer& next_;
  std::chrono::steady_clock::time_point last_{};
  bool warned_ = false;
};

}  // namespace devreset::cli
