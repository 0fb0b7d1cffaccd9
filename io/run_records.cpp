// The ledger's run and summary records (io/run_records.hpp).
#include "io/run_records.hpp"

#include <boost/json.hpp>

#include <cmath>

#include "io/text.hpp"

namespace devreset::io {

namespace json = boost::json;

namespace {

double round1(double v) {
  return std::round(v * 10) / 10;
}

json::value or_null(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::object users_json(const summary_record& s) {
  json::object users;
  for (auto st : {user_status::ok, user_status::partial, user_status::failed,
                  user_status::not_found, user_status::invalid, user_status::planned}) {
    users[to_string(st)] = s.users[static_cast<std::size_t>(st)];
  }
  return users;
}

json::object types_json(const summary_record& s) {
  json::object types;
  for (auto t : all_device_types) {
    const auto ti = index(t);
    json::object by;
    for (auto rs : {result_status::ok, result_status::not_found, result_status::failed,
                    result_status::planned}) {
      if (auto n = s.types[ti][static_cast<std::size_t>(rs)]; n > 0) by[to_string(rs)] = n;
    }
    if (auto n = s.devices_found[ti]; n > 0) by["found"] = n;
    if (auto n = s.devices_removed[ti]; n > 0) by["devices_removed"] = n;
    if (auto n = s.reset_by_action[ti]; n > 0) by["reset_by_action"] = n;
    if (auto n = s.selected[ti]; n > 0) by["selected"] = n;
    if (auto n = s.kept_recent[ti]; n > 0) by["kept_recent"] = n;
    if (auto n = s.kept_undated[ti]; n > 0) by["kept_undated"] = n;
    if (!by.empty()) types[to_string(t)] = std::move(by);
  }
  return types;
}

json::object latency_json(const summary_record::latency& l) {
  return {{"p50", round1(l.p50)}, {"p90", round1(l.p90)},   {"p95", round1(l.p95)},
          {"p99", round1(l.p99)}, {"p999", round1(l.p999)}, {"max", round1(l.max)}};
}

}  // namespace

json::object to_json(const selection_record& s) {
  auto at = [](std::int64_t ms) {
    return format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
  };
  json::object o{{"now", at(s.now_ms)},
                 {"now_ms", s.now_ms},
                 {"undated", s.remove_undated ? "remove" : "keep"}};
  if (s.unused_for_ms) {
    o["unused_for_ms"] = *s.unused_for_ms;
    o["last_used_before"] = at(s.now_ms - *s.unused_for_ms);
  }
  if (s.registered_before_ms) {
    o["registered_before_ms"] = *s.registered_before_ms;
    o["registered_before"] = at(*s.registered_before_ms);
  }
  if (s.registered_ago_ms) o["registered_before_ago_ms"] = *s.registered_ago_ms;
  return o;
}

std::optional<selection_record> selection_of(const json::object& run_record) {
  const auto* v = run_record.if_contains("selection");
  const auto* o = v != nullptr ? v->if_object() : nullptr;
  if (o == nullptr) return std::nullopt;
  auto ms = [&](std::string_view key) -> std::optional<std::int64_t> {
    const auto* x = o->if_contains(key);
    if (x == nullptr || !x->is_int64()) return std::nullopt;
    return x->get_int64();
  };
  auto now = ms("now_ms");
  if (!now) return std::nullopt;
  const auto* undated = o->if_contains("undated");
  return selection_record{
      *now, ms("unused_for_ms"), ms("registered_before_ms"), ms("registered_before_ago_ms"),
      undated != nullptr && undated->is_string() && undated->get_string() == "remove"};
}

json::object to_json(const run_record& r) {
  json::object o{
      {"record", "run"},
      {"run_id", r.run_id},
      {"started_at", r.started_at},
      {"mode", r.mode},
      {"tenant", r.tenant},
      {"tenant_url", r.tenant_url},
      {"am_path", r.am_path},
      {"tls_verify", r.tls_verify},
      {"concurrency", r.concurrency},
      {"rate", r.rate},
      {"max_attempts", r.max_attempts},
      {"verify", r.verify},
      {"proxy", or_null(r.proxy)},
      {"version", r.version},
      {"input", r.input},
      {"input_path", r.input_path},
      {"input_format", r.input_format},
      {"input_rows", r.input_rows},
      {"delimiter", r.delimiter.empty() ? json::value(nullptr) : json::value(r.delimiter)},
      {"ignored_columns", json::array(r.ignored_columns.begin(), r.ignored_columns.end())},
      {"realm", r.realm},
      {"types", r.types},
      {"resume", r.resume},
      {"shard", or_null(r.shard)},
      {"user_path", r.user_path},
      {"users_at", r.users_at}};
  if (r.demo) o["demo"] = true;
  if (r.selection) o["selection"] = to_json(*r.selection);
  if (r.plan) {
    o["plan"] = json::object{{"run_id", r.plan->run_id},
                             {"path", r.plan->path},
                             {"made_at", r.plan->made_at},
                             {"sha256", r.plan->sha256},
                             {"strict", r.plan->strict}};
  }
  return o;
}

json::object to_json(const summary_record& s) {
  json::object o{{"record", "summary"},
                 {"run_id", s.run_id},
                 {"end", s.end},
                 {"users", users_json(s)},
                 {"types", types_json(s)},
                 {"rows", s.rows},
                 {"duplicates", s.duplicates},
                 {"skipped_done", s.skipped_done},
                 {"other_shards", s.other_shards},
                 {"requests", s.requests},
                 {"retries", s.retries},
                 {"throttled_429", s.throttled_429},
                 {"transport_errors", s.transport_errors},
                 {"latency_ms", latency_json(s.latency_ms)},
                 {"elapsed_s", round1(s.elapsed_s)},
                 {"requests_per_s", round1(s.requests_per_s)},
                 {"requests_per_user", round1(s.requests_per_user)},
                 {"tenant_allowed_per_s", std::round(s.tenant_allowed_per_s)},
                 {"connections", s.connections},
                 {"proxy", or_null(s.proxy)},
                 {"tunnels", s.tunnels},
                 {"sign_ins", s.sign_ins},
                 {"finished_at", s.finished_at}};
  if (s.plan) {
    o["plan"] = json::object{{"run_id", s.plan->run_id},
                             {"added_since_plan", s.plan->added_since_plan},
                             {"gone_since_plan", s.plan->gone_since_plan},
                             {"types_empty_in_plan", s.plan->types_empty_in_plan},
                             {"users_nothing_to_remove", s.plan->users_nothing_to_remove},
                             {"users_outside_types", s.plan->users_outside_types}};
  }
  if (!s.reason.empty()) o["reason"] = s.reason;
  return o;
}

}  // namespace devreset::io
