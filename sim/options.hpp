// Settings of the simulated tenant: population, auth, latency, rate limit and faults.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace devreset::sim {

/// Ways a broken or hostile tenant (or what stands in front of it) answers. Each applies to
/// a share of requests (tls_stall: of connections); a hostile answer changes nothing.
enum class hostile {
  huge,           ///< 200 whose JSON body is 64 MiB, streamed
  chunked,        ///< 200 with a chunked body that never ends
  chunk_ext,      ///< 200 with a chunk-size line (a chunk extension) that never ends
  headers,        ///< a status line, then header lines that never end
  tls_stall,      ///< the TCP connection is accepted, the TLS handshake never answered
  retry_year,     ///< 429 with Retry-After: 31536000 (a year)
  retry_garbage,  ///< 503 with a Retry-After that is neither seconds nor a date
  result_false,   ///< 200 {"result":false}
  html,           ///< 502 with a gateway's HTML error page
  bad_json,       ///< 200 whose body is not JSON
  redirect,       ///< 302 to another host
  controls,       ///< 400 whose message holds terminal controls (C1 CSI) and bidi overrides
};
inline constexpr std::size_t hostile_count = 12;
inline constexpr std::array<std::string_view, hostile_count> hostile_names = {
    "huge",          "chunked",      "chunk-ext", "headers",  "tls-stall", "retry-year",
    "retry-garbage", "result-false", "html",      "bad-json", "redirect",  "controls"};
std::optional<hostile> parse_hostile(std::string_view name) noexcept;

struct options {
  // Population
  std::uint64_t users = 1000;         ///< seeded users, all in `realm`
  std::uint64_t seed = 1;             ///< same seed, same users, devices and fault sequence
  std::string realm = "alpha";        ///< as users type it; normalised at start
  std::string am_path = "/am";        ///< AM context path
  std::string idm_path = "/openidm";  ///< IDM context path
  std::string managed_user;           ///< managed user object (empty: "<realm>_user")
  std::string token_scopes = "fr:am:* fr:idm:*";  ///< what `token` may do
  bool binding_reset = true;  ///< false: a tenant without binding's reset action (400)

  // Auth
  std::string token;  ///< the bearer token; random when empty
  std::chrono::milliseconds token_expires{
      0};                   ///< `token` is refused this long after start (0: never)
  std::string next_token;   ///< a second token, accepted at any time (what a refresher writes)
  std::string sa_id;        ///< a service account the token endpoint knows
  std::string sa_jwk_file;  ///< its JWK (the public part is used)
  std::chrono::milliseconds token_ttl{std::chrono::minutes(15)};  ///< issued tokens expire
  std::uint64_t sa_max_tokens = 0;  ///< the account is disabled after issuing this many (0: never)

  // A self-managed AM (no service accounts, no bearer tokens on /json): administrators sign
  // in and send their session in a header named after AM's cookie.
  std::string am_admin;      ///< the administrator (empty: an AIC tenant, bearer tokens)
  std::string am_password;   ///< its password (read from a file)
  std::string am_non_admin;  ///< an account that signs in but may not manage devices
  std::string cookie_name = "iPlanetDirectoryPro";
  std::chrono::milliseconds session_idle{std::chrono::minutes(30)};  ///< idle sessions end
  std::chrono::milliseconds session_max{std::chrono::minutes(120)};  ///< every session ends
  std::vector<std::string> callback_trees;  ///< journeys that ask for more than name + password

  /// --device-ages: last-use ages in days and their shares (days < 0: undated); empty: the
  /// fixed dates of 2023.
  struct device_age {
    int days;
    double share;
  };
  std::vector<device_age> device_ages;

  // Behaviour
  std::chrono::milliseconds latency{0};  ///< added to every answer
  std::chrono::milliseconds jitter{0};   ///< latency varies by up to this either way
  double rate_limit = 0;                 ///< requests per second; 0 = unlimited
  /// Requests per second it serves; more wait their turn, so latency grows and none is
  /// refused (a tenant that slows down instead of answering 429); 0 = unlimited.
  double capacity = 0;
  /// Later limits: from `at` after the first request on, `rate` a second (a schedule).
  struct rate_step {
    std::chrono::milliseconds at;
    double rate;
  };
  std::vector<rate_step> rate_changes;
  bool rate_limit_headers = false;  ///< state the limit: RateLimit-Policy, RateLimit, X-RateLimit-*
  bool rate_limit_per_client = false;  ///< a limit per client address, not one for all
  double fail_rate = 0;                ///< share of requests answered 503
  double drop_rate = 0;                ///< share of requests closed without an answer
  double slow_rate = 0;                ///< share answered 504 after `slow_delay`
  std::chrono::milliseconds slow_delay{30000};
  /// Shares of successful device requests whose answer is lost after the tenant acted: the
  /// change is made, then the connection is closed (lost) or answered 503 (late_5xx). The
  /// normal way a request is lost on a real network; a client that retries meets the result.
  double lost_answer_rate = 0;
  double late_5xx_rate = 0;
  /// Share of reset actions answered {"result":true} that leave the first device in place.
  double leave_behind_rate = 0;
  std::array<double, hostile_count> hostile_rate{};  ///< share of each hostile mode

  // Network
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port
  std::string cert_file;   ///< PEM; with key_file, used instead of a generated one
  std::string key_file;
};

}  // namespace devreset::sim
