// Plans read back: the plan's facts ahead of a run, and its users as jobs.
#include "io/plan_file.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <fstream>
#include <map>

#include "io/detail/row_builder.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/ledger_writer.hpp"
#include "io/realm_path.hpp"
#include "io/text.hpp"

namespace devreset::io {

namespace json = boost::json;

namespace {

std::unique_ptr<ledger_lines> open_lines(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw input_error(fmt::format("plan {}: is a directory", path.string()));
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw input_error(fmt::format("plan {}: cannot open for reading", path.string()));
  return std::make_unique<ledger_lines>(std::move(in), path.string());
}

std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// One run of the file, as read so far.
struct run_seen {
  std::uint64_t order = 0;
  plan_info info;
  std::string end;  // the summary's "end" (empty: no summary)
};

// A user the plan named by user name or mail and could not resolve (the run looks them up
// again).
bool unresolved(const user_record& u) {
  return u.user_id.empty() && u.kind != id_kind::user_id && u.status != user_status::invalid;
}

void count_user(plan_info& p, const user_record& u) {
  ++p.users;
  if (unresolved(u)) {
    ++p.users_unresolved;  // looked up again by the run, for the types its row asked for
    p.types = p.types | u.types;
    return;
  }
  bool any = false;
  for (const auto& r : u.results) {
    p.types.add(r.type);
    const auto t = static_cast<std::size_t>(r.type);
    if (r.status != result_status::planned) {
      ++p.users_unlisted;
      any = true;  // not known to be empty
      continue;
    }
    p.devices[t] += r.device_ids.size();
    if (!r.device_ids.empty()) {
      ++p.users_with[t];
      any = true;
    }
  }
  if (!any && u.status != user_status::invalid) ++p.users_empty;
}

void on_run(std::map<std::string, run_seen>& runs, const json::object& o,
            const std::filesystem::path& path) {
  auto& r = runs[std::string(str(o, "run_id"))];
  r.order = runs.size();
  if (str(o, "mode") != "plan") return;
  r.info.path = path.string();
  r.info.run_id = std::string(str(o, "run_id"));
  r.info.tenant = run_tenant(o);
  r.info.realm = std::string(str(o, "realm"));
  r.info.made_at = std::string(str(o, "started_at"));
  if (auto t = parse_utc(r.info.made_at)) r.info.made = *t;
  type_list_error error;
  if (auto types = parse_type_list(str(o, "types"), error, /*allow_comma=*/true)) {
    r.info.run_types = *types;
  }
}

}  // namespace

plan_info read_plan_info(const std::filesystem::path& path) {
  auto lines = open_lines(path);
  std::map<std::string, run_seen> runs;
  try {
    while (const auto* o = lines->next()) {
      const auto record = str(*o, "record");
      if (record == "run") {
        on_run(runs, *o, path);
      } else if (record == "summary") {
        runs[std::string(str(*o, "run_id"))].end = std::string(str(*o, "end"));
      } else if (record == "user") {
        auto it = runs.find(std::string(str(*o, "run_id")));
        auto u = user_record_from_json(*o);
        if (it != runs.end() && u) count_user(it->second.info, *u);
      }
    }
  } catch (const ledger_error& e) {
    throw input_error(fmt::format("plan {}: {}", path.string(), e.what()));
  }
  const run_seen* last = nullptr;
  for (const auto& [id, r] : runs) {
    if (!r.info.run_id.empty() && (last == nullptr || r.order > last->order)) last = &r;
  }
  if (last == nullptr) {
    throw input_error(fmt::format(
        "plan {}: holds no plan (no run record of `devreset plan`{})", path.string(),
        runs.empty() ? "; is it a ledger?" : fmt::format(" among its {} runs", runs.size())));
  }
  if (last->end != "finished") {
    throw input_error(fmt::format(
        "plan {}: plan {} did not finish ({}): plan again into a new ledger", path.string(),
        last->info.run_id, last->end.empty() ? "it has no summary" : last->end));
  }
  plan_info info = last->info;
  info.other_runs = runs.size() - 1;
  return info;
}

plan_reader::plan_reader(const plan_info& info, type_set narrow)
    : lines_(open_lines(info.path)),
      run_id_(info.run_id),
      narrow_(narrow),
      run_types_(info.run_types & narrow) {}

plan_reader::~plan_reader() = default;

std::uint64_t plan_reader::bytes_read() const {
  return lines_->scan().valid_bytes;
}

namespace {

// A plan's user as a job of the types of `narrow` it looked at.
job job_of(const user_record& u, type_set narrow) {
  job j;
  j.line = u.line;
  j.user_id = u.user_id;
  j.realm = u.realm;
  j.kind = u.kind;
  j.name = u.name;
  j.given = u.given;
  auto entry = std::make_shared<plan_entry>();
  for (const auto& r : u.results) {
    if (!narrow.contains(r.type)) continue;
    j.types.add(r.type);
    if (r.status != result_status::planned) continue;  // no list: reset as it is now
    entry->listed.add(r.type);
    entry->ids[static_cast<std::size_t>(r.type)] = r.device_ids;
  }
  j.plan = std::move(entry);
  return j;
}

// An unresolved user, looked up again for the types the row asked for within `narrow` (nothing
// listed); a plan written before records held them gives `fallback`, the plan's --types.
job unresolved_job(const user_record& u, type_set narrow, type_set fallback) {
  job j = job_of(u, {});
  j.types = u.types.empty() ? fallback : u.types & narrow;
  return j;
}

// A plan's user whose identifiers or realm an input row could not have: an invalid row
// (nothing is sent), as a hand-edited or damaged plan must not steer a request elsewhere.
std::optional<invalid_row> unsafe(const user_record& u) {
  const detail::row_builder check{reader_options{}};
  const bool by_id = u.kind == id_kind::user_id;
  const auto& shown = by_id ? u.user_id : u.name;
  if (u.status == user_status::invalid) return std::nullopt;  // an invalid row already
  auto why = by_id || !u.name.empty() ? check.check_id(shown, u.kind) : std::nullopt;
  if (!why && !by_id && !u.user_id.empty()) why = check.check_id(u.user_id);
  auto realm = realm_path(u.realm);
  if (!why &&
      (std::holds_alternative<realm_error>(realm) || std::get<std::string>(realm) != u.realm))
    why = fmt::format("realm '{}' is not a realm path", printable(u.realm, 200));
  if (!why) return std::nullopt;
  return invalid_row{u.line, shown, fmt::format("in the plan: {}", *why), false, u.kind};
}

}  // namespace

std::optional<input_row> plan_reader::next() {
  try {
    while (const auto* o = lines_->next()) {
      if (str(*o, "record") != "user" || str(*o, "run_id") != run_id_) continue;
      auto u = user_record_from_json(*o);
      if (!u) continue;                       // read_plan_info counted only what reads back
      if (auto bad = unsafe(*u)) return bad;  // a plan is a file: checked as any input
      if (u->status == user_status::invalid) {
        const bool by_id = u->kind == id_kind::user_id;
        return invalid_row{u->line, by_id ? u->user_id : u->name,
                           fmt::format("invalid in the plan: {}", u->reason), false, u->kind};
      }
      auto j = unresolved(*u) ? unresolved_job(*u, narrow_, run_types_) : job_of(*u, narrow_);
      if (j.types.empty()) {
        ++left_out_;
        continue;
      }
      return j;
    }
  } catch (const ledger_error& e) {
    return invalid_row{lines_->line(), {}, e.what(), true, id_kind::user_id};
  }
  return std::nullopt;
}

}  // namespace devreset::io
