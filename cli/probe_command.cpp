// `devreset probe`: how fast can this tenant take a reset? Runs `plan` (reads only) over the
// input's users at rates that grow in steps, and stops at the tenant's 429s or latency knee,
// at this machine's own ceiling, at the --rate ceiling or at --max-duration. Each step is one
// engine run with its own ceiling and one attempt per request (a 429 is measured, not retried); its
// scratch ledger is removed.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/interrupts.hpp"
#include "cli/log.hpp"
#include "cli/probe_verdict.hpp"
#include "cli/run_options.hpp"
#include "engine/type_task.hpp"
#include "io/json_text.hpp"
#include "io/ledger_writer.hpp"
#include "io/secret_file.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

/// The input's users, read once, handed to each step's run (the first `limit` of them).
class list_reader final : public io::job_reader {
 public:
  list_reader(const std::vector<io::input_row>& rows, std::size_t limit)
      : rows_(rows), end_(std::min(limit, rows.size())) {}
  std::optional<io::input_row> next() override {
    if (next_ == end_) return std::nullopt;
    return rows_[next_++];
  }
  std::uint64_t bytes_read() const override { return 0; }

 private:
  const std::vector<io::input_row>& rows_;
  std::size_t end_;
  std::size_t next_ = 0;
};

// The valid rows of the input; the first invalid one stops the probe (exit 2), named.
std::optional<std::vector<io::input_row>> load_users(const probe_request& p) {
  if (p.run.cfg.source) {
    tell("devreset probe: probe reads its users from --input (a sample of them is enough)\n");
    return std::nullopt;
  }
  std::vector<io::input_row> rows;
  try {
    auto reader = io::open_job_reader(p.run.input, p.run.format, p.run.rows);
    while (auto row = reader->next()) {
      if (const auto* bad = std::get_if<io::invalid_row>(&*row)) {
        tell(fmt::format("devreset probe: {}:{}: {}\n", p.run.input.string(), bad->line,
                         io::printable(bad->reason, 300)));
        return std::nullopt;
      }
      rows.push_back(std::move(*row));
    }
  } catch (const io::input_error& e) {
    tell(fmt::format("devreset probe: {}\n", e.what()));
    return std::nullopt;
  }
  if (rows.empty()) {
    tell(fmt::format("devreset probe: {} names no user\n", p.run.input.string()));
    return std::nullopt;
  }
  return rows;
}

double ms(const engine::run_stats& s, double q) {
  return std::chrono::duration<double, std::milli>(s.latency.percentile(q)).count();
}

// One step: a plan run over enough users to hold `rate` for the step's duration.
std::optional<step_result> run_step(probe_request& p, const std::vector<io::input_row>& users,
                                    int step, double rate, const fs::path& scratch,
                                    engine::run_control& control, std::string& error) {
  const double per_user = static_cast<double>(p.run.rows.default_types.size());
  const auto wanted = static_cast<std::size_t>(
      std::ceil(rate * std::chrono::duration<double>(p.step).count() / per_user));
  list_reader reader(users, std::max<std::size_t>(1, wanted));
  const auto ledger_path = scratch / fmt::format("step-{}.jsonl", step);
  engine::run_result r;
  {
    io::ledger_writer ledger(ledger_path, io::ledger_mode::create);
    engine::run_config cfg = p.run.cfg;
    cfg.rate = rate;
    cfg.burst = 1;
    cfg.retry.max_attempts = 1;  // a 429 is what is measured: never retried
    cfg.run_id = fmt::format("probe-{}", step);
    cfg.expected_users = std::min(wanted, users.size());
    r = engine::run(cfg, reader, ledger, nullptr, *p.run.tokens, &control);
    ledger.close();
  }
  std::error_code ignored;
  fs::remove(ledger_path, ignored);
  if (r.end == engine::run_end::aborted) {  // interrupted: cut at its deadline, measured
    error = r.reason;
    return std::nullopt;
  }
  step_result s;
  s.step = step;
  s.offered = rate;
  // Over the workers' time: the preflight's round trips are no part of the tenant's rate.
  const double before =
      std::chrono::duration<double>(r.stats.workers_started - r.stats.started).count();
  s.requests = r.stats.requests - r.stats.preflight_requests;
  s.throttled = r.stats.throttled;
  s.seconds = r.elapsed_s;
  const double secs = std::max(r.elapsed_s - before, 0.001);
  s.sent = static_cast<double>(s.requests) / secs;
  s.accepted = static_cast<double>(s.requests - s.throttled) / secs;
  s.p50 = ms(r.stats, 0.5);
  s.p95 = ms(r.stats, 0.95);
  s.p99 = ms(r.stats, 0.99);
  s.stats = r.stats;
  return s;
}

json::object step_record(const step_result& s) {
  auto round1 = [](double v) { return std::round(v * 10) / 10; };
  return {{"record", "probe_step"},
          {"step", s.step},
          {"offered_per_s", round1(s.offered)},
          {"sent_per_s", round1(s.sent)},
          {"accepted_per_s", round1(s.accepted)},
          {"requests", s.requests},
          {"throttled_429", s.throttled},
          {"latency_ms", {{"p50", round1(s.p50)}, {"p95", round1(s.p95)}, {"p99", round1(s.p99)}}},
          {"seconds", round1(s.seconds)},
          {"repeat", s.repeat}};
}

// Requests a reset would send per user: one reset action for the types that have one, a list
// and a delete per device found for the others (what the steps' plans found).
double requests_per_reset(const std::vector<step_result>& steps, const io::type_set& types) {
  double total = 0;
  for (auto t : io::all_device_types) {
    if (!types.contains(t)) continue;
    if (io::has_reset_action(io::info(t).strategy)) {
      total += 1;
      continue;
    }
    std::uint64_t listed = 0, found = 0;
    for (const auto& s : steps) {
      listed += s.stats.types[static_cast<std::size_t>(t)]
                             [static_cast<std::size_t>(io::result_status::planned)];
      found += s.stats.devices_found[static_cast<std::size_t>(t)];
    }
    total += 1 + (listed > 0 ? static_cast<double>(found) / static_cast<double>(listed) : 0);
  }
  return total;
}

std::string duration_words(double seconds) {
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  if (seconds < 5400) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

/// Stops a run at a deadline, from a thread of its own.
class deadline {
 public:
  deadline(engine::run_control& control, std::chrono::steady_clock::time_point at)
      : thread_([this, &control, at] {
          std::unique_lock lock(mutex_);
          if (!done_cv_.wait_until(lock, at, [this] { return done_; })) control.stop_now();
        }) {}
  ~deadline() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

void print_step(const step_result& s) {
  std::fputs(fmt::format("{:>5} {:>10.1f} {:>9.1f} {:>11.1f} {:>7} {:>8.1f} {:>8.1f} {:>8.1f} "
                         "{:>8.1f}{}\n",
                         s.step, s.offered, s.sent, s.accepted, s.throttled, s.p50, s.p95, s.p99,
                         s.seconds, s.repeat ? "  (429s: the same rate again)" : "")
                 .c_str(),
             stdout);
  std::fflush(stdout);
}

struct probe_outcome {
  std::vector<step_result> steps;
  stop_reason why = stop_reason::ceiling;
  std::string error;  // the run aborted: why
  bool interrupted = false;
};

// The steps, from --start-rate up by 1.5 each, until a stop.
probe_outcome probe_steps(probe_request& p, const std::vector<io::input_row>& users,
                          const fs::path& scratch) {
  probe_outcome out;
  const auto started = std::chrono::steady_clock::now();
  const auto end = started + p.max_duration;
  const double ceiling = p.run.cfg.rate;
  engine::run_control control;
  interrupts signals(control, std::chrono::seconds(1));
  double rate = ceiling > 0 ? std::min(p.start_rate, ceiling) : p.start_rate;
  bool repeat = false;
  for (int step = 1;; ++step) {
    const auto now = std::chrono::steady_clock::now();
    if (now + p.step > end) {
      out.why = stop_reason::max_duration;
      return out;
    }
    std::optional<step_result> s;
    {
      deadline cut(control, std::min(end, now + 3 * p.step));
      s = run_step(p, users, step, rate, scratch, control, out.error);
    }
    if (!s) return out;
    s->repeat = std::exchange(repeat, false);
    print_step(*s);
    out.steps.push_back(std::move(*s));
    if (signals.signalled()) {
      out.interrupted = true;
      return out;
    }
    if (auto why = verdict(out.steps)) {
      out.why = *why;
      return out;
    }
    if (refused(out.steps.back()) && !out.steps.back().repeat) {
      repeat = true;  // the same rate again: a limit shows twice
      continue;
    }
    if (ceiling > 0 && rate >= ceiling) {
      out.why = stop_reason::ceiling;
      return out;
    }
    rate = ceiling > 0 ? std::min(ceiling, rate * 1.5) : rate * 1.5;
  }
}

// The sustainable rate and how it was found.
std::pair<double, std::string> sustainable(const probe_outcome& o) {
  const auto& last = o.steps.back();
  switch (o.why) {
    case stop_reason::limit: {  // twice at one rate: what the tenant took at best
      const auto& first = o.steps[o.steps.size() - 2];
      return {std::max(first.accepted, last.accepted),
              fmt::format("the tenant answered 429 to {} of {} requests at {:.0f}/s, and to {} "
                          "of {} when asked again",
                          first.throttled, first.requests, last.offered, last.throttled,
                          last.requests)};
    }
    case stop_reason::latency: {  // two steps past the knee: the rate before them
      const auto& knee = o.steps[o.steps.size() - 2];
      const auto& before = o.steps[o.steps.size() - 3];
      return {before.accepted,
              fmt::format("median latency rose from {:.1f} ms to {:.1f} ms at {:.0f}/s and "
                          "went on rising at {:.0f}/s ({:.1f} ms)",
                          o.steps.front().p50, knee.p50, knee.offered, last.offered, last.p50)};
    }
    case stop_reason::client: {  // this machine's ceiling: what it got through at best
      double best = 0;
      for (const auto& s : o.steps)
        best = std::max(best, s.accepted);
      return {best, fmt::format("at least: this machine sent no more than {:.0f}/s when asked "
                                "for {:.0f}/s, and the tenant answered as quickly as at first: "
                                "raise --concurrency, or probe from a bigger machine",
                                last.sent, last.offered)};
    }
    case stop_reason::ceiling:
      return {last.accepted,
              fmt::format("at least: --rate {:.0f} was reached without a 429", last.offered)};
    default:
      return {last.accepted, "at least: --max-duration came before any sign of a limit"};
  }
}

void tell_result(const probe_request& p, const probe_outcome& o, std::uint64_t users,
                 json::array& records) {
  const auto [rate, how] = sustainable(o);
  const double per_user = requests_per_reset(o.steps, p.run.rows.default_types);
  const double seconds = rate > 0 ? static_cast<double>(users) * per_user / rate : 0;
  const auto types = p.run.rows.default_types.to_string(',');
  std::fputs(fmt::format("\nSustainable: {} {:.0f} requests/s ({})\nEstimate: resetting {} "
                         "users of types {} ≈ {:.1f} requests each ≈ {} at {:.0f}/s\n",
                         o.why == stop_reason::limit || o.why == stop_reason::latency ? "≈" : "≥",
                         rate, how, users, types, per_user, duration_words(seconds), rate)
                 .c_str(),
             stdout);
  records.push_back(
      json::object{{"record", "probe_result"},
                   {"stopped_by", to_string(o.why)},
                   {"sustainable_per_s", std::round(rate * 10) / 10},
                   {"at_least", o.why != stop_reason::limit && o.why != stop_reason::latency},
                   {"users", users},
                   {"types", types},
                   {"requests_per_user", std::round(per_user * 10) / 10},
                   {"estimate_s", std::round(seconds)}});
}

}  // namespace

int probe_command(int argc, char** argv) {
  probe_request p;
  if (auto code = parse_probe_request(argc, argv, p)) return *code;
  if (auto code = open_request(p.run)) return *code;
  if (!p.out.empty() && fs::exists(fs::symlink_status(p.out))) {
    tell(fmt::format("devreset probe: --out {} exists: it is never overwritten\n", p.out.string()));
    return 2;
  }
  auto users = load_users(p);
  if (!users) return 2;
  std::string dir = (fs::temp_directory_path() / "devreset-probe-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    tell("devreset probe: cannot make a scratch folder in the temporary directory\n");
    return 2;
  }
  std::fputs(fmt::format("devreset probe: {} realm {}, {} users, types {} (reads only: nothing "
                         "changes)\n{:>5} {:>10} {:>9} {:>11} {:>7} {:>8} {:>8} {:>8} {:>8}\n",
                         io::tenant_url(p.run.cfg.host, p.run.cfg.port, p.run.cfg.am_path),
                         p.run.rows.default_realm, users->size(),
                         p.run.rows.default_types.to_string(','), "step", "offered/s", "sent/s",
                         "accepted/s", "429s", "p50 ms", "p95 ms", "p99 ms", "seconds")
                 .c_str(),
             stdout);
  auto outcome = probe_steps(p, *users, dir);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  if (!outcome.error.empty()) {
    tell(fmt::format("devreset probe: stopped: {}\n", outcome.error));
    return 3;
  }
  if (outcome.steps.empty()) {
    tell("devreset probe: --max-duration is too short for one step\n");
    return 2;
  }
  json::array records;
  for (const auto& s : outcome.steps)
    records.push_back(step_record(s));
  tell_result(p, outcome, p.users > 0 ? p.users : users->size(), records);
  if (!p.out.empty()) {
    std::string text;
    for (const auto& r : records)
      text += io::json_text(r) + "\n";
    try {
      io::write_new_file(p.out, text, false);
    } catch (const std::exception& e) {
      tell(fmt::format("devreset probe: --out: {}\n", e.what()));
      return 2;
    }
  }
  return outcome.interrupted ? 3 : 0;
}

}  // namespace devreset::cli
