// Progress lines (cli/progress.hpp).
#include "cli/progress.hpp"

#include "cli/log.hpp"
#include "cli/terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "io/device_type.hpp"

namespace devreset::cli {

using io::user_status;

progress_mode resolve(progress_mode mode) {
  if (mode != progress_mode::automatic) return mode;
  return ::isatty(STDERR_FILENO) ? progress_mode::bar : progress_mode::plain;
}

progress::progress(progress_mode mode, std::uint64_t total, std::chrono::milliseconds interval)
    : mode_(resolve(mode)), total_(total), interval_(interval) {
  last_plain_ = std::chrono::steady_clock::now();
}

void progress::on_preflight_passed(const engine::run_stats&) {
  if (mode_ == progress_mode::plain) {
    tell("devreset: preflight passed: the tenant answers, knows the realm and takes the token\n");
  }
}

namespace {

std::string eta_text(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  auto s = static_cast<long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

}  // namespace

namespace {

std::string bar_of(std::uint64_t done, std::uint64_t total, int width) {
  auto filled = static_cast<int>(
      width * std::min(1.0, static_cast<double>(done) / static_cast<double>(total)));
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), ' ') + "] ";
}

}  // namespace

std::string progress::line(const engine::run_stats& s, std::uint64_t total, double elapsed_s,
                           double current_rate, bool lowered, bool bar, std::size_t max_width) {
  if (total == 0) total = s.expected_users;  // a tenant query's count, once it gave one
  auto done = s.users_done() + s.skipped_done;
  auto ok = s.user_count(user_status::ok) + s.user_count(user_status::planned);
  auto bad = s.user_count(user_status::failed) + s.user_count(user_status::partial) +
             s.user_count(user_status::not_found) + s.user_count(user_status::invalid);
  double rate = elapsed_s > 0 ? static_cast<double>(s.users_done()) / elapsed_s : 0;
  // The fields, most important first; the least important go first when the line is long.
  const std::string counter = total > 0 ? fmt::format("{}/{} users", done, total)
                                        : fmt::format("{} users ({} rows read)", done, s.rows_read);
  const std::string speed = fmt::format("  {:.0f}/s", rate);
  const std::string counts = fmt::format("  ok {}  not ok {}", ok, bad);
  std::string eta, retries, note;
  if (total > 0 && rate > 0 && done < total) {
    eta = "  ETA " + eta_text(static_cast<double>(total - done) / rate);
  }
  if (s.retries > 0) retries = fmt::format("  retries {}", s.retries);
  if (lowered && s.tenant_allowed > 0) {
    note = fmt::format("  tenant allows ≈ {:.0f}/s (pacing {:.0f} req/s)", s.tenant_allowed,
                       current_rate);
  }
  int bar_width = bar && total > 0 ? 24 : 0;
  auto assemble = [&] {
    return (bar_width > 0 ? bar_of(done, total, bar_width) : std::string()) + counter + speed +
           eta + counts + retries + note;
  };
  auto out = assemble();
  if (max_width == 0 || out.size() <= max_width) return out;
  for (std::string* drop : {&note, &retries, &eta}) {
    drop->clear();
    if ((out = assemble()).size() <= max_width) return out;
  }
  while (bar_width > 8) {  // the bar shrinks, then goes
    --bar_width;
    if ((out = assemble()).size() <= max_width) return out;
  }
  bar_width = 0;
  if ((out = assemble()).size() <= max_width) return out;
  // A narrow terminal: a plain counter, cut to fit.
  out = total > 0 ? fmt::format("{}/{}", done, total) : fmt::format("{}", done);
  return out.substr(0, max_width);
}

void progress::update(const engine::run_stats& s, double current_rate, bool lowered) {
  if (mode_ == progress_mode::none) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - s.started).count();
  if (mode_ == progress_mode::bar) {
    // The width is read at every redraw (a resized terminal is followed within a second);
    // one column short of it, so that the cursor never wraps to a new line.
    const auto cols = terminal_columns(STDERR_FILENO);
    const std::size_t max = cols > 1 ? cols - 1 : 0;
    tell(fmt::format("\r{}\x1b[K", line(s, total_, elapsed, current_rate, lowered, true, max)));
    drawn_ = true;
  } else if (now - last_plain_ >= interval_) {
    last_plain_ = now;
    tell(fmt::format("devreset: {}\n", line(s, total_, elapsed, current_rate, lowered, false)));
  }
}

void progress::finish(const engine::run_stats& s) {
  if (mode_ == progress_mode::bar && drawn_) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
    const auto cols = terminal_columns(STDERR_FILENO);
    tell(fmt::format("\r{}\x1b[K\n",
                     line(s, total_, elapsed, 0, false, true, cols > 1 ? cols - 1 : 0)));
  }
}

}  // namespace devreset::cli
