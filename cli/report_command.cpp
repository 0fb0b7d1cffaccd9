// `devreset report LEDGER`: the summary of a ledger (any number of runs; a user's latest
// record wins), as text or JSON, and --failed-out: the users still to do, as a CSV that
// `devreset run --input` accepts.
#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <boost/unordered_map.hpp>

#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report_reach.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/ledger_writer.hpp"
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

// What the report keeps per user: a few bytes, never the id (ids are re-read in pass two).
struct user_state {
  std::uint64_t last_line = 0;
  std::uint8_t ok = 0;      // types done in any record
  std::uint8_t tried = 0;   // types in any record
  std::uint8_t status = 0;  // io::user_status of the latest record
};

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

int report_command(int argc, char** argv) {
  po::options_description desc(report_usage);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("ledger", po::value<std::string>(), "the ledger to read (or give it as the argument)")
    ("format", po::value<std::string>()->default_value("text"), "text or json")
    ("failed-out", po::value<std::string>(), "write the users still to do here (CSV)");
  // clang-format on
  std::string ledger, format, failed_out;
  try {
    auto vm = parse_layered(argc, argv, desc, {"ledger"});
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    if (!vm.count("ledger")) throw po::error("which ledger? devreset report LEDGER");
    ledger = vm["ledger"].as<std::string>();
    format = vm["format"].as<std::string>();
    if (format != "text" && format != "json") throw po::error("--format is text or json");
    if (vm.count("failed-out")) failed_out = vm["failed-out"].as<std::string>();
  } catch (const po::error& e) {
    fmt::print(stderr, "devreset report: {} (see devreset report --help)\n", e.what());
    return 2;
  }

  boost::unordered_map<std::uint64_t, user_state> users;
  std::uint64_t runs = 0, summaries = 0, interrupted = 0;
  std::vector<run_facts> run_list;
  std::string last_run_id;
  io::ledger_scan scan;
  auto type_bits = [](const json::object& rec, bool only_ok) {
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
  };
  auto key_of = [](const json::object& rec) -> std::optional<std::uint64_t> {
    auto u = rec.find("user_id");
    auto r = rec.find("realm");
    if (u == rec.end() || !u->value().is_string()) return std::nullopt;
    std::string_view realm = (r != rec.end() && r->value().is_string())
                                 ? std::string_view(r->value().get_string())
                                 : std::string_view();
    // Invalid rows of different lines are different rows, whatever id they carried.
    return io::user_type_map::key(realm, u->value().get_string());
  };

  try {
    scan = io::scan_ledger(ledger, [&](const json::object& rec, std::uint64_t line) {
      auto kind = rec.find("record");
      if (kind == rec.end()) return;
      if (kind->value() == "run") {
        ++runs;
        run_list.push_back(run_facts_of(rec));
        if (auto id = rec.find("run_id"); id != rec.end() && id->value().is_string()) {
          last_run_id = std::string(id->value().get_string());
        }
        return;
      }
      if (kind->value() == "summary") {
        ++summaries;
        if (auto e = rec.find("end"); e != rec.end() && e->value() != "finished") ++interrupted;
        const auto* id = rec.if_contains("run_id");
        for (auto& r : run_list) {
          if (id == nullptr || !id->is_string() || r.run_id != id->get_string()) continue;
          const auto* e = rec.if_contains("end");
          const auto* why = rec.if_contains("reason");
          r.end = e != nullptr && e->is_string() ? std::string(e->get_string()) : "aborted";
          if (why != nullptr && why->is_string()) r.reason = why->get_string();
        }
        return;
      }
      if (kind->value() != "user") return;
      auto status_it = rec.find("status");
      if (status_it == rec.end() || !status_it->value().is_string()) return;
      auto status = io::parse_user_status(status_it->value().get_string());
      auto key = key_of(rec);
      if (!status || !key) return;
      if (*status == io::user_status::invalid) *key ^= line * 0x9e3779b97f4a7c15ull;
      auto& st = users[*key];
      st.last_line = line;
      st.ok |= type_bits(rec, true).bits();
      st.tried |= type_bits(rec, false).bits();
      // The latest record wins; a resumed run's record names only the types it did, so
      // a user is ok once every type ever tried is ok.
      auto final_status = *status;
      if (*status == io::user_status::ok || *status == io::user_status::partial ||
          *status == io::user_status::failed) {
        auto still = io::type_set::from_bits(st.tried).minus(io::type_set::from_bits(st.ok));
        final_status = still.empty() ? io::user_status::ok
                       : st.ok != 0  ? io::user_status::partial
                                     : io::user_status::failed;
      }
      st.status = static_cast<std::uint8_t>(final_status);
    });
  } catch (const io::ledger_error& e) {
    fmt::print(stderr, "devreset report: {}\n", e.what());
    return 2;
  }

  std::array<std::uint64_t, 6> by_status{};
  std::array<std::array<std::uint64_t, 2>, 6> by_type{};  // [type][0 ok, 1 not ok]
  for (const auto& [key, st] : users) {
    ++by_status[st.status];
    for (auto t : io::all_device_types) {
      auto ts = io::type_set::from_bits(st.tried);
      if (!ts.contains(t)) continue;
      bool ok = io::type_set::from_bits(st.ok).contains(t);
      ++by_type[static_cast<std::size_t>(t)][ok ? 0 : 1];
    }
  }
  auto count = [&](io::user_status s) { return by_status[static_cast<std::size_t>(s)]; };

  // Pass two: the users still to do, at their latest record, then those never reached.
  std::uint64_t written = 0;
  std::vector<unreached> unreached_inputs;
  auto known = [&](std::string_view realm, std::string_view id) {
    return users.contains(io::user_type_map::key(realm, id));
  };
  if (!failed_out.empty()) {
    std::ofstream out(failed_out, std::ios::binary | std::ios::trunc);
    if (!out) {
      fmt::print(stderr, "devreset report: --failed-out {}: cannot write\n", failed_out);
      return 2;
    }
    if (!run_list.empty()) {
      out << io::origin_comment({run_list.back().tenant, run_list.back().realm}) << '\n';
    }
    out << "user_id,types,realm\n";
    io::scan_ledger(ledger, [&](const json::object& rec, std::uint64_t line) {
      if (rec.find("record") == rec.end() || rec.at("record") != "user") return;
      auto key = key_of(rec);
      if (!key) return;
      auto it = users.find(*key);
      if (it == users.end() || it->second.last_line != line) return;
      auto st = static_cast<io::user_status>(it->second.status);
      if (st != io::user_status::failed && st != io::user_status::partial) return;
      auto todo =
          io::type_set::from_bits(it->second.tried).minus(io::type_set::from_bits(it->second.ok));
      out << csv_field(rec.at("user_id").as_string()) << ',' << todo.to_string(';') << ','
          << csv_field(rec.at("realm").as_string()) << '\n';
      ++written;
    });
    unreached_inputs = find_unreached(run_list, known, [&](auto realm, auto id, auto types) {
      out << csv_field(id) << ',' << types << ',' << csv_field(realm) << '\n';
      ++written;
    });
    if (!out.flush()) {
      fmt::print(stderr, "devreset report: --failed-out {}: cannot write\n", failed_out);
      return 2;
    }
  } else {
    unreached_inputs = find_unreached(run_list, known, {});
  }
  std::uint64_t not_reached = 0;
  bool unreadable = false;
  for (const auto& u : unreached_inputs) {
    not_reached += u.users;
    unreadable |= !u.problem.empty();
  }

  if (format == "json") {
    json::object u, t;
    for (auto s :
         {io::user_status::ok, io::user_status::partial, io::user_status::failed,
          io::user_status::not_found, io::user_status::invalid, io::user_status::planned}) {
      u[io::to_string(s)] = count(s);
    }
    for (auto dt : io::all_device_types) {
      const auto& b = by_type[static_cast<std::size_t>(dt)];
      if (b[0] + b[1] > 0) t[io::to_string(dt)] = json::object{{"ok", b[0]}, {"not_ok", b[1]}};
    }
    json::object o{{"ledger", ledger},
                   {"runs", runs},
                   {"users", users.size()},
                   {"by_status", std::move(u)},
                   {"by_type", std::move(t)},
                   {"interrupted_runs", interrupted},
                   {"torn_last_line", scan.torn_tail},
                   {"corrupt_lines", scan.bad_lines.size()},
                   {"not_reached", not_reached}};
    json::array inputs;
    for (const auto& run : unreached_inputs) {
      json::object i{{"input", run.input}, {"not_reached", run.users}, {"why", run.why}};
      if (!run.problem.empty()) i["cannot_read"] = run.problem;
      inputs.push_back(std::move(i));
    }
    o["unfinished_runs"] = std::move(inputs);
    if (!failed_out.empty())
      o["failed_out"] = json::object{{"file", failed_out}, {"users", written}};
    fmt::print("{}\n", json::serialize(o));
  } else {
    fmt::print("Ledger {}: {} run{}{}, {} users\n", ledger, runs, runs == 1 ? "" : "s",
               interrupted > 0 ? fmt::format(" ({} interrupted or aborted)", interrupted) : "",
               users.size());
    std::string line = "Users:";
    for (auto s :
         {io::user_status::ok, io::user_status::partial, io::user_status::failed,
          io::user_status::not_found, io::user_status::invalid, io::user_status::planned}) {
      if (count(s) > 0 || s == io::user_status::ok)
        line += fmt::format("  {} {}", io::to_string(s), count(s));
    }
    fmt::print("{}\n", line);
    std::string types = "Types:";
    for (auto dt : io::all_device_types) {
      const auto& b = by_type[static_cast<std::size_t>(dt)];
      if (b[0] + b[1] > 0)
        types += fmt::format("  {} (ok {}, not ok {})", io::to_string(dt), b[0], b[1]);
    }
    fmt::print("{}\n", types);
    for (const auto& u : unreached_inputs) {
      if (!u.problem.empty()) {
        fmt::print("Cannot tell which users of {} were not reached ({}): {}\n", u.input, u.why,
                   u.problem);
      } else if (u.users > 0) {
        fmt::print("{} user(s) of {} not reached: {}.\n", u.users, u.input, u.why);
      }
    }
    if (scan.torn_tail) fmt::print("The last line is torn (a crash while writing): ignored.\n");
    if (!scan.bad_lines.empty()) {
      fmt::print("{} corrupt line(s) ignored, the first at line {}.\n", scan.bad_lines.size(),
                 scan.bad_lines.front());
    }
    if (!failed_out.empty()) {
      fmt::print(
          "Wrote {} user(s) still to do to {} (failed, partial and not reached; not_found and "
          "invalid rows are left out: they would fail again).\n",
          written, failed_out);
    }
  }
  bool all_ok = count(io::user_status::partial) + count(io::user_status::failed) +
                    count(io::user_status::not_found) + count(io::user_status::invalid) ==
                    0 &&
                not_reached == 0 && !unreadable;
  return all_ok ? 0 : 1;
}

}  // namespace devreset::cli
