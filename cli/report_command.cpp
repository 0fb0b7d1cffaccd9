// `devreset report LEDGER`: the summary of a ledger (any number of runs; a user's latest
// record wins), as text or JSON; the users its unfinished runs never reached (their inputs
// read again); and --failed-out: the users still to do, as a CSV that `devreset run
// --input` accepts, its first line naming the tenant and realm.
#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <boost/unordered_map.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <array>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/log.hpp"
#include "cli/options.hpp"
#include "cli/plan_apply.hpp"
#include "cli/report_csv.hpp"
#include "cli/report_html.hpp"
#include "cli/report_ledger.hpp"
#include "cli/report_reach.hpp"
#include "cli/summary.hpp"
#include "io/job_reader.hpp"
#include "io/json_text.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/ledger_writer.hpp"
#include "io/secret_file.hpp"
#include "io/text.hpp"
#include "io/user_type_map.hpp"

namespace devreset::cli {

namespace po = boost::program_options;
namespace json = boost::json;

namespace {

constexpr const char* report_usage =
    R"(Usage: devreset report LEDGER... [--format text|json] [--failed-out FILE] [--html FILE] [--csv FILE]

Summarizes ledgers: users by status (a user's latest record wins, over any number of runs,
resumes and ledgers: the shards of one job, in the order given), device types by status,
and the runs in them. For a run that did not finish (Ctrl-C, an abort, a crash) it reads the
run's input again and counts the users it never reached. --failed-out writes the users still
to do (failed, partial, not reached), with the types still to do, as a CSV for `devreset run
--input`; its first line names the tenant. --html writes one self-contained page (no script,
nothing from the network: it opens from a USB stick); --csv one row per user.

Exit codes: 0 every user ok (or planned); 1 some users are not ok or were not reached (or
their input can no longer be read); 2 usage error or unreadable ledger.

Examples:
  devreset report reset.jsonl
  devreset report reset.jsonl --failed-out retry.csv
  devreset run ... --input retry.csv --ledger retry.jsonl
  devreset report reset.jsonl --html reset.html --csv reset.csv
  devreset report shard-*.jsonl               # the shards of one Indexed Job, merged

Options)";

std::optional<report_options> parse(int argc, char** argv) {
  po::options_description desc(report_usage, help_columns, help_columns / 2);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("ledger", po::value<std::vector<std::string>>()->multitoken(), "the ledgers to read (or give them as the arguments)")
    ("format", po::value<std::string>()->default_value("text"), "text or json")
    ("failed-out", po::value<std::string>(), "write the users still to do here (CSV; a new file)")
    ("html", po::value<std::string>(), "write a self-contained HTML report here (a new file)")
    ("csv", po::value<std::string>(), "write one row per user here: identifier, user_id, status, types done, error (a new file)")
    ("force", po::bool_switch(), "--failed-out, --html and --csv may replace an existing file (never a ledger)");
  // clang-format on
  auto vm = parse_layered(argc, argv, desc, {"ledger..."});
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return std::nullopt;
  }
  if (!vm.count("ledger")) throw po::error("which ledger? devreset report LEDGER");
  report_options o;
  o.ledgers = vm["ledger"].as<std::vector<std::string>>();
  o.format = vm["format"].as<std::string>();
  if (o.format != "text" && o.format != "json") throw po::error("--format is text or json");
  for (auto [name, out] : {std::pair{"failed-out", &o.failed_out}, std::pair{"html", &o.html},
                           std::pair{"csv", &o.csv}}) {
    if (vm.count(name)) *out = vm[name].as<std::string>();
  }
  o.force = vm["force"].as<bool>();
  return o;
}

// The plan a ledger holds (its last plan run, finished): what a run would remove.
std::optional<io::plan_info> last_plan(const report_options& o, const ledger_summary& l) {
  const bool has_plan = std::any_of(l.runs.begin(), l.runs.end(),
                                    [](const run_facts& r) { return r.mode == "plan"; });
  if (!has_plan || o.ledgers.size() != 1) return std::nullopt;
  try {
    return io::read_plan_info(o.ledgers.front());
  } catch (const io::input_error&) {
    return std::nullopt;  // not finished: the runs' lines say so
  }
}

// A cleanup by age: what each type kept and why, and the last use of what was removed.
std::string kept_lines(const ledger_summary& l) {
  std::string out = "\nDevices kept:";
  for (auto dt : io::all_device_types) {
    const auto i = static_cast<std::size_t>(dt);
    if (l.kept_recent[i] + l.kept_undated[i] == 0) continue;
    out += fmt::format("  {} {} used since the cut-off, {} undated", io::to_string(dt),
                       l.kept_recent[i], l.kept_undated[i]);
  }
  out += "\nDevices removed by last use:";
  for (std::size_t b = 0; b < l.removed_by_age.size(); ++b)
    if (l.removed_by_age[b] > 0) out += fmt::format("  {} {}", l.age_bands[b], l.removed_by_age[b]);
  return out;
}

void print_json(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                const std::optional<io::plan_info>& plan) {
  json::object u, t;
  for (auto s : user_statuses)
    u[io::to_string(s)] = l.count(s);
  for (auto dt : io::all_device_types) {
    const auto& b = l.by_type[static_cast<std::size_t>(dt)];
    const auto i = static_cast<std::size_t>(dt);
    if (b[0] + b[1] > 0) {
      t[io::to_string(dt)] = json::object{{"ok", b[0]},
                                          {"not_ok", b[1]},
                                          {"devices_removed", l.removed[i]},
                                          {"reset_by_action", l.untold[i]},
                                          {"kept_recent", l.kept_recent[i]},
                                          {"kept_undated", l.kept_undated[i]}};
    }
  }
  json::array tenants;
  for (std::size_t i = 0; i < l.tenants.size(); ++i) {
    json::object c;
    for (auto s : user_statuses)
      c[io::to_string(s)] = l.by_tenant_status[i][static_cast<std::size_t>(s)];
    tenants.push_back(json::object{{"tenant", l.tenants[i]}, {"by_status", std::move(c)}});
  }
  json::array inputs;
  for (const auto& run : todo.inputs) {
    json::object i{
        {"input", io::printable(run.input, 300)}, {"not_reached", run.users}, {"why", run.why}};
    if (!run.problem.empty()) i["cannot_read"] = io::printable(run.problem, 300);
    inputs.push_back(std::move(i));
  }
  json::object out{{"ledgers", json::array(o.ledgers.begin(), o.ledgers.end())},
                   {"runs", l.runs.size()},
                   {"users", l.users.size()},
                   {"by_status", std::move(u)},
                   {"tenants", std::move(tenants)},
                   {"by_type", std::move(t)},
                   {"verified", l.verified},
                   {"retries", l.details.totals().retries},
                   {"throttled_429", l.details.totals().throttled},
                   {"interrupted_runs", l.interrupted},
                   {"running", json::array(l.running.begin(), l.running.end())},
                   {"torn_last_line", l.scan.torn_tail},
                   {"corrupt_lines", l.scan.bad_lines.size()},
                   {"not_reached", todo.not_reached},
                   {"unfinished_runs", std::move(inputs)}};
  if (!o.failed_out.empty())
    out["failed_out"] = json::object{{"file", o.failed_out}, {"users", todo.written}};
  if (plan) out["plan"] = plan_report_json(*plan);
  if (l.added_since_plan + l.gone_since_plan > 0) {
    out["since_plan"] = json::object{{"added", l.added_since_plan}, {"gone", l.gone_since_plan}};
  }
  fmt::print("{}\n", io::json_text(out));
}

// Ledgers of runs on several tenants: each tenant's users apart (a name on two tenants is
// two users; one tenant's ok never hides another's failure).
void print_tenants(const ledger_summary& l) {
  if (l.tenants.size() < 2) return;
  fmt::print("Tenants: {} (each user counted on the tenant of its run)\n", l.tenants.size());
  for (std::size_t i = 0; i < l.tenants.size(); ++i) {
    std::string line;
    for (auto s : user_statuses) {
      const auto n = l.by_tenant_status[i][static_cast<std::size_t>(s)];
      if (n > 0 || s == io::user_status::ok) line += fmt::format("  {} {}", io::to_string(s), n);
    }
    fmt::print("  {}:{}\n", io::printable(l.tenants[i], 200), line);
  }
}

// run --plan ledgers: the plan each run applied (what was reviewed is what was applied:
// compare the SHA-256s), and the drift since.
void print_plans_applied(const ledger_summary& l) {
  bool applied = false;
  for (const auto& run : l.runs) {  // what was reviewed is what was applied: compare them
    if (run.plan_run_id.empty()) continue;
    applied = true;
    fmt::print("Run {} applied plan {} (SHA-256 {})\n", io::printable(run.run_id, 80),
               io::printable(run.plan_run_id, 80),
               run.plan_sha256.empty() ? "not recorded" : io::printable(run.plan_sha256, 64));
  }
  if (applied) {
    fmt::print(
        "Since the plan: {} device(s) added (added_since_plan), {} gone already "
        "(gone_since_plan)\n",
        l.added_since_plan, l.gone_since_plan);
  }
}

// The users not reached, by input; a shard reported alone.
void print_not_reached(const ledger_summary& l, const still_to_do& todo) {
  // Every text of a ledger is untrusted: escaped as the tenant's is (io::printable).
  for (const auto& u : todo.inputs) {
    if (!u.problem.empty()) {
      fmt::print("Cannot tell which users of {} were not reached ({}): {}\n",
                 io::printable(u.input, 300), u.why, io::printable(u.problem, 300));
    } else if (u.users > 0) {
      fmt::print("{} user(s) of {} not reached: {}.\n", u.users, io::printable(u.input, 300),
                 u.why);
    }
  }
  for (const auto& s : lone_shards(l.runs)) {
    fmt::print(
        "Shard {} alone: the other shards' users are in their own ledgers (report them "
        "together to count every user)\n",
        io::printable(s, 300));
  }
}

void print_text(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                const std::optional<io::plan_info>& plan) {
  const auto runs = l.runs.size();
  fmt::print("Ledger {}: {} run{}{}, {} users\n", o.names(), runs, runs == 1 ? "" : "s",
             l.interrupted > 0 ? fmt::format(" ({} interrupted or aborted)", l.interrupted) : "",
             l.users.size());
  std::string line = "Users:";
  for (auto s : user_statuses) {
    if (l.count(s) > 0 || s == io::user_status::ok)
      line += fmt::format("  {} {}", io::to_string(s), l.count(s));
  }
  std::string types = "Types:";
  for (auto dt : io::all_device_types) {
    const auto& b = l.by_type[static_cast<std::size_t>(dt)];
    if (b[0] + b[1] > 0)
      types += fmt::format("  {} (ok {}, not ok {})", io::to_string(dt), b[0], b[1]);
  }
  if (auto removed = devices_removed_text(l.removed, l.untold); !removed.empty())
    types += "\n" + removed;  // as the run's summary says it
  if (l.by_age) types += kept_lines(l);
  if (l.verified > 0)
    line += fmt::format("  (verified {}: devices listed after the reset, none left)", l.verified);
  if (const auto all = l.details.totals(); all.retries + all.throttled > 0) {
    types += fmt::format("\nRequests sent again: {} retries, {} answered 429 (every record)",
                         all.retries, all.throttled);
  }
  // A plan's types are listed, not done: its own lines say what a run would remove.
  const bool only_planned = l.count(io::user_status::planned) == l.users.size();
  fmt::print("{}\n{}", line, only_planned ? "" : types + "\n");
  print_tenants(l);
  if (plan) fmt::print("{}", plan_report_text(*plan, o.ledgers.front()));
  print_plans_applied(l);
  print_not_reached(l, todo);
  for (const auto& r : l.running)
    fmt::print("Still running: {}: this report is of the records so far.\n", io::printable(r, 300));
  if (l.scan.torn_tail) fmt::print("The last line is torn (a crash while writing): ignored.\n");
  if (!l.scan.bad_lines.empty()) {
    fmt::print("{} corrupt line(s) ignored, the first at line {} of {}.\n", l.scan.bad_lines.size(),
               l.scan.bad_lines.front(), l.bad_in);
  }
  if (!o.failed_out.empty()) {
    fmt::print(
        "Wrote {} user(s) still to do to {} (failed, partial and not reached; not_found and "
        "invalid rows are left out: they would fail again).\n",
        todo.written, o.failed_out);
  }
}

// A file the report writes (--failed-out, --html, --csv): a new file 0600 (--force: may
// replace one), never one of the ledgers, never through a link.
void write_output(const report_options& o, const char* option, const std::string& path,
                  const std::string& content) {
  struct stat a {};
  for (const auto& ledger : o.ledgers) {
    struct stat b {};
    if (::stat(path.c_str(), &a) == 0 && ::stat(ledger.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
      throw io::ledger_error(fmt::format("--{} {}: that is the ledger", option, path));
    }
  }
  try {
    io::write_new_file(path, content, o.force);
  } catch (const std::runtime_error& e) {
    throw io::ledger_error(fmt::format("--{} {}", option, e.what()));
  }
}

}  // namespace

int report_command(int argc, char** argv) {
  std::optional<report_options> o;
  try {
    o = parse(argc, argv);
    if (!o) return 0;
  } catch (const po::error& e) {
    tell(fmt::format("devreset report: {} (see devreset report --help)\n", e.what()));
    return 2;
  }
  try {
    const auto l = read_ledgers(*o);
    std::ostringstream out;
    const auto todo = find_still_to_do(*o, l, o->failed_out.empty() ? nullptr : &out);
    if (!o->failed_out.empty()) write_output(*o, "failed-out", o->failed_out, out.str());
    const auto plan = last_plan(*o, l);
    if (!o->html.empty()) write_output(*o, "html", o->html, report_html(*o, l, todo, plan));
    if (!o->csv.empty()) write_output(*o, "csv", o->csv, report_csv(*o, l));
    if (o->format == "json")
      print_json(*o, l, todo, plan);
    else
      print_text(*o, l, todo, plan);
    const bool all_ok = l.count(io::user_status::partial) + l.count(io::user_status::failed) +
                                l.count(io::user_status::not_found) +
                                l.count(io::user_status::invalid) ==
                            0 &&
                        todo.not_reached == 0 && !todo.unreadable && l.running.empty();
    return all_ok ? 0 : 1;
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset report: {}\n", e.what()));
    return 2;
  }
}

}  // namespace devreset::cli