// The simulated tenant's API: docs/tenant-api.md's endpoints, answers and errors.
#include "sim/api.hpp"

#include "sim/am_route.hpp"
#include "sim/crest.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <vector>

#include "io/realm_path.hpp"
#include "io/text.hpp"
#include "sim/random.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;
using io::device_type;

namespace {

// --device-ages: the devices left in each age bucket, by type ({"oath": {"30": n, ...}}).
json::object ages_json(const tenant_state& state) {
  json::object o;
  for (auto t : io::all_device_types) {
    json::object by;
    for (const auto& [bucket, n] : state.devices_left_by_age(t))
      by[bucket] = n;
    if (!by.empty()) o[io::to_string(t)] = std::move(by);
  }
  return o;
}

outcome error(int status, std::string_view message) {
  return crest_error(status, message);
}

// What a web container (Tomcat) or a gateway answers for a path that is not AM's.
outcome web_page_404() {
  // Copied from strings, not literals: GCC 12 at -O3 warns falsely on long literals here.
  static const std::string type = "text/html;charset=utf-8";
  static const std::string page =
      "<!doctype html><html lang=\"en\"><head><title>HTTP Status 404 – Not Found</title>"
      "</head><body><h1>HTTP Status 404 – Not Found</h1></body></html>";
  outcome o;
  o.status = 404;
  o.content_type = type;
  o.body = page;
  return o;
}

// AM's realm router, before any route: Realm "/beta" not found.
outcome realm_not_found(std::string_view realm_path) {
  std::string shown(realm_path.starts_with("/realms/root") ? realm_path.substr(12) : realm_path);
  for (auto at = shown.find("/realms"); at != std::string::npos; at = shown.find("/realms"))
    shown.erase(at, 7);
  return error(404, fmt::format("Realm \"{}\" not found", shown.empty() ? "/" : shown));
}

// The device type whose collection (io::device_types: "profile", "2fa/oath") the next one or
// two path segments name.
template <class Next>
std::optional<device_type> collection_type(Next& next) {
  auto find = [](std::string_view path) -> std::optional<device_type> {
    for (const auto& row : io::device_types)
      if (row.collection == path) return row.type;
    return std::nullopt;
  };
  auto first = next();
  if (!first) return std::nullopt;
  if (auto t = find(*first)) return t;
  auto second = next();
  if (!second) return std::nullopt;
  return find(*first + "/" + *second);
}

// The AM context path without its slashes: "/am/" -> "am".
std::string am_prefix_of(std::string path) {
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  return path;
}

}  // namespace

api::api(const options& opts, tenant_state& state, std::string token)
    : opts_(opts),
      state_(state),
      idm_(opts_, state),
      am_prefix_(am_prefix_of(opts.am_path)),
      oauth_(opts_, std::move(token), am_prefix_),
      sessions_(opts_, am_prefix_),
      am_users_(state, am_prefix_),
      rng_(opts.seed ^ 0x5eed5eed5eed5eedull),
      limit_(opts_),
      faults_(opts_),
      hostile_(opts.hostile_rate) {}

std::optional<api::target> api::parse_target(std::string_view raw) const {
  // <am>/json/realms/root[/realms/<name>...]/users/<id>/devices/<collection>[/<device>]
  auto r = parse_am_route(raw, am_prefix_);
  if (!r || !r->under_root()) return std::nullopt;
  auto it = r->rest.begin();
  auto next = [&]() -> std::optional<std::string> {
    if (it == r->rest.end()) return std::nullopt;
    return *it++;
  };
  target t;
  if (next() != "users") return std::nullopt;
  auto user = next();
  if (!user || next() != "devices") return std::nullopt;
  t.user_id = std::move(*user);
  auto type = collection_type(next);
  if (!type) return std::nullopt;
  t.type = *type;
  t.device = next();
  if (it != r->rest.end()) return std::nullopt;
  t.realm = std::move(r->realm);
  t.action = r->param("_action");
  t.query_filter = r->param("_queryFilter");
  t.page_size = r->param("_pageSize");
  t.cookie = r->param("_pagedResultsCookie");
  t.offset = r->param("_pagedResultsOffset");
  return t;
}

endpoint api::endpoint_of(const request_view& req, const std::optional<target>& t, bool idm) {
  if (idm) return {endpoint::kind::idm};
  if (!t) return {endpoint::kind::other};
  if (req.method == "POST" && t->action && !t->device) return {endpoint::kind::reset, t->type};
  if (req.method == "GET" && !t->device) return {endpoint::kind::query, t->type};
  if (req.method == "DELETE" && t->device) return {endpoint::kind::delete_, t->type};
  return {endpoint::kind::other};
}

std::optional<outcome> api::own(const request_view& req) {
  if (req.target == "/sim/stats" && req.method == "GET") {
    counts_.count({endpoint::kind::stats}, 200);  // not in `requests`: looking changes no count
    outcome o;
    o.body = stats_json();
    return o;
  }
  if (req.target.starts_with("/sim/devices?") && req.method == "POST") {
    counts_.count({endpoint::kind::stats}, 200);  // the sim's admin side: not a tenant request
    return register_device(req.target);
  }
  return std::nullopt;
}

outcome api::handle(const request_view& req, clock::time_point now) {
  if (auto o = own(req)) return *o;
  ++requests_;
  if (oauth_.is_token_endpoint(req)) {
    auto o = oauth_.exchange(req, now);
    counts_.count({endpoint::kind::token}, o.status);
    return o;
  }
  if (auto o = session_endpoint(req, now)) return *o;
  const bool idm = idm_.owns(req.target);
  auto t = idm ? std::nullopt : parse_target(req.target);
  const auto users = sessions_.enabled() ? am_users_.route_of(req) : std::nullopt;
  const auto e = users ? endpoint{endpoint::kind::am_users} : endpoint_of(req, t, idm);
  // Only Retry-After bookkeeping needs the user's key: no string per request otherwise.
  std::string user_key;
  if (t && limit_.wants_user_key()) user_key = t->realm + '\n' + t->user_id;
  header_list limit_headers;
  auto stopped = gate(user_key, req.client, now, limit_headers);
  outcome o = stopped ? std::move(*stopped)
              : idm   ? idm_answer(req, now)
              : users ? am_users_answer(req, *users, now)
              : e.is_device()
                  ? faults_.after(respond(req, t, e, now), e.what == endpoint::kind::reset, rng_)
                  : respond(req, t, e, now);
  o.headers = std::move(limit_headers);
  counts_.count(e, o.what == outcome::kind::drop ? 0 : o.status);
  if (o.what != outcome::kind::drop) delay(o, now);
  return o;
}

void api::delay(outcome& o, clock::time_point now) {
  if (o.delay.count() == 0 && (opts_.latency.count() > 0 || opts_.jitter.count() > 0)) {
    auto j = opts_.jitter.count();
    auto spread =
        j > 0 ? static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(2 * j + 1)) - j : 0;
    o.delay = std::chrono::milliseconds(std::max<std::int64_t>(0, opts_.latency.count() + spread));
  }
  if (opts_.capacity > 0) o.delay += queue_wait(now);
}

// --capacity: each request takes the next free slot (1/capacity apart), so beyond that rate
// answers wait longer and longer, as on a tenant whose servers are saturated.
std::chrono::milliseconds api::queue_wait(clock::time_point now) {
  const auto slot = std::max(now, next_free_);
  next_free_ = slot + std::chrono::duration_cast<clock::duration>(
                          std::chrono::duration<double>(1.0 / opts_.capacity));
  return std::chrono::ceil<std::chrono::milliseconds>(slot - now);
}

// The rate limit and the faults come first; a request they stop changes nothing.
std::optional<outcome> api::gate(const std::string& user_key, std::string_view client,
                                 clock::time_point now, header_list& headers) {
  if (auto refused = limit_.admit(user_key, client, now, headers)) return refused;
  if (auto fault = faults_.before(rng_)) return fault;
  return hostile_.answer(rng_);
}

outcome api::idm_answer(const request_view& req, clock::time_point now) {
  auto scopes = oauth_.bearer_scopes(req, now);
  if (!scopes) return error(401, "Access Denied");
  return idm_.handle(req, *scopes);
}

std::optional<outcome> api::session_endpoint(const request_view& req, clock::time_point now) {
  std::optional<outcome> o;
  if (sessions_.is_sign_in(req)) o = sessions_.sign_in(req, now);
  if (sessions_.is_sign_out(req)) o = sessions_.sign_out(req, now);
  if (o) {
    counts_.count({endpoint::kind::session}, o->status);
    delay(*o, now);
  }
  return o;
}

std::optional<outcome> api::refuse(const request_view& req, clock::time_point now) {
  if (!sessions_.enabled()) {
    if (!oauth_.bearer_scopes(req, now)) return error(401, "Access Denied");
    return std::nullopt;
  }
  switch (sessions_.check(req, now)) {
    case am_sessions::access::none:
      return error(401, "Access Denied");
    case am_sessions::access::not_admin:
      return error(403, "User not permitted.");
    case am_sessions::access::admin:
      break;
  }
  return std::nullopt;
}

outcome api::am_users_answer(const request_view& req, const am_route& route,
                             clock::time_point now) {
  if (auto refused = refuse(req, now)) return *refused;
  if (!state_.has_realm(route.realm)) return realm_not_found(route.realm);
  return am_users_.handle(route);
}

std::optional<tenant_state::user_ref> api::find_user(const target& t) const {
  if (!sessions_.enabled()) return state_.find(t.realm, t.user_id);
  if (t.realm != state_.realm_path()) return std::nullopt;
  auto found = state_.find_by("userName", t.user_id);
  if (found.empty()) return std::nullopt;
  return found.front();
}

outcome api::unmatched(const request_view& req) const {
  auto r = parse_am_route(req.target, am_prefix_);
  // Not AM at all: the web container (or a gateway) answers, with a page of its own.
  if (!r) return web_page_404();
  const auto& realm = r->realm;
  if (!realm.empty() && !state_.has_realm(realm)) return realm_not_found(realm);
  const auto rest = fmt::format("{}", fmt::join(r->rest, "/"));
  if (req.method == "GET" && rest == "serverinfo/*") {
    // Public (AM reads it without a session), routed by realm like everything else.
    outcome o;
    o.body = json::serialize(json::object{{"_id", "*"},
                                          {"cookieName", opts_.cookie_name},
                                          {"secureCookie", true},
                                          {"realm", realm.empty() ? "/" : realm},
                                          {"zeroPageLogin", json::object{{"enabled", false}}}});
    return o;
  }
  return error(404, fmt::format("Resource '{}' not found", rest));
}

outcome api::respond(const request_view& req, const std::optional<target>& t, endpoint e,
                     clock::time_point now) {
  if (!t) return unmatched(req);
  // Auth first, as the tenant's gateway does.
  if (auto refused = refuse(req, now)) return *refused;
  // No Accept-API-Version: AM takes its latest (the docs' own curl calls send none); one it
  // does not support: 400.
  if (!req.api_version.empty() && req.api_version.find("resource=1.0") == std::string_view::npos) {
    return error(400, fmt::format("Unsupported or missing Accept-API-Version '{}': send "
                                  "'resource=1.0'",
                                  req.api_version));
  }
  if (!state_.has_realm(t->realm)) return realm_not_found(t->realm);
  auto user = find_user(*t);
  if (!user) return error(404, fmt::format("User '{}' not found", t->user_id));
  if (!e.is_device()) {
    return error(405, fmt::format("Method {} not allowed here", req.method));
  }

  if (req.method == "POST") return reset_action(req, *t, *user);
  if (req.method == "GET") return list_devices(*t, *user);
  // DELETE .../<device>
  auto removed = state_.remove(*user, t->type, *t->device);
  if (!removed) return error(404, fmt::format("User device, {}, not found.", *t->device));
  outcome o;
  o.body = json::serialize(*removed);
  return o;
}

outcome api::reset_action(const request_view& req, const target& t, tenant_state::user_ref user) {
  if (req.content_type.find("application/json") == std::string_view::npos) {
    return error(400, "Content-Type must be application/json");
  }
  boost::system::error_code ec;
  auto body = json::parse(req.body, ec);
  if (ec || !body.is_object()) return error(400, "The request body must be a JSON object");
  if (*t.action != "reset")
    return error(400, fmt::format("Action '{}' not implemented", *t.action));
  // A type whose action may be refused has it here only when the sim is told so.
  const auto strategy = io::info(t.type).strategy;
  const bool has_reset =
      io::has_reset_action(strategy) &&
      (strategy != io::reset_strategy::action_else_list_and_delete || opts_.binding_reset);
  if (!has_reset) return error(400, "Action 'reset' not implemented for this resource");
  state_.reset(user, t.type, faults_.leave_behind(rng_));
  outcome o;
  o.body = R"({"result":true})";
  return o;
}

outcome api::list_devices(const target& t, tenant_state::user_ref user) {
  if (t.query_filter != std::optional<std::string>("true")) {
    return error(400, "Only _queryFilter=true is supported on device collections");
  }
  auto devices = state_.list(user, t.type);
  page_request p;
  p.cookie = t.cookie;
  if (t.offset) p.offset = std::strtoull(t.offset->c_str(), nullptr, 10);
  if (t.page_size) p.page_size = std::strtoull(t.page_size->c_str(), nullptr, 10);
  return query_page(devices.size(), p,
                    [&](std::size_t k) { return json::value(std::move(devices[k])); });
}

// POST /sim/devices?realm=alpha&user=ID&type=oath: a device registered now (as a user
// would, between a plan and its run); the realm as --realm takes it ("alpha", or the path
// /realms/root/realms/alpha). 201 with its _id; 404 for no such user; 400 for a bad realm or
// type, or a user with the most devices of the type.
outcome api::register_device(std::string_view raw) {
  auto parsed = urls::parse_origin_form(raw);
  std::string realm, user, type;
  if (parsed) {
    for (auto p : parsed->params()) {
      if (p.key == "realm") realm = p.value;
      if (p.key == "user") user = p.value;
      if (p.key == "type") type = p.value;
    }
  }
  auto path = io::realm_path(realm);
  if (auto* bad = std::get_if<io::realm_error>(&path)) return error(400, bad->reason);
  realm = std::get<std::string>(path);
  auto t = io::parse_device_type(type);
  auto u = state_.find(realm, user);
  if (!u) return error(404, "Not Found");
  auto id = t ? state_.register_device(*u, *t) : std::nullopt;
  if (!id) return error(400, "Bad Request");
  outcome o;
  o.status = 201;
  o.body = json::serialize(json::object{{"_id", *id}});
  return o;
}

std::string api::stats_json() const {
  json::object left;
  auto devices = state_.devices_left();
  for (auto t : io::all_device_types)
    left[io::to_string(t)] = devices[io::index(t)];
  auto h = state_.reset_histogram();
  auto fault_counts = faults_.json();
  fault_counts["rate_limited"] = limit_.refused();
  json::object o{
      {"requests", requests_},
      {"by_endpoint", counts_.json()},
      {"faults", std::move(fault_counts)},
      {"hostile", hostile_.json()},
      {"early_requests", limit_.early()},
      {"users", state_.user_count()},
      {"devices_left", std::move(left)},
      {"devices_left_by_age", ages_json(state_)},
      {"resets_per_user", json::object{{"0", h[0]}, {"1", h[1]}, {"2+", h[2]}}},
      {"deletes", state_.deletes()},
      {"tokens_issued", oauth_.issued()},
      {"am_sessions", sessions_.json()},
      {"am_users", json::object{{"queries", am_users_.queries()}}},
      {"idm", json::object{{"queries", idm_.queries()},
                           {"user_queries", idm_.user_queries()},
                           {"users_returned", idm_.users_returned()}}},
      {"rate_limit", limit_.json()},
  };
  return json::serialize(o);
}

}  // namespace devreset::sim
