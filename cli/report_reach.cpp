// Finding the users a ledger's runs did not reach, by reading their inputs again.
#include "cli/report_reach.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <variant>

#include "io/job_reader.hpp"
#include "io/ledger_reader.hpp"
#include "io/plan_file.hpp"
#include "io/shard.hpp"
#include "io/text.hpp"
#include "io/user_type_map.hpp"

namespace devreset::cli {

namespace json = boost::json;

namespace {

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string why_not_finished(const run_facts& r) {
  if (r.end == missing_shard) {
    return fmt::format("shard {} has no run in the ledgers given (K counts from 0)",
                       io::printable(r.shard, 40));
  }
  if (r.end.empty() && r.running_pid > 0)
    return fmt::format("the run is still running (PID {})", r.running_pid);
  if (r.end.empty()) return "the run ended without a summary (killed or crashed)";
  if (r.end == "interrupted") return "the run was interrupted";
  return r.reason.empty() ? "the run was aborted"
                          : fmt::format("the run was aborted: {}", io::printable(r.reason, 200));
}

// Reads one input as the run did; counts (and hands out) the users with no record.
unreached read_input(const run_facts& r, const has_record& known, const on_unreached& each) {
  unreached u{r.input, why_not_finished(r), 0, {}};
  if (r.input_format == "idm") {  // --query / --group: only the tenant knows the users
    u.problem = "its users came from the tenant: the same command with --resume finishes them";
    return u;
  }
  if (r.input == "-") {
    u.problem = "its users came from standard input: give the same list again with --resume";
    return u;
  }
  io::reader_options ro;
  io::type_list_error terr;
  if (auto types = io::parse_type_list(r.types, terr, /*allow_comma=*/true); types) {
    ro.default_types = *types;
  }
  if (!r.realm.empty()) ro.default_realm = r.realm;
  auto format = io::parse_input_format(r.input_format);
  io::user_type_map seen;
  std::string why;
  const auto shard =
      r.shard.empty() ? io::shard{} : io::parse_shard(r.shard, why).value_or(io::shard{});
  try {
    auto path = r.input_path.empty() ? r.input : r.input_path;
    std::unique_ptr<io::job_reader> reader;
    if (r.input_format == "plan") {  // run --plan: the plan's users, as the run read them
      reader = std::make_unique<io::plan_reader>(io::read_plan_info(path), ro.default_types);
    } else {
      reader = io::open_job_reader(path, format, ro);
    }
    while (auto row = reader->next()) {
      const auto* job = std::get_if<io::job>(&*row);
      if (job == nullptr || !io::in_shard(shard, *row)) continue;  // another shard's user
      const auto key = report_key(r.tenant, job->realm, job->kind,
                                  job->kind == io::id_kind::user_id ? job->user_id : job->name);
      if (!seen.add_key(key, job->types).bits() || known(key)) continue;
      ++u.users;
      if (each) each(*job);
    }
  } catch (const io::input_error& e) {
    u.problem = e.what();
  }
  return u;
}

}  // namespace

std::uint64_t report_key(std::string_view tenant, std::string_view realm, io::id_kind kind,
                         std::string_view identifier) {
  // A tenant URL holds no line break: "tenant\nrealm" names one (tenant, realm) pair.
  const auto scope = fmt::format("{}\n{}", tenant, realm);
  return io::user_type_map::key(scope, kind, identifier, identifier);
}

run_facts run_facts_of(const json::object& run) {
  run_facts f;
  f.run_id = string_field(run, "run_id");
  f.mode = string_field(run, "mode");
  f.tenant = io::run_tenant(run);
  f.input = string_field(run, "input");
  f.input_path = string_field(run, "input_path");
  f.input_format = string_field(run, "input_format");
  f.realm = string_field(run, "realm");
  f.types = string_field(run, "types");
  f.shard = string_field(run, "shard");
  if (const auto* plan = run.if_contains("plan"); plan != nullptr && plan->is_object()) {
    f.plan_run_id = string_field(plan->get_object(), "run_id");
    f.plan_sha256 = string_field(plan->get_object(), "sha256");
  }
  return f;
}

namespace {

// The shards of each sharded input (the same file, format, realm, types and N) that the runs
// name: a run of it, and the shards K.
using shard_sets = std::map<std::string, std::pair<const run_facts*, std::set<std::uint32_t>>>;

shard_sets shards_of(const std::vector<run_facts>& runs) {
  shard_sets sets;
  for (const auto& r : runs) {
    std::string why;
    const auto s = r.shard.empty() ? std::nullopt : io::parse_shard(r.shard, why);
    if (!s) continue;
    auto key = fmt::format("{}\n{}\n{}\n{}\n{}", r.input_path.empty() ? r.input : r.input_path,
                           r.input_format, r.realm, r.types, s->count);
    auto& set = sets[key];
    if (set.first == nullptr) set.first = &r;
    set.second.insert(s->index);
  }
  return sets;
}

}  // namespace

std::vector<std::string> lone_shards(const std::vector<run_facts>& runs) {
  std::vector<std::string> out;
  for (const auto& [key, set] : shards_of(runs)) {
    if (set.second.size() == 1)
      out.push_back(fmt::format("{} of {}", set.first->shard, set.first->input));
  }
  return out;
}

std::vector<run_facts> with_missing_shards(std::vector<run_facts> runs) {
  std::vector<run_facts> missing;
  for (const auto& [key, set] : shards_of(runs)) {
    if (set.second.size() < 2) continue;  // one shard alone: reported as itself (lone_shards)
    std::string why;
    const auto count = io::parse_shard(set.first->shard, why)->count;
    for (std::uint32_t k = 0; k < count; ++k) {
      if (set.second.contains(k)) continue;
      run_facts m = *set.first;
      m.run_id.clear();
      m.shard = fmt::format("{}/{}", k, count);
      m.end = std::string(missing_shard);
      missing.push_back(std::move(m));
    }
  }
  runs.insert(runs.begin(), missing.begin(), missing.end());  // read last (runs go newest first)
  return runs;
}

std::vector<unreached> find_unreached(const std::vector<run_facts>& runs, const has_record& known,
                                      const on_unreached& each) {
  std::vector<unreached> out;
  std::set<std::string> read;  // inputs read already (a resumed run names the same one)
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const auto& r = *it;
    if (r.input.empty()) continue;
    auto key = fmt::format("{}\n{}\n{}\n{}\n{}", r.input_path.empty() ? r.input : r.input_path,
                           r.input_format, r.realm, r.types, r.shard);
    // A later run of the same input that finished reached every user of it.
    if (!read.insert(key).second || r.end == "finished") continue;
    out.push_back(read_input(r, known, each));
  }
  return out;
}

}  // namespace devreset::cli
