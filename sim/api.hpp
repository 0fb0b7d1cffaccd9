// The simulated tenant's HTTP API as a plain function of the request and the time: a short
// pipeline over its parts (sim/oauth, sim/rate_limit, sim/faults, sim/hostile, the device
// collections in sim/tenant_state, IDM in sim/idm_api, sim/endpoint_counts). No sockets
// here: the server adapts Beast messages to this and performs the outcome.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "sim/am_sessions.hpp"
#include "sim/am_users.hpp"
#include "sim/endpoint_counts.hpp"
#include "sim/faults.hpp"
#include "sim/hostile.hpp"
#include "sim/http_types.hpp"
#include "sim/idm_api.hpp"
#include "sim/oauth.hpp"
#include "sim/options.hpp"
#include "sim/rate_limit.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {

class api {
 public:
  api(const options& opts, tenant_state& state, std::string token);

  /// One request, through the pipeline: the sim's own endpoints, the token endpoint, then
  /// the gate (rate limit, faults, hostile modes), the answer, its loss, its latency.
  outcome handle(const request_view& req, clock::time_point now);

  /// Whether to stall the TLS handshake of a new connection (the tls-stall mode).
  bool stall_handshake() { return hostile_.stall_handshake(rng_); }

  /// GET /sim/stats, as JSON text.
  std::string stats_json() const;
  const std::string& token() const { return oauth_.token(); }

 private:
  /// A request target of the device API, decoded.
  struct target {
    std::string realm;  // "/realms/root/realms/alpha"
    std::string user_id;
    io::device_type type = io::device_type::oath;
    std::optional<std::string> device;
    std::optional<std::string> action, query_filter, page_size, cookie, offset;
  };
  std::optional<target> parse_target(std::string_view raw) const;
  static endpoint endpoint_of(const request_view& req, const std::optional<target>& t, bool idm);
  /// The sim's own endpoints (stats, registering a device): not tenant requests.
  std::optional<outcome> own(const request_view& req);
  /// Rate limit, faults and hostile modes: an answer that stops the request, or nothing.
  std::optional<outcome> gate(const std::string& user_key, std::string_view client,
                              clock::time_point now, header_list& headers);
  /// The answer's latency: --latency and --jitter, and the wait for --capacity.
  void delay(outcome& o, clock::time_point now);
  std::chrono::milliseconds queue_wait(clock::time_point now);
  /// Auth, headers, lookup and the operation itself.
  outcome respond(const request_view& req, const std::optional<target>& t, endpoint e,
                  clock::time_point now);
  /// POST ..._action=reset, and GET of a device collection (one page), for a user found.
  outcome reset_action(const request_view& req, const target& t, tenant_state::user_ref user);
  outcome list_devices(const target& t, tenant_state::user_ref user);
  outcome register_device(std::string_view raw);
  /// What answers a target that is not a device collection, as AM and the server in front
  /// of it do: serverinfo, AM's JSON 404s for realms and routes, an HTML 404 outside AM.
  outcome unmatched(const request_view& req) const;
  /// A request under the IDM path: the token, then the IDM API.
  outcome idm_answer(const request_view& req, clock::time_point now);
  /// A query of a self-managed AM's users endpoint: the session, then the query.
  outcome am_users_answer(const request_view& req, const am_route& route, clock::time_point now);
  /// The request's credential refused (401; 403 for an account that is no administrator),
  /// or nothing: a self-managed AM's session, else the bearer token.
  std::optional<outcome> refuse(const request_view& req, clock::time_point now);
  /// A self-managed AM's sign-in and sign-out: nothing when `req` is neither.
  std::optional<outcome> session_endpoint(const request_view& req, clock::time_point now);
  /// The user a device path names: by `_id` (AIC), by user name (a self-managed AM).
  std::optional<tenant_state::user_ref> find_user(const target& t) const;

  options opts_;
  tenant_state& state_;
  idm_api idm_;
  std::string am_prefix_;  // the AM context path without slashes, e.g. "am"
  oauth oauth_;
  am_sessions sessions_;
  am_users am_users_;
  std::mt19937_64 rng_;
  rate_limit limit_;
  faults faults_;
  hostile_modes hostile_;
  endpoint_counts counts_;
  clock::time_point next_free_{};  // --capacity: when the next request can be served
  std::uint64_t requests_ = 0;
};

}  // namespace devreset::sim
