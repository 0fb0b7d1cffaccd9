// Progress lines and the summary text.
#include "cli/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <boost/json.hpp>

#include "io/device_type.hpp"
#include "io/json_text.hpp"
#include "io/text.hpp"

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

std::size_t terminal_columns(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  return ws.ws_col;
}

namespace {

log_style style = log_style::text;
std::string log_run_id;

}  // namespace

void set_log_style(log_style s) {
  style = s;
}
void set_log_run_id(std::string run_id) {
  log_run_id = std::move(run_id);
}

namespace {

// `text` as the log style writes it: as it is, each line timestamped, or each a JSON line.
std::string log_lines(std::string_view text) {
  if (style == log_style::text) return std::string(text);
  const auto now = io::format_utc(std::chrono::system_clock::now());
  std::string out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) continue;
    if (style == log_style::timestamped) {
      out += fmt::format("{} {}\n", now, line);
      continue;
    }
    boost::json::object o{{"time", now}, {"message", io::printable(line, 4096)}};
    if (!log_run_id.empty()) o["run_id"] = log_run_id;
    out += io::json_text(o) + "\n";
  }
  return out;
}

}  // namespace

void tell(std::string_view raw) {
  const auto lines = log_lines(raw);
  std::string_view text = lines;
  std::fflush(stderr);  // whatever stdio holds goes first, in order
  while (!text.empty()) {
    auto n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed, a dead pipe, a full disk: the run goes on without it
    text.remove_prefix(static_cast<std::size_t>(n));
  }
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

namespace {

std::string removed_text(const engine::run_stats& s) {
  const auto text = devices_removed_text(s.devices_removed, s.reset_by_action);
  return text.empty() ? text : "\n" + text;
}

// run --plan: what changed since the plan, and what it spared.
std::string plan_text(const engine::run_stats& s) {
  auto devices = [](std::uint64_t n) { return fmt::format("{} device{}", n, n == 1 ? "" : "s"); };
  auto text = fmt::format(
      "\nSince the plan: {} added (the ledger's added_since_plan), {} gone already;  every type "
      "listed again ({} the plan found empty);  nothing to remove: {} users",
      devices(s.added_since_plan), devices(s.gone_since_plan), s.types_empty_in_plan,
      s.users_nothing_planned);
  if (s.users_outside_types > 0) {
    text += fmt::format(";  left out: {} user{} with none of --types", s.users_outside_types,
                        s.users_outside_types == 1 ? "" : "s");
  }
  return text;
}

// A run that did nothing: why, in place of empty figures.
std::string nothing_done_text(const engine::run_stats& s, double elapsed_s) {
  if (s.skipped_done > 0) {  // --resume of a job that is done
    return fmt::format(
        "Nothing to do: every user of the input is done in this ledger already ({} users, "
        "--resume); a new reset takes a new ledger.\n",
        s.skipped_done);
  }
  return fmt::format("Nothing was done: the run ended before any request ({:.1f} s).\n", elapsed_s);
}

}  // namespace

std::string devices_removed_text(
    const std::array<std::uint64_t, io::device_type_count>& removed,
    const std::array<std::uint64_t, io::device_type_count>& by_action) {
  std::string counted, untold;
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (removed[i] > 0) counted += fmt::format("  {} {}", io::to_string(t), removed[i]);
    if (by_action[i] > 0)
      untold += fmt::format("{}{} {}", untold.empty() ? "" : ", ", io::to_string(t), by_action[i]);
  }
  if (counted.empty() && untold.empty()) return {};
  return fmt::format("Devices removed:{}{}", counted.empty() ? "  none counted" : counted,
                     untold.empty() ? std::string()
                                    : fmt::format("  (and by the reset action, which tells no "
                                                  "count, those of users: {})",
                                                  untold));
}

std::string summary_text(const engine::run_stats& s, double elapsed_s) {
  if (s.requests == 0 && s.users_done() == 0) return nothing_done_text(s, elapsed_s);
  std::string out = "Users:";
  for (auto st : {user_status::ok, user_status::planned, user_status::partial, user_status::failed,
                  user_status::not_found, user_status::invalid}) {
    auto n = s.user_count(st);
    if (n > 0 || st == user_status::ok) out += fmt::format("  {} {}", io::to_string(st), n);
  }
  if (s.duplicates > 0) out += fmt::format("  (duplicates skipped {})", s.duplicates);
  if (s.skipped_done > 0) out += fmt::format("  (already done {})", s.skipped_done);
  out += "\nTypes:";
  for (auto t : io::all_device_types) {
    const auto& by = s.types[static_cast<std::size_t>(t)];
    std::string parts;
    for (auto rs : {io::result_status::ok, io::result_status::planned, io::result_status::failed,
                    io::result_status::not_found}) {
      auto n = by[static_cast<std::size_t>(rs)];
      if (n > 0) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", io::to_string(rs), n);
    }
    if (!parts.empty()) out += fmt::format("  {} ({})", io::to_string(t), parts);
  }
  if (out.ends_with("\nTypes:")) out.resize(out.size() - 7);  // no type was done
  out += removed_text(s);
  if (s.user_count(user_status::planned) > 0) {
    // What a run would remove: the plan's answer to "how much is there?"
    std::string would;
    for (auto t : io::all_device_types) {
      const auto& by = s.types[static_cast<std::size_t>(t)];
      if (by[static_cast<std::size_t>(io::result_status::planned)] == 0) continue;
      would += fmt::format("{}{} {}", would.empty() ? "" : ", ", io::to_string(t),
                           s.devices_found[static_cast<std::size_t>(t)]);
    }
    out +=
        fmt::format("\nWould remove: {} devices (apply the plan with: devreset run --plan)", would);
  }
  if (s.from_plan) out += plan_text(s);
  auto ms = [&](double q) {
    return std::chrono::duration<double, std::milli>(s.latency.percentile(q)).count();
  };
  out += fmt::format(
      "\nRequests: {}  ({:.1f} a user)  retries {}  429s {}  transport errors {}\nLatency: p50 "
      "{:.1f} ms  p90 "
      "{:.1f} "
      "ms  p99 {:.1f} ms  p99.9 {:.1f} ms  max {:.1f} ms\nElapsed: {:.1f} s  ({:.0f} requests/s, "
      "{:.0f} users/s)\n",
      s.requests, s.requests_per_user(), s.retries, s.throttled, s.transport_errors, ms(0.5),
      ms(0.9), ms(0.99), ms(0.999),
      std::chrono::duration<double, std::milli>(s.latency.max()).count(), elapsed_s,
      elapsed_s > 0 ? static_cast<double>(s.requests) / elapsed_s : 0,
      elapsed_s > 0 ? static_cast<double>(s.users_done()) / elapsed_s : 0);
  if (s.tenant_allowed > 0) {
    out += fmt::format(
        "Rate: the tenant allowed ≈ {:.0f} requests/s (measured from its 429s, or "
        "as its RateLimit-Policy states)\n",
        s.tenant_allowed);
  }
  return out;
}

}  // namespace devreset::cli
