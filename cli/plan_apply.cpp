// Applying a plan: the checks before anything is sent, and how the plan is named.
#include "cli/plan_apply.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>

#include "cli/log.hpp"
#include "engine/device_selection.hpp"
#include "io/duration.hpp"
#include "io/secret_file.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// "3 h", "2 d", "40 min", "12 s": an age as people say it.
std::string age_text(std::chrono::system_clock::duration d) {
  using namespace std::chrono;
  const auto s = duration_cast<seconds>(d).count();
  if (s < 120) return fmt::format("{} s", s);
  if (s < 2 * 3600) return fmt::format("{} min", s / 60);
  if (s < 2 * 86400) return fmt::format("{} h", s / 3600);
  return fmt::format("{} d", s / 86400);
}

// The run's own ledger is never the plan (a plan is evidence: nothing is appended to it).
bool ledger_is_plan(const run_request& r) {
  std::error_code ec;
  return fs::equivalent(r.ledger, r.plan, ec) ||
         fs::weakly_canonical(r.ledger, ec) == fs::weakly_canonical(r.plan, ec);
}

std::optional<std::string> plan_problem(const run_request& r, const io::plan_info& p,
                                        const std::string& tenant) {
  if (p.tenant != tenant) {
    return fmt::format("plan {} was made on {}; this run is on {}: plan on {} first",
                       r.plan.string(), io::printable(p.tenant, 200), tenant, tenant);
  }
  if (r.plan_realm && r.rows.default_realm != p.realm) {
    return fmt::format("plan {} is for realm {}; --realm says {}", r.plan.string(),
                       io::printable(p.realm, 200), r.rows.default_realm);
  }
  if (r.plan_types && !r.rows.default_types.minus(p.types).empty()) {
    return fmt::format("--types can only narrow a plan: it looked at {} (not at {})",
                       p.types.to_string(','), r.rows.default_types.minus(p.types).to_string(','));
  }
  const auto age = std::chrono::system_clock::now() - p.made;
  if (age < -std::chrono::minutes(5)) {
    return fmt::format(
        "plan {} says it was made at {}, in the future: is this machine's clock "
        "or the plan right?",
        r.plan.string(), io::printable(p.made_at, 40));
  }
  if (age > r.plan_max_age) {
    return fmt::format(
        "plan {} was made {} ago ({}), more than --plan-max-age {}: plan again, or pass a "
        "longer --plan-max-age to apply it as it is",
        r.plan.string(), age_text(age), io::printable(p.made_at, 40),
        io::format_duration(r.plan_max_age));
  }
  // A plan is the reviewed evidence of what to remove: nobody else may have changed it, as
  // the file opened shows (its owner and mode), nor replace it (the folders and links).
  const auto& f = *p.file;
  if ((f.mode & 022) != 0 || (f.owner != ::geteuid() && f.owner != 0)) {
    return fmt::format("plan {}: others can change it (mode {:o}, owner uid {}): chmod go-w it",
                       r.plan.string(), f.mode & 0777, f.owner);
  }
  if (auto why = io::way_problem(r.plan)) {
    return fmt::format("plan {}: {}: others could replace it", r.plan.string(), *why);
  }
  if (ledger_is_plan(r)) {
    return fmt::format("--ledger is the plan itself: give the run a ledger of its own");
  }
  return std::nullopt;
}

}  // namespace

std::optional<io::plan_info> check_plan(run_request& r, const std::string& tenant) {
  if (!r.opened_plan) {
    tell(fmt::format("devreset {}: {} (nothing was sent)\n", r.name, r.plan_error));
    return std::nullopt;
  }
  io::plan_info plan = *r.opened_plan;
  if (auto why = plan_problem(r, plan, tenant)) {
    tell(fmt::format("devreset {}: {} (nothing was sent)\n", r.name, *why));
    return std::nullopt;
  }
  r.rows.default_types = r.plan_types ? r.rows.default_types & plan.types : plan.types;
  r.rows.default_realm = plan.realm;
  if (plan.other_runs > 0) {
    tell(fmt::format("devreset {}: note: {} holds {} other run{}; applying the last plan, {}\n",
                     r.name, r.plan.string(), plan.other_runs, plan.other_runs == 1 ? "" : "s",
                     plan.run_id));
  }
  return plan;
}

std::string plan_phrase(const run_request& r, const io::plan_info& p, const std::string& tenant) {
  std::string devices;
  std::uint64_t total = 0;
  for (auto t : io::all_device_types) {
    const auto n = p.devices[static_cast<std::size_t>(t)];
    if (!r.rows.default_types.contains(t) || n == 0) continue;
    devices += fmt::format("{}{} {}", devices.empty() ? "" : ", ", n, io::to_string(t));
    total += n;
  }
  if (devices.empty()) devices = "no";
  const auto age = std::chrono::system_clock::now() - p.made;
  const auto selection = p.selection ? fmt::format(" (only devices {}, as the plan cut them)",
                                                   engine::from_record(*p.selection).describe())
                                     : std::string();
  return fmt::format(
      "apply plan {} ({}, SHA-256 {}, made {}, {} ago) on {}: remove {} device{}{} of {} users in "
      "realm {}{}",
      io::printable(p.run_id, 80), r.plan.string(), p.file ? p.file->sha256 : "?",
      io::printable(p.made_at, 40), age_text(age), tenant, devices, total == 1 ? "" : "s",
      selection, p.users, io::printable(p.realm, 200),
      r.cfg.plan_strict
          ? " (--plan-strict: only these; every type of every user is listed again, and devices "
            "registered since are recorded, not removed)"
          : ", and any registered since the plan on any of its types (every type of every user "
            "is listed again; recorded as added_since_plan)");
}

std::string plan_report_text(const io::plan_info& p, const std::string& ledger) {
  const auto age = std::chrono::system_clock::now() - p.made;
  std::string out = fmt::format(
      "Plan {} made {} ({} ago) on {}, realm {}\nSHA-256 {} (a run --plan shows the same)\n"
      "Would remove:",
      io::printable(p.run_id, 80), io::printable(p.made_at, 40), age_text(age),
      io::printable(p.tenant, 200), io::printable(p.realm, 200), p.file ? p.file->sha256 : "?");
  std::uint64_t total = 0;
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (!p.types.contains(t)) continue;
    out += fmt::format("  {} {} ({} users)", io::to_string(t), p.devices[i], p.users_with[i]);
    total += p.devices[i];
  }
  out += fmt::format("\n  {} devices of {} users; {} users with nothing to remove now\n", total,
                     p.users, p.users_empty);
  if (p.users_unresolved > 0) {
    out += fmt::format("  {} user(s) the plan could not find by name: a run looks them up again\n",
                       p.users_unresolved);
  }
  if (p.users_unlisted > 0) {
    out += fmt::format(
        "  {} user type(s) could not be listed: a run resets them as they are then "
        "(--plan-strict leaves them)\n",
        p.users_unlisted);
  }
  out += fmt::format("Apply it: devreset run --tenant {} --plan {} --ledger run.jsonl ...\n",
                     io::printable(p.tenant, 200), ledger);
  return out;
}

json::object plan_report_json(const io::plan_info& p) {
  json::object would;
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (!p.types.contains(t)) continue;
    would[io::to_string(t)] = json::object{{"devices", p.devices[i]}, {"users", p.users_with[i]}};
  }
  const auto age = std::chrono::system_clock::now() - p.made;
  return json::object{{"run_id", p.run_id},
                      {"sha256", p.file ? json::value(p.file->sha256) : json::value(nullptr)},
                      {"made_at", p.made_at},
                      {"age_s", std::chrono::duration_cast<std::chrono::seconds>(age).count()},
                      {"tenant", p.tenant},
                      {"realm", p.realm},
                      {"users", p.users},
                      {"users_nothing_to_remove", p.users_empty},
                      {"types_not_listed", p.users_unlisted},
                      {"would_remove", std::move(would)}};
}

}  // namespace devreset::cli
