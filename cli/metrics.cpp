// Prometheus text exposition of a run, written atomically.
#include "cli/metrics.hpp"

#include <fmt/format.h>

#include "cli/log.hpp"
#include "cli/progress.hpp"
#include "io/device_type.hpp"
#include "io/secret_file.hpp"

namespace devreset::cli {

namespace {

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

void latency(std::string& out, const engine::run_stats& s) {
  const auto name = "devreset_request_latency_seconds";
  family(out, name, "summary", "Time from sending a request to its whole answer.");
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    out += fmt::format("{}{{quantile=\"{}\"}} {}\n", name, q, seconds(s.latency.percentile(q)));
  }
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, seconds(s.latency.sum()), name,
                     s.latency.count());
}

void devices(std::string& out, const engine::run_stats& s) {
  family(out, "devreset_devices_removed", "gauge",
         "Devices removed, by type (deletes, and devices listed before a reset action).");
  for (auto t : io::all_device_types) {
    out += fmt::format("devreset_devices_removed{{type=\"{}\"}} {}\n", io::to_string(t),
                       s.devices_removed[static_cast<std::size_t>(t)]);
  }
  family(out, "devreset_users_reset_by_action", "gauge",
         "Users whose devices of a type the reset action removed (AM tells no count).");
  for (auto t : io::all_device_types) {
    out += fmt::format("devreset_users_reset_by_action{{type=\"{}\"}} {}\n", io::to_string(t),
                       s.reset_by_action[static_cast<std::size_t>(t)]);
  }
  if (!s.by_age) return;
  family(out, "devreset_devices_kept", "gauge",
         "A cleanup by age: devices kept, by type and reason (recent: used or registered since "
         "the cut-off; undated: without the date a rule needs).");
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    out += fmt::format("devreset_devices_kept{{type=\"{}\",reason=\"recent\"}} {}\n",
                       io::to_string(t), s.kept_recent[i]);
    out += fmt::format("devreset_devices_kept{{type=\"{}\",reason=\"undated\"}} {}\n",
                       io::to_string(t), s.kept_undated[i]);
  }
}

void users(std::string& out, const engine::run_stats& s) {
  family(out, "devreset_users", "gauge", "Users finished in the run, by status.");
  for (auto st : {io::user_status::ok, io::user_status::partial, io::user_status::failed,
                  io::user_status::not_found, io::user_status::invalid, io::user_status::planned}) {
    out += fmt::format("devreset_users{{status=\"{}\"}} {}\n", io::to_string(st), s.user_count(st));
  }
}

}  // namespace

std::string metrics_text(const metrics_facts& f, const engine::run_stats& s,
                         std::optional<int> exit_code, double elapsed_s) {
  std::string out;
  family(out, "devreset_run_info", "gauge", "The run: its id, tenant, realm and mode (always 1).");
  out +=
      fmt::format("devreset_run_info{{run_id=\"{}\",tenant=\"{}\",realm=\"{}\",mode=\"{}\"}} 1\n",
                  label(f.run_id), label(f.tenant), label(f.realm), label(f.mode));
  family(out, "devreset_run_start_time_seconds", "gauge", "When the run started (Unix time).");
  out += fmt::format("devreset_run_start_time_seconds {}\n",
                     std::chrono::duration<double>(f.started.time_since_epoch()).count());
  family(out, "devreset_run_running", "gauge", "1 while the run goes, 0 once it ended.");
  out += fmt::format("devreset_run_running {}\n", exit_code ? 0 : 1);
  if (exit_code) {
    family(out, "devreset_run_end_time_seconds", "gauge", "When the run ended (Unix time).");
    out += fmt::format(
        "devreset_run_end_time_seconds {}\n",
        std::chrono::duration<double>(f.started.time_since_epoch()).count() + elapsed_s);
    family(out, "devreset_run_exit_code", "gauge",
           "The run's exit code: 0 all done, 1 some users not, 2 usage, 3 aborted.");
    out += fmt::format("devreset_run_exit_code {}\n", *exit_code);
  }
  family(out, "devreset_users_expected", "gauge", "Users in the input (0: not counted ahead).");
  out += fmt::format("devreset_users_expected {}\n",
                     f.expected_users > 0 ? f.expected_users : s.expected_users);
  users(out, s);
  devices(out, s);
  for (auto [name, value, help] :
       {std::tuple{"devreset_requests_total", s.requests, "Requests sent (attempts)."},
        std::tuple{"devreset_retries_total", s.retries, "Attempts that were retries."},
        std::tuple{"devreset_throttled_total", s.throttled, "Answers 429 Too Many Requests."},
        std::tuple{"devreset_transport_errors_total", s.transport_errors,
                   "Requests with no answer: refused, dropped, timed out."}}) {
    family(out, name, "counter", help);
    out += fmt::format("{} {}\n", name, value);
  }
  latency(out, s);
  family(out, "devreset_tenant_allowed_requests_per_second", "gauge",
         "The rate the tenant allowed, from its 429s or its RateLimit-Policy (0: no pushback).");
  out += fmt::format("devreset_tenant_allowed_requests_per_second {}\n", s.tenant_allowed);
  return out;
}

metrics_file::metrics_file(std::filesystem::path path, metrics_facts facts,
                           std::chrono::milliseconds interval, engine::run_observer& next)
    : path_(std::move(path)), facts_(std::move(facts)), interval_(interval), next_(next) {
  write(metrics_text(facts_, engine::run_stats{}, std::nullopt, 0));
  last_ = std::chrono::steady_clock::now();
}

void metrics_file::on_progress(const engine::run_stats& s, double current_rate, bool lowered) {
  next_.on_progress(s, current_rate, lowered);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval_) return;
  last_ = now;
  write(metrics_text(facts_, s, std::nullopt,
                     std::chrono::duration<double>(now - s.started).count()));
}

void metrics_file::finish(const engine::run_stats& s, int exit_code, double elapsed_s) {
  write(metrics_text(facts_, s, exit_code, elapsed_s));
}

void metrics_file::write(const std::string& text) {
  try {
    io::write_new_file(path_, text, /*replace=*/true, 0644);  // for node_exporter to read
  } catch (const std::exception& e) {
    if (!warned_) tell(fmt::format("devreset: --metrics-file: {} (the run goes on)\n", e.what()));
    warned_ = true;
  }
}

}  // namespace devreset::cli
