// Progress on stderr: a live bar when stderr is a terminal, a plain line every 10 s when
// it is not (cron, CI, Kubernetes logs), or nothing. The lines go through tell()
// (cli/log.hpp); the summary at the end is cli/summary.hpp's.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/run_stats.hpp"
#include "engine/runner.hpp"

namespace devreset::cli {

enum class progress_mode { automatic, bar, plain, none };
/// `automatic` resolved: a bar on a terminal, plain lines otherwise.
progress_mode resolve(progress_mode mode);

class progress final : public engine::run_observer {
 public:
  /// `total`: users expected (0 when unknown); a plain line every `interval`.
  progress(progress_mode mode, std::uint64_t total,
           std::chrono::milliseconds interval = std::chrono::seconds(10));

  /// Called by the engine about once a second.
  void on_progress(const engine::run_stats& s, double current_rate, bool lowered) override {
    update(s, current_rate, lowered);
  }
  void on_preflight_passed(const engine::run_stats& s) override;
  void update(const engine::run_stats& s, double current_rate, bool lowered);
  /// Ends the live line (before the summary is printed).
  void finish(const engine::run_stats& s);

  /// The line a person reads: "1200/5000 users  250/s  ETA 15s  ok 1190  failed 10", at most
  /// `max_width` characters (0: no limit): the rate note, then retries, then the ETA drop
  /// first, then the bar shrinks and goes; below that, a plain counter.
  static std::string line(const engine::run_stats& s, std::uint64_t total, double elapsed_s,
                          double current_rate, bool lowered, bool bar, std::size_t max_width = 0);

 private:
  progress_mode mode_;
  std::uint64_t total_;
  std::chrono::milliseconds interval_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_plain_{};
};

}  // namespace devreset::cli
