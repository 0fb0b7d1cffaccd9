// The simulated tenant's API: docs/tenant-api.md's endpoints, answers and errors.
#include "sim/api.hpp"

#include "sim/crest.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cmath>
#include <vector>

#include "io/realm_path.hpp"
#include "io/text.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;
using io::device_type;

void token_bucket::take_time(clock::time_point now) {
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  auto elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

std::chrono::nanoseconds token_bucket::take(clock::time_point now) {
  take_time(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>((1.0 - tokens_) / rate_ * 1e9));
}

void token_bucket::set_rate(clock::time_point now, double rate, double burst) {
  take_time(now);
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

namespace {

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

// The limit's state as the IETF draft (07: RateLimit-Policy and RateLimit) and the older
// X-RateLimit-* headers say it: a policy of `rate` a second, the whole tokens left, and the
// seconds until the bucket is full again.
void state_limit(const token_bucket& b,
                 std::vector<std::pair<std::string_view, std::string>>& headers) {
  const auto limit = fmt::format("{:g}", b.rate());
  const auto remaining = fmt::format("{:.0f}", std::floor(b.tokens()));
  const auto reset =
      fmt::format("{:.0f}", std::ceil(std::chrono::duration<double>(b.until_full()).count()));
  headers.emplace_back("RateLimit-Policy", fmt::format("{};w=1", limit));
  headers.emplace_back("RateLimit",
                       fmt::format("limit={}, remaining={}, reset={}", limit, remaining, reset));
  headers.emplace_back("X-RateLimit-Limit", limit);
  headers.emplace_back("X-RateLimit-Remaining", remaining);
  headers.emplace_back("X-RateLimit-Reset", reset);
}

std::string random_token() {
  std::random_device rd;
  return fmt::format("sim-{:016x}{:016x}", (std::uint64_t{rd()} << 32) | rd(),
                     (std::uint64_t{rd()} << 32) | rd());
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

}  // namespace

api::api(const options& opts, tenant_state& state, std::string token)
    : opts_(opts),
      state_(state),
      idm_(opts, state),
      token_(token.empty() ? random_token() : std::move(token)),
      rng_(opts.seed ^ 0x5eed5eed5eed5eedull) {
  if (opts.token_expires.count() > 0) token_expiry_ = clock::now() + opts.token_expires;
  am_prefix_ = opts.am_path;
  while (!am_prefix_.empty() && am_prefix_.front() == '/')
    am_prefix_.erase(0, 1);
  while (!am_prefix_.empty() && am_prefix_.back() == '/')
    am_prefix_.pop_back();
  limit_now_ = opts.rate_limit;
  if (!opts.sa_id.empty()) sa_key_ = io::rsa_key::from_jwk_file(opts.sa_jwk_file, false);
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (static_cast<hostile>(i) != hostile::tls_stall) hostile_per_request_ += opts.hostile_rate[i];
  }
}

std::optional<api::target> api::parse_target(std::string_view raw) const {
  auto parsed = urls::parse_origin_form(raw);
  if (!parsed) return std::nullopt;
  auto segs = parsed->segments();
  auto it = segs.begin();
  auto end = segs.end();
  auto next = [&]() -> std::optional<std::string> {
    if (it == end) return std::nullopt;
    return std::string(*it++);
  };

  // <am>/json/realms/root[/realms/<name>...]/users/<id>/devices/<collection>[/<device>]
  if (!am_prefix_.empty() && next() != am_prefix_) return std::nullopt;
  if (next() != "json") return std::nullopt;
  target t;
  auto seg = next();
  while (seg == "realms") {
    auto name = next();
    if (!name) return std::nullopt;
    t.realm += "/realms/" + *name;
    seg = next();
  }
  if (t.realm.rfind("/realms/root", 0) != 0 || seg != "users") return std::nullopt;
  auto user = next();
  if (!user || next() != "devices") return std::nullopt;
  t.user_id = std::move(*user);
  auto type = collection_type(next);
  if (!type) return std::nullopt;
  t.type = *type;
  t.device = next();
  if (it != end) return std::nullopt;

  for (auto p : parsed->params()) {
    std::optional<std::string> value(p.has_value ? std::string(p.value) : std::string());
    if (p.key == "_action")
      t.action = std::move(value);
    else if (p.key == "_queryFilter")
      t.query_filter = std::move(value);
    else if (p.key == "_pageSize")
      t.page_size = std::move(value);
    else if (p.key == "_pagedResultsCookie")
      t.cookie = std::move(value);
    else if (p.key == "_pagedResultsOffset")
      t.offset = std::move(value);
  }
  return t;
}

outcome api::handle(const request_view& req, clock::time_point now) {
  if (req.target == "/sim/stats" && req.method == "GET") {
    count(endpoint_stats, 200);  // not in `requests`: looking changes no count
    outcome o;
    o.body = stats_json();
    return o;
  }
  if (req.target.starts_with("/sim/devices?") && req.method == "POST") {
    count(endpoint_stats, 200);  // the sim's admin side: not a tenant request
    return register_device(req.target);
  }
  ++requests_;
  if (sa_key_ && req.method == "POST" &&
      req.target == "/" + am_prefix_ + (am_prefix_.empty() ? "" : "/") + "oauth2/access_token") {
    auto o = token_endpoint(req, now);
    count(endpoint_token, o.status);
    return o;
  }

  const bool idm = idm_.owns(req.target);
  auto t = idm ? std::nullopt : parse_target(req.target);
  std::size_t endpoint = idm ? endpoint_idm : endpoint_other;
  std::string user_key;
  if (t) {
    const auto ti = static_cast<std::size_t>(t->type);
    if (req.method == "POST" && t->action && !t->device) {
      endpoint = 0 * type_count + ti;
    } else if (req.method == "GET" && !t->device) {
      endpoint = 1 * type_count + ti;
    } else if (req.method == "DELETE" && t->device) {
      endpoint = 2 * type_count + ti;
    }
    // Only Retry-After bookkeeping needs the user's key: no string per request otherwise.
    if (limit_now_ > 0 || !retry_not_before_.empty()) user_key = t->realm + '\n' + t->user_id;
  }
  std::vector<std::pair<std::string_view, std::string>> limit_headers;
  outcome o = gate(user_key, req.client, now, limit_headers);
  if (o.status == 200 && o.what == outcome::kind::answer && !o.hostile) {
    o = idm ? idm_answer(req, now) : lose_answer(respond(req, t, endpoint, now), endpoint);
  }
  o.headers = std::move(limit_headers);

  if (o.what == outcome::kind::drop) {
    count(endpoint, 0);
    return o;
  }
  count(endpoint, o.status);
  if (o.delay.count() == 0 && (opts_.latency.count() > 0 || opts_.jitter.count() > 0)) {
    auto j = opts_.jitter.count();
    auto spread =
        j > 0 ? static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(2 * j + 1)) - j : 0;
    o.delay = std::chrono::milliseconds(std::max<std::int64_t>(0, opts_.latency.count() + spread));
  }
  if (opts_.capacity > 0) o.delay += queue_wait(now);
  return o;
}

// --capacity: each request takes the next free slot (1/capacity apart), so beyond that rate
// answers wait longer and longer, as on a tenant whose servers are saturated.
std::chrono::milliseconds api::queue_wait(clock::time_point now) {
  const auto slot = std::max(now, next_free_);
  next_free_ = slot + std::chrono::duration_cast<clock::duration>(
                          std::chrono::duration<double>(1.0 / opts_.capacity));
  return std::chrono::ceil<std::chrono::milliseconds>(slot - now);
}

outcome api::lose_answer(outcome o, std::size_t endpoint) {
  if (opts_.lost_answer_rate <= 0 && opts_.late_5xx_rate <= 0) return o;
  if (o.status != 200 || endpoint >= endpoint_other) return o;
  double u = draw();
  const bool on_reset = endpoint < type_count;  // POST ..._action=reset
  if (u < opts_.lost_answer_rate) {
    ++lost_;
    lost_on_reset_ += on_reset;
    outcome lost;
    lost.what = outcome::kind::drop;
    return lost;
  }
  if (u - opts_.lost_answer_rate < opts_.late_5xx_rate) {
    ++late_;
    lost_on_reset_ += on_reset;
    return error(503, "Service Unavailable");
  }
  return o;
}

outcome api::gate(const std::string& user_key, std::string_view client, clock::time_point now,
                  std::vector<std::pair<std::string_view, std::string>>& headers) {
  // Requests for a user that come before the Retry-After it was given are counted.
  if (!user_key.empty() && !retry_not_before_.empty()) {
    if (auto it = retry_not_before_.find(user_key); it != retry_not_before_.end()) {
      if (now < it->second) {
        ++early_;
      } else {
        retry_not_before_.erase(it);
      }
    }
  }

  // The rate limit and the faults come first; a request they stop changes nothing.
  if (auto refused = limit(user_key, client, now, headers)) return *refused;
  if (opts_.drop_rate > 0 || opts_.slow_rate > 0 || opts_.fail_rate > 0) {
    double u = draw();
    if (u < opts_.drop_rate) {
      ++dropped_;
      outcome o;
      o.what = outcome::kind::drop;
      return o;
    }
    u -= opts_.drop_rate;
    if (u < opts_.slow_rate) {
      ++slowed_;
      outcome o = error(504, "Gateway Timeout: the upstream did not answer in time");
      o.delay = opts_.slow_delay;
      return o;
    }
    u -= opts_.slow_rate;
    if (u < opts_.fail_rate) {
      ++failed_;
      return error(503, "Service Unavailable");
    }
  }
  return hostile_answer();
}

token_bucket& api::bucket_of(std::string_view client) {
  const double burst = std::max(1.0, limit_now_ / 10);
  if (!opts_.rate_limit_per_client) {
    if (!bucket_) bucket_.emplace(limit_now_, burst);
    return *bucket_;
  }
  auto it = client_buckets_.find(std::string(client));
  if (it == client_buckets_.end()) {
    it = client_buckets_.emplace(std::string(client), token_bucket(limit_now_, burst)).first;
  }
  return it->second;
}

std::optional<outcome> api::limit(const std::string& user_key, std::string_view client,
                                  clock::time_point now,
                                  std::vector<std::pair<std::string_view, std::string>>& headers) {
  if (!first_request_) first_request_ = now;
  // The schedule: each step applies to every bucket from its time on.
  while (next_change_ < opts_.rate_changes.size() &&
         now - *first_request_ >= opts_.rate_changes[next_change_].at) {
    limit_now_ = opts_.rate_changes[next_change_++].rate;
    const double burst = std::max(1.0, limit_now_ / 10);
    if (bucket_) bucket_->set_rate(now, limit_now_, burst);
    for (auto& [_, b] : client_buckets_)
      b.set_rate(now, limit_now_, burst);
  }
  if (limit_now_ <= 0) return std::nullopt;
  auto& bucket = bucket_of(client);
  const auto wait = bucket.take(now);
  const auto second = static_cast<std::size_t>((now - *first_request_) / std::chrono::seconds(1));
  if (second < 86400) {
    if (per_second_.size() <= second) per_second_.resize(second + 1);
    ++per_second_[second][wait.count() > 0 ? 1 : 0];
  }
  if (opts_.rate_limit_headers) state_limit(bucket, headers);
  if (wait.count() <= 0) return std::nullopt;
  ++limited_;
  outcome o = error(429, "Too Many Requests");
  const int secs =
      std::max(1, static_cast<int>(std::ceil(std::chrono::duration<double>(wait).count())));
  o.retry_after = std::to_string(secs);
  if (!user_key.empty()) retry_not_before_[user_key] = now + std::chrono::seconds(secs);
  return o;
}

bool api::stall_handshake() {
  const double share = opts_.hostile_rate[static_cast<std::size_t>(hostile::tls_stall)];
  if (share <= 0 || draw() >= share) return false;
  ++hostile_[static_cast<std::size_t>(hostile::tls_stall)];
  return true;
}

outcome api::hostile_answer() {
  if (hostile_per_request_ <= 0) return outcome{};
  double u = draw();
  for (std::size_t i = 0; i < hostile_count; ++i) {
    const auto mode = static_cast<hostile>(i);
    if (mode == hostile::tls_stall) continue;  // per connection: stall_handshake()
    if (u >= opts_.hostile_rate[i]) {
      u -= opts_.hostile_rate[i];
      continue;
    }
    ++hostile_[i];
    outcome o;
    switch (mode) {
      case hostile::huge:
        o.what = outcome::kind::huge_body;
        break;
      case hostile::chunked:
        o.what = outcome::kind::endless_chunked;
        break;
      case hostile::chunk_ext:
        o.what = outcome::kind::endless_chunk_ext;
        break;
      case hostile::headers:
        o.what = outcome::kind::endless_headers;
        break;
      case hostile::retry_year:
        o = error(429, "Too Many Requests");
        o.retry_after = "31536000";
        break;
      case hostile::retry_garbage:
        o = error(503, "Service Unavailable");
        o.retry_after = "soon, maybe; try 10 minutes or so";
        break;
      case hostile::result_false:
        o.body = R"({"result":false})";
        break;
      case hostile::html:
        o.status = 502;
        o.content_type = "text/html";
        o.body =
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n";
        break;
      case hostile::bad_json:
        o.body = R"({"result":true,"_id":"dev)";
        break;
      case hostile::redirect:
        o.status = 302;
        o.content_type = "text/html";
        o.location = "https://login.elsewhere.example/am/XUI/?goto=%2Fam%2Fjson";
        o.body = "<html><body>Moved</body></html>";
        break;
      case hostile::controls:
        // U+009B is a CSI on xterm-likes; U+202E reverses what follows; U+2066 isolates.
        o = error(400,
                  "Bad \xC2\x9B"
                  "31m request \xE2\x80\xAE"
                  "desrever \xE2\x81\xA6"
                  "x");
        break;
      case hostile::tls_stall:
        break;
    }
    o.hostile = true;
    return o;
  }
  return outcome{};
}

std::optional<std::string_view> api::token_scopes(std::string_view token,
                                                  clock::time_point now) const {
  if (token == token_ && now < token_expiry_) return opts_.token_scopes;
  if (!opts_.next_token.empty() && token == opts_.next_token) return opts_.token_scopes;
  auto it = issued_.find(std::string(token));
  if (it == issued_.end() || now >= it->second.expiry) return std::nullopt;
  return it->second.scope;
}

std::optional<std::string_view> api::bearer_scopes(const request_view& req,
                                                   clock::time_point now) const {
  constexpr std::string_view bearer = "Bearer ";
  const auto auth = req.authorization;
  if (auth.size() <= bearer.size() || !io::iequals(auth.substr(0, bearer.size()), bearer)) {
    return std::nullopt;
  }
  return token_scopes(auth.substr(bearer.size()), now);
}

outcome api::idm_answer(const request_view& req, clock::time_point now) {
  auto scopes = bearer_scopes(req, now);
  if (!scopes) return error(401, "Access Denied");
  return idm_.handle(req, *scopes);
}

outcome api::token_endpoint(const request_view& req, clock::time_point now) {
  auto oauth_error = [](int status, std::string_view error, std::string_view description) {
    outcome o;
    o.status = status;
    o.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
    return o;
  };
  urls::url form;
  form.set_encoded_query(urls::pct_string_view(req.body));
  std::map<std::string, std::string> p;
  for (auto param : form.params())
    p[std::string(param.key)] = param.value;
  if (opts_.sa_max_tokens > 0 && tokens_issued_ >= opts_.sa_max_tokens) {
    return oauth_error(401, "invalid_client", "the service account is disabled");
  }
  if (p["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return oauth_error(400, "unsupported_grant_type", "grant_type must be jwt-bearer");
  }
  if (p["client_id"] != "service-account") {
    return oauth_error(401, "invalid_client", "client_id must be service-account");
  }
  if (p["scope"].rfind("fr:", 0) != 0) {
    return oauth_error(400, "invalid_scope", "Unknown/invalid scope(s)");
  }
  std::string why;
  auto claims = io::verify_jwt_rs256(p["assertion"], *sa_key_, why);
  if (!claims) return oauth_error(401, "invalid_client", why);
  auto str = [&](const char* k) -> std::string {
    auto* v = claims->if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (str("iss") != opts_.sa_id || str("sub") != opts_.sa_id) {
    return oauth_error(401, "invalid_client", "unknown service account (iss/sub)");
  }
  auto host = req.host;
  std::string port = "443";
  if (auto colon = host.rfind(':');
      colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    port = std::string(host.substr(colon + 1));
    host = host.substr(0, colon);
  }
  auto aud = fmt::format("https://{}:{}{}/oauth2/access_token", host, port,
                         am_prefix_.empty() ? std::string() : "/" + am_prefix_);
  if (str("aud") != aud)
    return oauth_error(400, "invalid_grant", "the audience is not this token endpoint");
  auto* exp = claims->if_contains("exp");
  auto wall = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  if (exp == nullptr || !exp->is_int64() || exp->get_int64() <= wall ||
      exp->get_int64() > wall + 600) {
    return oauth_error(400, "invalid_grant", "the assertion has expired or expires too late");
  }
  auto jti = str("jti");
  if (jti.empty() || !seen_jti_.insert(jti).second) {
    return oauth_error(400, "invalid_grant", "the assertion was used before (jti)");
  }
  // Forget tokens long expired, so a long run does not grow the map.
  for (auto it = issued_.begin(); it != issued_.end();) {
    it = now > it->second.expiry + opts_.token_ttl ? issued_.erase(it) : std::next(it);
  }
  auto token = random_token();
  issued_[token] = issued_token{now + opts_.token_ttl, p["scope"]};
  ++tokens_issued_;
  outcome o;
  o.body = json::serialize(
      json::object{{"access_token", token},
                   {"scope", p["scope"]},
                   {"token_type", "Bearer"},
                   {"expires_in", std::chrono::duration<double>(opts_.token_ttl).count()}});
  return o;
}

outcome api::unmatched(const request_view& req) const {
  auto parsed = urls::parse_origin_form(req.target);
  std::vector<std::string> segs;
  if (parsed) {
    for (auto seg : parsed->segments())
      segs.emplace_back(seg);
  }
  std::size_t i = am_prefix_.empty() ? 0 : 1;
  const bool in_am = am_prefix_.empty() || (!segs.empty() && segs[0] == am_prefix_);
  if (!parsed || !in_am || segs.size() <= i || segs[i] != "json") {
    // Not AM at all: the web container (or a gateway) answers, with a page of its own.
    return web_page_404();
  }
  ++i;
  std::string realm;
  while (i + 1 < segs.size() && segs[i] == "realms") {
    realm += "/realms/" + segs[i + 1];
    i += 2;
  }
  if (!realm.empty() && !state_.has_realm(realm)) return realm_not_found(realm);
  std::string rest;
  for (std::size_t k = i; k < segs.size(); ++k)
    rest += (k > i ? "/" : "") + segs[k];
  if (req.method == "GET" && rest == "serverinfo/*") {
    // Public (AM reads it without a session), routed by realm like everything else.
    outcome o;
    o.body = json::serialize(json::object{{"_id", "*"},
                                          {"cookieName", "iPlanetDirectoryPro"},
                                          {"secureCookie", true},
                                          {"realm", realm.empty() ? "/" : realm},
                                          {"zeroPageLogin", json::object{{"enabled", false}}}});
    return o;
  }
  return error(404, fmt::format("Resource '{}' not found", rest));
}

outcome api::respond(const request_view& req, const std::optional<target>& t, std::size_t endpoint,
                     clock::time_point now) {
  if (!t) return unmatched(req);
  // Auth first, as the tenant's gateway does.
  if (!bearer_scopes(req, now)) return error(401, "Access Denied");
  // No Accept-API-Version: AM takes its latest (the docs' own curl calls send none); one it
  // does not support: 400.
  if (!req.api_version.empty() && req.api_version.find("resource=1.0") == std::string_view::npos) {
    return error(400, fmt::format("Unsupported or missing Accept-API-Version '{}': send "
                                  "'resource=1.0'",
                                  req.api_version));
  }
  if (!state_.has_realm(t->realm)) return realm_not_found(t->realm);
  auto user = state_.find(t->realm, t->user_id);
  if (!user) return error(404, fmt::format("User '{}' not found", t->user_id));
  if (endpoint == endpoint_other) {
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
  const bool keep_one = opts_.leave_behind_rate > 0 && draw() < opts_.leave_behind_rate;
  left_behind_ += keep_one;
  state_.reset(user, t.type, keep_one);
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

json::object api::hostile_json() const {
  json::object o;
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (hostile_[i] > 0) o[hostile_names[i]] = hostile_[i];
  }
  return o;
}

std::optional<hostile> parse_hostile(std::string_view name) noexcept {
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (hostile_names[i] == name) return static_cast<hostile>(i);
  }
  return std::nullopt;
}

// [accepted, refused] by the rate limit, a pair per second since the first request.
json::array api::per_second_json() const {
  json::array out;
  out.reserve(per_second_.size());
  for (const auto& [accepted, refused] : per_second_)
    out.push_back(json::array{accepted, refused});
  return out;
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
  static constexpr std::string_view ops[] = {"reset", "query", "delete"};
  json::object by_endpoint;
  for (std::size_t e = 0; e < by_endpoint_.size(); ++e) {
    if (by_endpoint_[e].empty()) continue;
    std::string name;
    if (e == endpoint_other) {
      name = "other";
    } else if (e == endpoint_stats) {
      name = "stats";
    } else if (e == endpoint_token) {
      name = "token";
    } else if (e == endpoint_idm) {
      name = "idm";
    } else {
      name = fmt::format("{}:{}", ops[e / type_count],
                         io::to_string(static_cast<device_type>(e % type_count)));
    }
    json::object statuses;
    for (const auto& [status, n] : by_endpoint_[e]) {
      statuses[status == 0 ? std::string("dropped") : std::to_string(status)] = n;
    }
    by_endpoint[name] = std::move(statuses);
  }
  json::object left;
  auto devices = state_.devices_left();
  for (auto t : io::all_device_types)
    left[io::to_string(t)] = devices[static_cast<std::size_t>(t)];
  auto h = state_.reset_histogram();
  json::object o{
      {"requests", requests_},
      {"by_endpoint", std::move(by_endpoint)},
      {"faults", json::object{{"rate_limited", limited_},
                              {"failed", failed_},
                              {"dropped", dropped_},
                              {"slow", slowed_},
                              {"lost_answer", lost_},
                              {"late_5xx", late_},
                              {"lost_on_reset", lost_on_reset_},
                              {"left_behind", left_behind_}}},
      {"hostile", hostile_json()},
      {"early_requests", early_},
      {"users", state_.user_count()},
      {"devices_left", std::move(left)},
      {"resets_per_user", json::object{{"0", h[0]}, {"1", h[1]}, {"2+", h[2]}}},
      {"deletes", state_.deletes()},
      {"tokens_issued", tokens_issued_},
      {"idm", json::object{{"queries", idm_.queries()},
                           {"user_queries", idm_.user_queries()},
                           {"users_returned", idm_.users_returned()}}},
      {"rate_limit", json::object{{"now", limit_now_},
                                  {"per_client", opts_.rate_limit_per_client},
                                  {"clients", client_buckets_.size()},
                                  {"per_second", per_second_json()}}},
  };
  return json::serialize(o);
}

}  // namespace devreset::sim
