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
#include "cli/options.hpp"
#include "cli/plan_apply.hpp"
#include "cli/progress.hpp"
#include "cli/report_reach.hpp"
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
    R"(Usage: devreset report LEDGER [--format text|json] [--failed-out FILE]

Summarizes a ledger: users by status (a user's latest record wins, over any number of runs
and resumes), device types by status, and the runs in it. For a run that did not finish
(Ctrl-C, an abort, a crash) it reads the run's input again and counts the users it never
reached. --failed-out writes the users still to do (failed, partial, not reached), with the
types still to do, as a CSV for `devreset run --input`; its first line names the tenant.

Exit codes: 0 every user ok (or planned); 1 some users are not ok or were not reached (or
their input can no longer be read); 2 usage error or unreadable ledger.

Examples:
  devreset report reset.jsonl
  devreset report reset.jsonl --failed-out retry.csv
  devreset run ... --input retry.csv --ledger retry.jsonl

Options)";

struct report_options {
  std::string ledger, format = "text", failed_out;
  bool force = false;  // --failed-out may replace an existing file (never the ledger)
};

// What the report keeps per user: a few bytes, never the id (ids are re-read in pass two).
struct user_state {
  std::uint64_t last_line = 0;
  std::uint8_t ok = 0;      // types done in any record
  std::uint8_t tried = 0;   // types in any record
  std::uint8_t status = 0;  // io::user_status of the latest record
  bool verified = false;    // its latest record is ok and --verify found nothing left
};

// Pass one: every user's state, the runs and their ends.
struct ledger_summary {
  boost::unordered_map<std::uint64_t, user_state> users;
  std::vector<run_facts> runs;
  std::uint64_t summaries = 0, interrupted = 0;
  io::ledger_scan scan;
  std::array<std::uint64_t, 6> by_status{};
  std::uint64_t verified = 0;  // users whose devices a --verify listing found gone
  std::array<std::array<std::uint64_t, 2>, 6> by_type{};  // [type][0 ok, 1 not ok]
  std::uint64_t count(io::user_status s) const { return by_status[static_cast<std::size_t>(s)]; }
};

// What pass two and the inputs' second reading found.
struct still_to_do {
  std::uint64_t written = 0;
  std::vector<unreached> inputs;
  std::uint64_t not_reached = 0;
  bool unreadable = false;
};

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::optional<report_options> parse(int argc, char** argv) {
  po::options_description desc(report_usage);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("ledger", po::value<std::string>(), "the ledger to read (or give it as the argument)")
    ("format", po::value<std::string>()->default_value("text"), "text or json")
    ("failed-out", po::value<std::string>(), "write the users still to do here (CSV; a new file)")
    ("force", po::bool_switch(), "--failed-out may replace an existing file (never the ledger)");
  // clang-format on
  auto vm = parse_layered(argc, argv, desc, {"ledger"});
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return std::nullopt;
  }
  if (!vm.count("ledger")) throw po::error("which ledger? devreset report LEDGER");
  report_options o;
  o.ledger = vm["ledger"].as<std::string>();
  o.format = vm["format"].as<std::string>();
  if (o.format != "text" && o.format != "json") throw po::error("--format is text or json");
  if (vm.count("failed-out")) o.failed_out = vm["failed-out"].as<std::string>();
  o.force = vm["force"].as<bool>();
  return o;
}

io::type_set type_bits(const json::object& rec, bool only_ok) {
  io::type_set set;
  auto it = rec.find("results");
  if (it == rec.end() || !it->value().is_array()) return set;
  for (const auto& r : it->value().get_array()) {
    const auto* x = r.if_object();
    if (x == nullptr) continue;
    auto t = x->find("type");
    auto s = x->find("status");
    if (t == x->end() || !t->value().is_string()) continue;
    if (only_ok && (s == x->end() || s->value() != "ok")) continue;
    if (auto dt = io::parse_device_type(t->value().get_string())) set.add(*dt);
  }
  return set;
}

std::string_view text_of(const json::object& rec, std::string_view key) {
  const auto* v = rec.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// How the record's input row named the user: by user name or mail when it did (the same key
// whether the look-up resolved it or not, so that a rerun's record follows it), else by id.
std::pair<io::id_kind, std::string_view> named_by(const json::object& rec) {
  const auto by = text_of(rec, "named_by");
  for (auto k : {io::id_kind::user_id, io::id_kind::user_name, io::id_kind::mail}) {
    if (by == io::to_string(k)) return {k, text_of(rec, io::to_string(k))};
  }
  for (auto k : {io::id_kind::user_name, io::id_kind::mail}) {  // records without named_by
    if (rec.contains(io::to_string(k))) return {k, text_of(rec, io::to_string(k))};
  }
  return {io::id_kind::user_id, text_of(rec, "user_id")};
}

std::optional<std::uint64_t> key_of(const json::object& rec) {
  const auto [kind, name] = named_by(rec);
  if (kind == io::id_kind::user_id && !rec.contains("user_id")) return std::nullopt;
  return io::user_type_map::key(text_of(rec, "realm"), kind, name, name);
}

// A --failed-out row: the identifier in its column (user_id, user_name, mail), types, realm.
std::string failed_row(io::id_kind kind, std::string_view name, std::string_view types,
                       std::string_view realm) {
  std::string row;
  for (auto k : {io::id_kind::user_id, io::id_kind::user_name, io::id_kind::mail}) {
    if (k == kind) row += csv_field(name);
    row += ',';
  }
  return row + fmt::format("{},{}\n", types, csv_field(realm));
}

// A summary record: the end of the run it names.
void on_summary(ledger_summary& l, const json::object& rec) {
  ++l.summaries;
  if (auto e = rec.find("end"); e != rec.end() && e->value() != "finished") ++l.interrupted;
  const auto* id = rec.if_contains("run_id");
  for (auto& r : l.runs) {
    if (id == nullptr || !id->is_string() || r.run_id != id->get_string()) continue;
    const auto* e = rec.if_contains("end");
    const auto* why = rec.if_contains("reason");
    r.end = e != nullptr && e->is_string() ? std::string(e->get_string()) : "aborted";
    if (why != nullptr && why->is_string()) r.reason = why->get_string();
  }
}

// Whether every result of a user record was listed again after its reset, with nothing left.
bool verified_all(const json::object& rec) {
  const auto* results = rec.if_contains("results");
  if (results == nullptr || !results->is_array() || results->get_array().empty()) return false;
  for (const auto& r : results->get_array()) {
    const auto* x = r.if_object();
    const auto* left = x ? x->if_contains("remaining") : nullptr;
    if (left == nullptr || !left->is_int64() || left->get_int64() != 0) return false;
  }
  return true;
}

// A user record: the latest wins; a resumed run's record names only the types it did, so a
// user is ok once every type ever tried is ok.
void on_user(ledger_summary& l, const json::object& rec, std::uint64_t line) {
  auto status_it = rec.find("status");
  if (status_it == rec.end() || !status_it->value().is_string()) return;
  auto status = io::parse_user_status(status_it->value().get_string());
  auto key = key_of(rec);
  if (!status || !key) return;
  // Invalid rows of different lines are different rows, whatever id they carried.
  if (*status == io::user_status::invalid) *key ^= line * 0x9e3779b97f4a7c15ull;
  auto& st = l.users[*key];
  st.last_line = line;
  st.ok |= type_bits(rec, true).bits();
  st.tried |= type_bits(rec, false).bits();
  auto final_status = *status;
  if (*status == io::user_status::ok || *status == io::user_status::partial ||
      *status == io::user_status::failed) {
    auto still = io::type_set::from_bits(st.tried).minus(io::type_set::from_bits(st.ok));
    final_status = still.empty() ? io::user_status::ok
                   : st.ok != 0  ? io::user_status::partial
                                 : io::user_status::failed;
  }
  st.status = static_cast<std::uint8_t>(final_status);
  st.verified = *status == io::user_status::ok && verified_all(rec);
}

ledger_summary read_ledger(const std::string& ledger) {
  ledger_summary l;
  l.scan = io::scan_ledger(ledger, [&](const json::object& rec, std::uint64_t line) {
    auto kind = rec.find("record");
    if (kind == rec.end()) return;
    if (kind->value() == "run") l.runs.push_back(run_facts_of(rec));
    if (kind->value() == "summary") on_summary(l, rec);
    if (kind->value() == "user") on_user(l, rec, line);
  });
  for (const auto& [key, st] : l.users) {
    ++l.by_status[st.status];
    l.verified += st.verified;
    for (auto t : io::all_device_types) {
      if (!io::type_set::from_bits(st.tried).contains(t)) continue;
      bool ok = io::type_set::from_bits(st.ok).contains(t);
      ++l.by_type[static_cast<std::size_t>(t)][ok ? 0 : 1];
    }
  }
  return l;
}

// Pass two (with --failed-out): the users still to do at their latest record, then those the
// unfinished runs never reached. Without it, only the count of the latter.
still_to_do find_still_to_do(const report_options& o, const ledger_summary& l, std::ostream* out) {
  still_to_do todo;
  auto known = [&](std::uint64_t key) { return l.users.contains(key); };
  if (out != nullptr) {
    if (!l.runs.empty())
      *out << io::origin_comment({l.runs.back().tenant, l.runs.back().realm}) << '\n';
    *out << "user_id,user_name,mail,types,realm\n";
    io::scan_ledger(o.ledger, [&](const json::object& rec, std::uint64_t line) {
      if (rec.find("record") == rec.end() || rec.at("record") != "user") return;
      auto key = key_of(rec);
      auto it = key ? l.users.find(*key) : l.users.end();
      if (it == l.users.end() || it->second.last_line != line) return;
      auto st = static_cast<io::user_status>(it->second.status);
      if (st != io::user_status::failed && st != io::user_status::partial) return;
      auto left =
          io::type_set::from_bits(it->second.tried).minus(io::type_set::from_bits(it->second.ok));
      const auto [kind, name] = named_by(rec);
      *out << failed_row(kind, name, left.to_string(';'), text_of(rec, "realm"));
      ++todo.written;
    });
  }
  todo.inputs = find_unreached(l.runs, known, [&](const io::job& j) {
    if (out == nullptr) return;
    *out << failed_row(j.kind, j.kind == io::id_kind::user_id ? j.user_id : j.name,
                       j.types.to_string(';'), j.realm);
    ++todo.written;
  });
  for (const auto& u : todo.inputs) {
    todo.not_reached += u.users;
    todo.unreadable |= !u.problem.empty();
  }
  return todo;
}

constexpr std::array user_statuses = {io::user_status::ok,      io::user_status::partial,
                                      io::user_status::failed,  io::user_status::not_found,
                                      io::user_status::invalid, io::user_status::planned};

// The plan a ledger holds (its last plan run, finished): what a run would remove.
std::optional<io::plan_info> last_plan(const report_options& o, const ledger_summary& l) {
  const bool has_plan = std::any_of(l.runs.begin(), l.runs.end(),
                                    [](const run_facts& r) { return r.mode == "plan"; });
  if (!has_plan) return std::nullopt;
  try {
    return io::read_plan_info(o.ledger);
  } catch (const io::input_error&) {
    return std::nullopt;  // not finished: the runs' lines say so
  }
}

void print_json(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                const std::optional<io::plan_info>& plan) {
  json::object u, t;
  for (auto s : user_statuses)
    u[io::to_string(s)] = l.count(s);
  for (auto dt : io::all_device_types) {
    const auto& b = l.by_type[static_cast<std::size_t>(dt)];
    if (b[0] + b[1] > 0) t[io::to_string(dt)] = json::object{{"ok", b[0]}, {"not_ok", b[1]}};
  }
  json::array inputs;
  for (const auto& run : todo.inputs) {
    json::object i{{"input", run.input}, {"not_reached", run.users}, {"why", run.why}};
    if (!run.problem.empty()) i["cannot_read"] = run.problem;
    inputs.push_back(std::move(i));
  }
  json::object out{{"ledger", o.ledger},
                   {"runs", l.runs.size()},
                   {"users", l.users.size()},
                   {"by_status", std::move(u)},
                   {"by_type", std::move(t)},
                   {"verified", l.verified},
                   {"interrupted_runs", l.interrupted},
                   {"torn_last_line", l.scan.torn_tail},
                   {"corrupt_lines", l.scan.bad_lines.size()},
                   {"not_reached", todo.not_reached},
                   {"unfinished_runs", std::move(inputs)}};
  if (!o.failed_out.empty())
    out["failed_out"] = json::object{{"file", o.failed_out}, {"users", todo.written}};
  if (plan) out["plan"] = plan_report_json(*plan);
  fmt::print("{}\n", io::json_text(out));
}

void print_text(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                const std::optional<io::plan_info>& plan) {
  const auto runs = l.runs.size();
  fmt::print("Ledger {}: {} run{}{}, {} users\n", o.ledger, runs, runs == 1 ? "" : "s",
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
  if (l.verified > 0)
    line += fmt::format("  (verified {}: devices listed after the reset, none left)", l.verified);
  // A plan's types are listed, not done: its own lines say what a run would remove.
  const bool only_planned = l.count(io::user_status::planned) == l.users.size();
  fmt::print("{}\n{}", line, only_planned ? "" : types + "\n");
  if (plan) fmt::print("{}", plan_report_text(*plan, o.ledger));
  for (const auto& u : todo.inputs) {
    if (!u.problem.empty()) {
      fmt::print("Cannot tell which users of {} were not reached ({}): {}\n", u.input, u.why,
                 u.problem);
    } else if (u.users > 0) {
      fmt::print("{} user(s) of {} not reached: {}.\n", u.users, u.input, u.why);
    }
  }
  if (l.scan.torn_tail) fmt::print("The last line is torn (a crash while writing): ignored.\n");
  if (!l.scan.bad_lines.empty()) {
    fmt::print("{} corrupt line(s) ignored, the first at line {}.\n", l.scan.bad_lines.size(),
               l.scan.bad_lines.front());
  }
  if (!o.failed_out.empty()) {
    fmt::print(
        "Wrote {} user(s) still to do to {} (failed, partial and not reached; not_found and "
        "invalid rows are left out: they would fail again).\n",
        todo.written, o.failed_out);
  }
}

// The CSV of users still to do: a new file 0600 (--force: may replace one), never the
// ledger itself, never through a link.
void write_failed_out(const report_options& o, const std::string& csv) {
  struct stat a {
  }, b{};
  if (::stat(o.failed_out.c_str(), &a) == 0 && ::stat(o.ledger.c_str(), &b) == 0 &&
      a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
    throw io::ledger_error(fmt::format("--failed-out {}: that is the ledger", o.failed_out));
  }
  try {
    io::write_new_file(o.failed_out, csv, o.force);
  } catch (const std::runtime_error& e) {
    throw io::ledger_error(fmt::format("--failed-out {}", e.what()));
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
    const auto l = read_ledger(o->ledger);
    std::ostringstream out;
    const auto todo = find_still_to_do(*o, l, o->failed_out.empty() ? nullptr : &out);
    if (!o->failed_out.empty()) write_failed_out(*o, out.str());
    const auto plan = last_plan(*o, l);
    if (o->format == "json")
      print_json(*o, l, todo, plan);
    else
      print_text(*o, l, todo, plan);
    const bool all_ok = l.count(io::user_status::partial) + l.count(io::user_status::failed) +
                                l.count(io::user_status::not_found) +
                                l.count(io::user_status::invalid) ==
                            0 &&
                        todo.not_reached == 0 && !todo.unreadable;
    return all_ok ? 0 : 1;
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset report: {}\n", e.what()));
    return 2;
  }
}

}  // namespace devreset::cli
