// The end-of-run summary for people (cli/summary.hpp).
#include "cli/summary.hpp"

#include <fmt/format.h>

namespace devreset::cli {

using io::user_status;

namespace {

std::string removed_text(const engine::run_stats& s) {
  const auto text = devices_removed_text(s.devices_removed, s.reset_by_action);
  return text.empty() ? text : "\n" + text;
}

// A cleanup by age: what each type kept, and why.
std::string kept_text(const engine::run_stats& s) {
  if (!s.by_age) return {};
  std::string out;
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (s.kept_recent[i] + s.kept_undated[i] == 0) continue;
    out += fmt::format("  {} {} used since the cut-off, {} undated", io::to_string(t),
                       s.kept_recent[i], s.kept_undated[i]);
  }
  return "\nDevices kept:" + (out.empty() ? std::string("  none") : out);
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

// A plan: what a run would remove, the plan's answer to "how much is there?" (a cleanup by
// age: only the devices it selected).
std::string would_remove_text(const engine::run_stats& s) {
  if (s.user_count(user_status::planned) == 0) return {};
  std::string would;
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (s.types[i][static_cast<std::size_t>(io::result_status::planned)] == 0) continue;
    would += fmt::format("{}{} {}", would.empty() ? "" : ", ", io::to_string(t),
                         s.by_age ? s.selected[i] : s.devices_found[i]);
  }
  return fmt::format("\nWould remove: {} devices (apply the plan with: devreset run --plan)",
                     would);
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
  out += kept_text(s);
  out += would_remove_text(s);
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
  if (s.sign_ins > 0) {
    out += fmt::format("AM sessions: {} sign-in{} (one more each time a session ended)\n",
                       s.sign_ins, s.sign_ins == 1 ? "" : "s");
  }
  if (s.tenant_allowed > 0) {
    out += fmt::format(
        "Rate: the tenant allowed ≈ {:.0f} requests/s (measured from its 429s, or "
        "as its RateLimit-Policy states)\n",
        s.tenant_allowed);
  }
  return out;
}

}  // namespace devreset::cli
