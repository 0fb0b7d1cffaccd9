// JSON forms of ledger records, built and read with Boost.JSON.
#include "io/ledger_record.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "io/text.hpp"

namespace devreset::io {

namespace json = boost::json;

namespace {

constexpr user_status all_user_statuses[] = {user_status::ok,      user_status::partial,
                                             user_status::failed,  user_status::not_found,
                                             user_status::invalid, user_status::planned};
constexpr result_status all_result_statuses[] = {result_status::ok, result_status::not_found,
                                                 result_status::failed, result_status::planned};

// Milliseconds with 0.1 ms resolution: enough for people, short in the file.
double round_ms(double ms) {
  return static_cast<double>(static_cast<long long>(ms * 10 + 0.5)) / 10;
}

// A cleanup's devices: [{"id","created_ms","last_used_ms"}], a date null when not told.
json::array selected_json(const std::vector<type_result::dated_device>& devices,
                          const json::storage_ptr& sp) {
  json::array out(sp);
  out.reserve(devices.size());
  auto date = [](const std::optional<std::int64_t>& d) {
    return d ? json::value(*d) : json::value(nullptr);
  };
  for (const auto& d : devices) {
    out.emplace_back(json::object(
        {{"id", d.id}, {"created_ms", date(d.created_ms)}, {"last_used_ms", date(d.last_used_ms)}},
        sp));
  }
  return out;
}

}  // namespace

std::string_view to_string(user_status s) noexcept {
  switch (s) {
    case user_status::ok:
      return "ok";
    case user_status::partial:
      return "partial";
    case user_status::failed:
      return "failed";
    case user_status::not_found:
      return "not_found";
    case user_status::invalid:
      return "invalid";
    case user_status::planned:
      return "planned";
  }
  return "unknown";
}

std::optional<int> type_result::removed() const {
  if (status != result_status::ok && status != result_status::failed) return 0;
  if (deleted) return *deleted - gone.value_or(0);
  if (action.starts_with("list+reset") && status == result_status::ok) return found.value_or(0);
  if (action == "reset" && status == result_status::ok) return std::nullopt;
  return 0;
}

std::span<const type_result::dated_device> type_result::removed_selected() const {
  if (status != result_status::ok && status != result_status::failed) return {};  // as removed()
  const auto done = static_cast<std::size_t>(std::max(0, deleted.value_or(0)));
  return std::span(selected).first(std::min(selected.size(), done));
}

std::string_view to_string(result_status s) noexcept {
  switch (s) {
    case result_status::ok:
      return "ok";
    case result_status::not_found:
      return "not_found";
    case result_status::failed:
      return "failed";
    case result_status::planned:
      return "planned";
  }
  return "unknown";
}

std::optional<user_status> parse_user_status(std::string_view s) noexcept {
  for (auto v : all_user_statuses) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<result_status> parse_result_status(std::string_view s) noexcept {
  for (auto v : all_result_statuses) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

json::object to_json(const user_record& r, json::storage_ptr sp) {
  json::object o(sp);
  o.reserve(11);
  o["record"] = "user";
  o["run_id"] = r.run_id;
  o["line"] = r.line;
  // Ids come from input files: keep the ledger valid UTF-8 whatever they hold.
  auto text = [](const std::string& v) {
    return is_valid_utf8(v) && v.size() <= 4096 ? json::string(v) : json::string(printable(v, 256));
  };
  if (r.kind != id_kind::user_id) o[to_string(r.kind)] = text(r.name);
  bool others = r.kind != id_kind::user_id;
  for (auto k : {id_kind::user_name, id_kind::mail}) {  // given beside the one used
    const auto& v = r.given[static_cast<std::size_t>(k)];
    if (k == r.kind || v.empty()) continue;
    o[to_string(k)] = text(v);
    others = true;
  }
  if (others) o["named_by"] = to_string(r.kind);
  if (r.kind == id_kind::user_id || !r.user_id.empty()) o["user_id"] = text(r.user_id);
  o["realm"] = r.realm;
  o["status"] = to_string(r.status);
  if (!r.reason.empty()) o["reason"] = r.reason;
  if (r.results.empty() && !r.types.empty()) o["types"] = r.types.to_string(',');
  json::array results(sp);
  results.reserve(r.results.size());
  for (const auto& t : r.results) {
    json::object x(sp);
    x["type"] = to_string(t.type);
    x["action"] = t.action;
    x["status"] = to_string(t.status);
    if (t.found) x["found"] = *t.found;
    if (t.deleted) x["deleted"] = *t.deleted;
    if (t.gone) x["already_gone"] = *t.gone;
    if (t.remaining) x["remaining"] = *t.remaining;
    if (t.kept_recent) x["kept_recent"] = *t.kept_recent;
    if (t.kept_undated) x["kept_undated"] = *t.kept_undated;
    if (!t.selected.empty()) x["selected"] = selected_json(t.selected, sp);
    for (auto [key, ids] : {std::pair{"device_ids", &t.device_ids},
                            std::pair{"added_since_plan", &t.added_since_plan},
                            std::pair{"gone_since_plan", &t.gone_since_plan}}) {
      if (!ids->empty()) x[key] = json::array(ids->begin(), ids->end(), sp);
    }
    x["http_status"] = t.http_status;
    x["attempts"] = t.attempts;
    x["retries"] = t.retries;
    if (t.throttled > 0) x["throttled"] = t.throttled;
    x["elapsed_ms"] = round_ms(t.elapsed_ms);
    if (!t.error.empty()) x["error"] = t.error;
    results.emplace_back(std::move(x));
  }
  o["results"] = std::move(results);
  o["elapsed_ms"] = round_ms(r.elapsed_ms);
  o["finished_at"] = json::string(format_utc(r.finished_at), sp);
  return o;
}

namespace {

std::string_view str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return it->value().get_string();
}

template <class T>
std::optional<T> number(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return std::nullopt;
  boost::system::error_code ec;
  auto v = it->value().to_number<T>(ec);
  if (ec) return std::nullopt;
  return v;
}

void read_selected(const json::object& x, std::vector<type_result::dated_device>& out) {
  const auto* list = x.if_contains("selected");
  if (list == nullptr || !list->is_array()) return;
  for (const auto& v : list->get_array()) {
    const auto* d = v.if_object();
    if (d == nullptr || str(*d, "id").empty()) continue;
    out.push_back({std::string(str(*d, "id")), number<std::int64_t>(*d, "created_ms"),
                   number<std::int64_t>(*d, "last_used_ms")});
  }
}

// One result of a user record (its type and status read already).
type_result type_result_from_json(const json::object& x, device_type type, result_status status) {
  type_result t;
  t.type = type;
  t.status = status;
  t.action = str(x, "action");
  t.http_status = number<int>(x, "http_status").value_or(0);
  t.attempts = number<int>(x, "attempts").value_or(0);
  t.retries = number<int>(x, "retries").value_or(0);
  t.throttled = number<int>(x, "throttled").value_or(0);
  t.elapsed_ms = number<double>(x, "elapsed_ms").value_or(0);
  t.found = number<int>(x, "found");
  t.deleted = number<int>(x, "deleted");
  t.gone = number<int>(x, "already_gone");
  t.remaining = number<int>(x, "remaining");
  t.kept_recent = number<int>(x, "kept_recent");
  t.kept_undated = number<int>(x, "kept_undated");
  read_selected(x, t.selected);
  t.error = str(x, "error");
  for (auto [key, out] :
       {std::pair{"device_ids", &t.device_ids}, std::pair{"added_since_plan", &t.added_since_plan},
        std::pair{"gone_since_plan", &t.gone_since_plan}}) {
    auto ids = x.find(key);
    if (ids == x.end() || !ids->value().is_array()) continue;
    for (const auto& id : ids->value().get_array()) {
      if (id.is_string()) out->emplace_back(id.get_string());
    }
  }
  return t;
}

}  // namespace

std::optional<user_record> user_record_from_json(const json::object& o) {
  if (str(o, "record") != "user") return std::nullopt;
  auto status = parse_user_status(str(o, "status"));
  if (!status) return std::nullopt;
  user_record r;
  r.run_id = str(o, "run_id");
  r.line = number<std::uint64_t>(o, "line").value_or(0);
  r.user_id = str(o, "user_id");
  for (auto k : {id_kind::user_name, id_kind::mail}) {
    if (auto n = str(o, to_string(k)); !n.empty()) {
      r.given[static_cast<std::size_t>(k)] = std::string(n);
      if (!o.contains("named_by")) r.kind = k;  // the first version wrote only the one used
    }
  }
  for (auto k : {id_kind::user_id, id_kind::user_name, id_kind::mail}) {
    if (str(o, "named_by") == to_string(k)) r.kind = k;
  }
  if (r.kind != id_kind::user_id) r.name = r.given[static_cast<std::size_t>(r.kind)];
  r.realm = str(o, "realm");
  r.status = *status;
  r.reason = str(o, "reason");
  type_list_error bad_types;
  r.types = parse_type_list(str(o, "types"), bad_types, /*allow_comma=*/true).value_or(type_set{});
  r.elapsed_ms = number<double>(o, "elapsed_ms").value_or(0);
  if (auto it = o.find("results"); it != o.end() && it->value().is_array()) {
    for (const auto& v : it->value().get_array()) {
      const auto* x = v.if_object();
      if (x == nullptr) return std::nullopt;
      auto type = parse_device_type(str(*x, "type"));
      auto ts = parse_result_status(str(*x, "status"));
      if (!type || !ts) return std::nullopt;
      r.results.push_back(type_result_from_json(*x, *type, *ts));
    }
  }
  return r;
}

}  // namespace devreset::io
