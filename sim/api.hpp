// The simulated tenant's HTTP API as a plain function of the request and the time: auth,
// rate limit, faults, routing to the device collections, and the statistics of it all.
// No sockets here: the server adapts Beast messages to this and performs the outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "io/jose.hpp"
#include "sim/http_types.hpp"
#include "sim/idm_api.hpp"
#include "sim/options.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {

using clock = std::chrono::steady_clock;

/// A token bucket: `rate` tokens per second, at most `burst`.
class token_bucket {
 public:
  token_bucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  /// Takes a token if there is one; otherwise returns the time until there is.
  std::chrono::nanoseconds take(clock::time_point now);
  /// A new rate from `now` on (the tokens saved so far stay, up to the new burst).
  void set_rate(clock::time_point now, double rate, double burst);
  double rate() const { return rate_; }
  /// Whole tokens left, and the time until the bucket is full again (as of the last take).
  double tokens() const { return tokens_; }
  std::chrono::nanoseconds until_full() const {
    return std::chrono::nanoseconds(static_cast<std::int64_t>((burst_ - tokens_) / rate_ * 1e9));
  }

 private:
  void take_time(clock::time_point now);  // the tokens earned since the last call
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_{};
  bool started_ = false;
};

class api {
 public:
  api(const options& opts, tenant_state& state, std::string token);

  outcome handle(const request_view& req, clock::time_point now);

  /// Whether to stall the TLS handshake of a new connection (the tls-stall mode).
  bool stall_handshake();

  /// GET /sim/stats, as JSON text.
  std::string stats_json() const;
  const std::string& token() const { return token_; }

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
  /// Retry-After bookkeeping, rate limit and faults: an answer that stops the request
  /// (anything but a plain 200), or a plain 200 to go on.
  outcome gate(const std::string& user_key, std::string_view client, clock::time_point now,
               std::vector<std::pair<std::string_view, std::string>>& headers);
  /// The rate limit: nullopt when the request may go on, else its 429. `headers` gets the
  /// limit's state when the sim states it.
  std::optional<outcome> limit(const std::string& user_key, std::string_view client,
                               clock::time_point now,
                               std::vector<std::pair<std::string_view, std::string>>& headers);
  token_bucket& bucket_of(std::string_view client);
  boost::json::array per_second_json() const;
  /// After a device request succeeded: perhaps lose its answer (lost_answer_rate,
  /// late_5xx_rate). The change stays made.
  outcome lose_answer(outcome o, std::size_t endpoint);
  std::chrono::milliseconds queue_wait(clock::time_point now);
  /// The hostile modes: one of them, or a plain 200 to go on.
  outcome hostile_answer();
  /// Auth, headers, lookup and the operation itself.
  outcome respond(const request_view& req, const std::optional<target>& t, std::size_t endpoint,
                  clock::time_point now);
  /// POST ..._action=reset, and GET of a device collection (one page), for a user found.
  outcome reset_action(const request_view& req, const target& t, tenant_state::user_ref user);
  outcome list_devices(const target& t, tenant_state::user_ref user);
  outcome register_device(std::string_view raw);
  /// What answers a target that is not a device collection, as AM and the server in front
  /// of it do: serverinfo, AM's JSON 404s for realms and routes, an HTML 404 outside AM.
  outcome unmatched(const request_view& req) const;
  /// POST <am>/oauth2/access_token: the JWT bearer grant of a service account.
  outcome token_endpoint(const request_view& req, clock::time_point now);
  /// The scopes of a token this tenant accepts now; nullopt for any other.
  std::optional<std::string_view> token_scopes(std::string_view token, clock::time_point now) const;
  /// The same for a request's `Authorization: Bearer` header.
  std::optional<std::string_view> bearer_scopes(const request_view& req,
                                                clock::time_point now) const;
  /// A request under the IDM path: the token, then the IDM API.
  outcome idm_answer(const request_view& req, clock::time_point now);
  boost::json::object hostile_json() const;
  void count(std::size_t endpoint, int status) { ++by_endpoint_[endpoint][status]; }
  double draw() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

  options opts_;
  tenant_state& state_;
  idm_api idm_;
  std::string token_;
  clock::time_point token_expiry_ = clock::time_point::max();
  std::string am_prefix_;  // segments of the AM context path, e.g. {"am"}
  std::mt19937_64 rng_;
  // The rate limit: one bucket, or one per client address; the schedule's next step.
  std::optional<token_bucket> bucket_;
  std::unordered_map<std::string, token_bucket> client_buckets_;
  double limit_now_ = 0;
  std::size_t next_change_ = 0;
  std::optional<clock::time_point> first_request_;
  clock::time_point next_free_{};  // --capacity: when the next request can be served
  std::vector<std::array<std::uint64_t, 2>> per_second_;  // accepted, refused by the limit

  // Statistics. Endpoints: op * type_count + type, then "other" and "stats".
  static constexpr std::size_t endpoint_other = 3 * type_count;
  static constexpr std::size_t endpoint_stats = endpoint_other + 1;
  static constexpr std::size_t endpoint_token = endpoint_stats + 1;
  static constexpr std::size_t endpoint_idm = endpoint_token + 1;
  std::array<std::map<int, std::uint64_t>, endpoint_idm + 1> by_endpoint_;
  std::optional<io::rsa_key> sa_key_;
  struct issued_token {
    clock::time_point expiry;
    std::string scope;
  };
  std::unordered_map<std::string, issued_token> issued_;
  std::unordered_set<std::string> seen_jti_;
  std::uint64_t tokens_issued_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t slowed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t limited_ = 0;
  std::uint64_t lost_ = 0;  // answers lost after the change was made
  std::uint64_t late_ = 0;  // changes made, then answered 503
  std::uint64_t lost_on_reset_ = 0;
  std::uint64_t left_behind_ = 0;  // reset actions that left a device in place  // of them, on a
                                   // reset action (the user may be reset twice)
  std::array<std::uint64_t, hostile_count> hostile_ = {};
  double hostile_per_request_ = 0;  // the shares of the per-request modes, summed once
  std::uint64_t early_ = 0;         // requests for a user before the Retry-After it was given
  std::unordered_map<std::string, clock::time_point> retry_not_before_;
};

}  // namespace devreset::sim
