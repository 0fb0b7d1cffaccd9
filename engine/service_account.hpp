// Tokens for an AIC service account (docs/tenant-api.md, "Getting an access token"): a JWT
// signed RS256 with the account's private JWK is exchanged at <am>/oauth2/access_token;
// the token is renewed before 80% of its lifetime has passed, one renewal at a time, with
// requests that need a token waiting for it; endpoint trouble is retried with backoff and,
// if it persists, stops the run with the tenant's own words (invalid_client...).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "engine/token_source.hpp"
#include "io/jose.hpp"

namespace devreset::engine {

struct service_account {
  std::string id;        ///< the service account's id (iss and sub of the assertion)
  std::string key_file;  ///< its private key, a JWK JSON file
  std::string scope = "fr:am:*";
};

/// The claims of a fresh assertion: iss = sub = id, aud = the token endpoint with its port,
/// exp = now + 180 s, a random jti.
boost::json::object assertion_claims(const std::string& id, const std::string& audience,
                                     std::chrono::system_clock::time_point now);

/// "https://<host>:<port><am_path>/oauth2/access_token"
std::string token_endpoint_audience(const std::string& host, const std::string& port,
                                    const std::string& am_path);

/// Loads the key now (throws io::jose_error naming the file); talks to the tenant later,
/// through the run's token_context.
std::unique_ptr<token_source> make_service_account_token(service_account sa);

/// The lifetime devreset holds a token the token endpoint said lasts `stated_s` seconds:
/// clamped to [5 s, 24 h] (0 would cost a token request per reset, 1e300 overflows a clock);
/// `warning` says so when it was clamped (untouched otherwise).
double token_lifetime_s(double stated_s, std::string& warning);

}  // namespace devreset::engine
