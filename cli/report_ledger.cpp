// Reading ledgers for `report`: the two passes (report_ledger.hpp).
#include "cli/report_ledger.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>

#include "io/job_reader.hpp"
#include "io/json_text.hpp"
#include "io/ledger_writer.hpp"
#include "io/text.hpp"
#include "io/user_type_map.hpp"

namespace devreset::cli {

namespace json = boost::json;

std::string report_options::names() const {
  if (ledgers.size() == 1) return ledgers.front();
  std::string out;
  for (const auto& l : ledgers)
    out += (out.empty() ? "" : ", ") + l;
  return fmt::format("{} ({} ledgers)", out, ledgers.size());
}

std::string csv_field(std::string_view value) {
  const auto cell = io::spreadsheet_cell(value);  // never a formula in a spreadsheet
  const std::string_view s = cell;
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return cell;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {

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
}  // namespace

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

namespace {

// The index of the tenant a record's run was on (0 when its run record is missing: the
// first tenant, or "" when there is none).
std::uint8_t tenant_of(const ledger_summary& l, const json::object& rec) {
  auto it = l.run_tenants.find(text_of(rec, "run_id"));
  return it == l.run_tenants.end() ? 0 : it->second;
}

std::string_view tenant_name(const ledger_summary& l, std::uint8_t t) {
  return t < l.tenants.size() ? std::string_view(l.tenants[t]) : std::string_view();
}

// A user's key in the report; `place`: the record's (where()). Invalid rows of different
// lines are different rows, whatever identifier they carried.
std::optional<std::uint64_t> key_of(const ledger_summary& l, const json::object& rec,
                                    std::uint64_t place) {
  const auto [kind, name] = named_by(rec);
  if (kind == io::id_kind::user_id && !rec.contains("user_id")) return std::nullopt;
  auto key = report_key(tenant_name(l, tenant_of(l, rec)), text_of(rec, "realm"), kind, name);
  if (text_of(rec, "status") == "invalid") key ^= place * 0x9e3779b97f4a7c15ull;
  return key;
}

// A ledger a devreset run writes now: its last run without a summary is that run, going on.
void note_running(ledger_summary& l, const std::string& ledger, std::size_t first_run) {
  const long pid = io::ledger_writer_pid(ledger);
  if (pid <= 0 || l.runs.size() <= first_run || !l.runs.back().end.empty()) return;
  l.runs.back().running_pid = pid;
  l.running.push_back(fmt::format("{} (PID {})", ledger, pid));
}

// A run record: its facts, and its tenant's index for the users it recorded.
void on_run(ledger_summary& l, const json::object& rec) {
  auto facts = run_facts_of(rec);
  auto t = std::find(l.tenants.begin(), l.tenants.end(), facts.tenant);
  if (t == l.tenants.end()) {
    if (l.tenants.size() == 255)
      throw io::ledger_error("the ledgers name more than 255 tenants: report fewer at a time");
    t = l.tenants.insert(l.tenants.end(), facts.tenant);
  }
  l.run_tenants[facts.run_id] = static_cast<std::uint8_t>(t - l.tenants.begin());
  l.runs.push_back(std::move(facts));
  l.details.run_records.push_back(rec);
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

// A record's place over all ledgers: the ledger's index above the line number.
std::uint64_t where(std::size_t ledger, std::uint64_t line) {
  return (static_cast<std::uint64_t>(ledger) << 40) | line;
}

void add_scan(ledger_summary& l, const io::ledger_scan& scan, const std::string& ledger) {
  l.scan.records += scan.records;
  l.scan.torn_tail |= scan.torn_tail;
  if (l.scan.bad_lines.empty() && !scan.bad_lines.empty()) {
    l.scan.bad_lines = scan.bad_lines;
    l.bad_in = ledger;
  }
}

// What the HTML page shows of a user record: its second, its retries, its errors, its
// types' times.
void add_details(report_details& d, const json::object& rec, io::user_status status) {
  auto finished = io::parse_utc(text_of(rec, "finished_at"));
  auto& sec = d.timeline[finished ? std::chrono::duration_cast<std::chrono::seconds>(
                                        finished->time_since_epoch())
                                        .count()
                                  : 0];
  ++sec.users;
  sec.not_ok += status != io::user_status::ok && status != io::user_status::planned;
  std::vector<std::string_view> noted;  // a reason counts once per user
  auto note_error = [&](std::string_view why) {
    if (why.empty() || std::find(noted.begin(), noted.end(), why) != noted.end()) return;
    noted.push_back(why);
    if (d.errors.size() >= 1000 && !d.errors.contains(std::string(why))) return;
    auto& e = d.errors[std::string(why)];
    ++e.count;
    auto who = io::printable(named_by(rec).second, 80);
    if (e.examples.size() < 3 &&
        std::find(e.examples.begin(), e.examples.end(), who) == e.examples.end())
      e.examples.push_back(std::move(who));
  };
  if (status != io::user_status::ok) note_error(text_of(rec, "reason"));
  const auto* results = rec.if_contains("results");
  if (results == nullptr || !results->is_array()) return;
  for (const auto& r : results->get_array()) {
    const auto* x = r.if_object();
    if (x == nullptr) continue;
    // "retries": requests sent again (the summary's retries); "attempts" counts every
    // request of the type (lists, deletes, verification), never a retry by itself.
    if (const auto* a = x->if_contains("retries");
        a != nullptr && a->is_int64() && a->get_int64() > 0)
      sec.retries += static_cast<std::uint64_t>(a->get_int64());
    if (const auto* t = x->if_contains("throttled"); t != nullptr && t->is_int64())
      sec.throttled += static_cast<std::uint64_t>(t->get_int64());
    note_error(text_of(*x, "error"));
    if (const auto* ms = x->if_contains("elapsed_ms"); ms != nullptr && ms->is_number()) {
      const double v = ms->to_number<double>();
      const auto k =
          v < 1 ? 0 : std::min<std::size_t>(39, static_cast<std::size_t>(std::log2(v)) + 1);
      ++d.type_ms[k];
    }
  }
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

// A cleanup by age: what a type kept, and the last use of what it removed (as of the record).
void add_kept(ledger_summary& l, const io::user_record& u, const io::type_result& r) {
  const auto t = static_cast<std::size_t>(r.type);
  l.by_age = true;
  l.kept_recent[t] += static_cast<std::uint64_t>(std::max(0, r.kept_recent.value_or(0)));
  l.kept_undated[t] += static_cast<std::uint64_t>(std::max(0, r.kept_undated.value_or(0)));
  const auto at =
      std::chrono::duration_cast<std::chrono::milliseconds>(u.finished_at.time_since_epoch())
          .count();
  for (const auto& d : r.removed_selected()) {
    const double days = d.last_used_ms ? static_cast<double>(at - *d.last_used_ms) / 86400000 : -1;
    const std::size_t band = days < 0 ? 4 : days < 90 ? 0 : days < 180 ? 1 : days < 365 ? 2 : 3;
    ++l.removed_by_age[band];
  }
}

// The devices a user record removed, by type (type_result::removed(): the engine's rule).
void add_removed(ledger_summary& l, const json::object& rec) {
  auto u = io::user_record_from_json(rec);
  if (!u || u->status == io::user_status::planned) return;
  for (const auto& r : u->results) {
    const auto t = static_cast<std::size_t>(r.type);
    l.added_since_plan += r.added_since_plan.size();
    l.gone_since_plan += r.gone_since_plan.size();
    if (auto n = r.removed())
      l.removed[t] += static_cast<std::uint64_t>(std::max(0, *n));
    else
      ++l.untold[t];
    if (r.kept_recent || r.kept_undated) add_kept(l, *u, r);
  }
}

// A user record: the latest wins; a resumed run's record names only the types it did, so a
// user is ok once every type ever tried is ok.
void on_user(ledger_summary& l, const json::object& rec, std::uint64_t line) {
  auto status_it = rec.find("status");
  if (status_it == rec.end() || !status_it->value().is_string()) return;
  auto status = io::parse_user_status(status_it->value().get_string());
  auto key = key_of(l, rec, line);
  if (!status || !key) return;
  auto& st = l.users[*key];
  st.last_line = line;
  st.tenant = tenant_of(l, rec);
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
  add_details(l.details, rec, *status);
  add_removed(l, rec);
}

}  // namespace

ledger_summary read_ledgers(const report_options& o) {
  ledger_summary l;
  for (std::size_t i = 0; i < o.ledgers.size(); ++i) {
    const auto runs_before = l.runs.size();
    auto scan = io::scan_ledger(o.ledgers[i], [&](const json::object& rec, std::uint64_t line) {
      auto kind = rec.find("record");
      if (kind == rec.end()) return;
      if (kind->value() == "run") on_run(l, rec);
      if (kind->value() == "summary") {
        on_summary(l, rec);
        l.details.summary_records.push_back(rec);
      }
      if (kind->value() == "user") on_user(l, rec, where(i, line));
    });
    add_scan(l, scan, o.ledgers[i]);
    note_running(l, o.ledgers[i], runs_before);
  }
  l.by_tenant_status.resize(std::max<std::size_t>(1, l.tenants.size()));
  for (const auto& [key, st] : l.users) {
    ++l.by_status[st.status];
    ++l.by_tenant_status[st.tenant][st.status];
    l.verified += st.verified;
    for (auto t : io::all_device_types) {
      if (!io::type_set::from_bits(st.tried).contains(t)) continue;
      bool ok = io::type_set::from_bits(st.ok).contains(t);
      ++l.by_type[static_cast<std::size_t>(t)][ok ? 0 : 1];
    }
  }
  return l;
}

void for_each_latest(const report_options& o, const ledger_summary& l,
                     const std::function<void(const json::object&, const user_state&)>& each) {
  for (std::size_t i = 0; i < o.ledgers.size(); ++i) {
    io::scan_ledger(o.ledgers[i], [&](const json::object& rec, std::uint64_t line) {
      if (rec.find("record") == rec.end() || rec.at("record") != "user") return;
      auto key = key_of(l, rec, where(i, line));
      auto it = key ? l.users.find(*key) : l.users.end();
      if (it == l.users.end() || it->second.last_line != where(i, line)) return;
      each(rec, it->second);
    });
  }
}

// Pass two (with --failed-out): the users still to do at their latest record, then those the
// unfinished runs never reached. Without it, only the count of the latter.
still_to_do find_still_to_do(const report_options& o, const ledger_summary& l, std::ostream* out) {
  still_to_do todo;
  auto known = [&](std::uint64_t key) { return l.users.contains(key); };
  if (out != nullptr && l.tenants.size() > 1) {
    std::string names;
    for (const auto& t : l.tenants)
      names += (names.empty() ? "" : ", ") + io::printable(t, 200);
    throw io::ledger_error(fmt::format(
        "--failed-out: the ledgers hold runs on {} tenants ({}): a list of users to retry is "
        "for one tenant; give --failed-out the ledgers of one tenant at a time",
        l.tenants.size(), names));
  }
  if (out != nullptr) {
    if (!l.runs.empty())
      *out << io::origin_comment({l.runs.back().tenant, l.runs.back().realm}) << '\n';
    *out << "user_id,user_name,mail,types,realm\n";
    for_each_latest(o, l, [&](const json::object& rec, const user_state& user) {
      auto st = static_cast<io::user_status>(user.status);
      if (st != io::user_status::failed && st != io::user_status::partial) return;
      auto left = io::type_set::from_bits(user.tried).minus(io::type_set::from_bits(user.ok));
      const auto [kind, name] = named_by(rec);
      *out << failed_row(kind, name, left.to_string(';'), text_of(rec, "realm"));
      ++todo.written;
    });
  }
  todo.inputs = find_unreached(with_missing_shards(l.runs), known, [&](const io::job& j) {
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

std::string field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_object() && v->get_object().contains("run_id")) return field(v->get_object(), "run_id");
  return io::json_text(*v);
}

std::string devices_of(const json::object& rec) {
  auto u = io::user_record_from_json(rec);
  if (!u) return {};
  std::string out;
  for (const auto& r : u->results) {
    const auto n = u->status == io::user_status::planned
                       ? std::optional<int>(static_cast<int>(r.device_ids.size()))
                       : r.removed();
    const int recent = r.kept_recent.value_or(0), undated = r.kept_undated.value_or(0);
    if (n && *n == 0 && recent + undated == 0) continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ";", io::to_string(r.type),
                       n ? std::to_string(*n) : std::string("reset"));
    if (recent + undated > 0) out += fmt::format(" (kept {} recent, {} undated)", recent, undated);
  }
  return out;
}

}  // namespace devreset::cli
