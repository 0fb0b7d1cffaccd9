// Progress on stderr: a live bar when stderr is a terminal, a plain line every 10 s when
// it is not (cron, CI, Kubernetes logs), or nothing.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/run_stats.hpp"
#include "engine/runner.hpp"

namespace devreset::cli {

/// Writes `text` to stderr whole, and never fails: a closed stderr or a pipe whose reader
/// died (SIGPIPE is ignored) must not end a run or skip its ledger's summary record. In a
/// log (set_log_style), each line is stamped with the time, or is one JSON object.
void tell(std::string_view text);

/// How tell() writes lines: as they are (a terminal), each after an ISO-8601 UTC time (a
/// log a person reads later: cron, Kubernetes), or one JSON object a line ({"time", "run_id",
/// "message"}: for log shippers).
enum class log_style { text, timestamped, json };
void set_log_style(log_style style);
/// The run id that JSON lines carry (empty: none yet).
void set_log_run_id(std::string run_id);

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

/// The columns of the terminal on `fd`; 0 when it is not one.
std::size_t terminal_columns(int fd);

/// The end-of-run summary for people (stderr).
std::string summary_text(const engine::run_stats& s, double elapsed_s);

/// "Devices removed:  webauthn 39  (and by the reset action, which tells no count, those of
/// users: oath 480)": devices removed by type, and the users whose devices a bare reset action
/// removed (AM does not say how many); empty when neither. The run's summary and report say
/// it alike.
std::string devices_removed_text(const std::array<std::uint64_t, io::device_type_count>& removed,
                                 const std::array<std::uint64_t, io::device_type_count>& by_action);

}  // namespace devreset::cli
