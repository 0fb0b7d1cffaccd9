// Settings of the simulated tenant: population, auth, latency, rate limit and faults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace devreset::sim {

struct options {
  // Population
  std::uint64_t users = 1000;   ///< seeded users, all in `realm`
  std::uint64_t seed = 1;       ///< same seed, same users, devices and fault sequence
  std::string realm = "alpha";  ///< as users type it; normalised at start
  std::string am_path = "/am";  ///< AM context path
  bool binding_reset = true;    ///< false: a tenant without binding's reset action (400)

  // Auth
  std::string token;        ///< the bearer token; random when empty
  std::string sa_id;        ///< a service account the token endpoint knows
  std::string sa_jwk_file;  ///< its JWK (the public part is used)
  std::chrono::milliseconds token_ttl{std::chrono::minutes(15)};  ///< issued tokens expire

  // Behaviour
  std::chrono::milliseconds latency{0};  ///< added to every answer
  std::chrono::milliseconds jitter{0};   ///< latency varies by up to this either way
  double rate_limit = 0;                 ///< requests per second; 0 = unlimited
  double fail_rate = 0;                  ///< share of requests answered 503
  double drop_rate = 0;                  ///< share of requests closed without an answer
  double slow_rate = 0;                  ///< share answered 504 after `slow_delay`
  std::chrono::milliseconds slow_delay{30000};

  // Network
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port
  std::string cert_file;   ///< PEM; with key_file, used instead of a generated one
  std::string key_file;
};

}  // namespace devreset::sim
