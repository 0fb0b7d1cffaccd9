// The tenant's tokens (docs/tenant-api.md, "Getting an access token"): the bearer token it
// was started with (and a second one, as a refresher writes it), and a service account's JWT
// bearer grant at <am>/oauth2/access_token: what it issues, what it accepts, and the scopes
// of each.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <boost/json/object.hpp>

#include "io/jose.hpp"
#include "sim/http_types.hpp"
#include "sim/options.hpp"

namespace devreset::sim {

class oauth {
 public:
  /// `token` empty: a random one. `am_prefix`: the AM context path without slashes ("am").
  oauth(const options& opts, std::string token, std::string am_prefix);

  const std::string& token() const { return token_; }
  /// POST <am>/oauth2/access_token, on a tenant that knows a service account.
  bool is_token_endpoint(const request_view& req) const;
  /// The JWT bearer grant: a token, or the endpoint's OAuth error.
  outcome exchange(const request_view& req, clock::time_point now);
  /// The scopes of a token this tenant accepts now; nothing for any other.
  std::optional<std::string_view> scopes(std::string_view token, clock::time_point now) const;
  /// The same for a request's `Authorization: Bearer` header.
  std::optional<std::string_view> bearer_scopes(const request_view& req,
                                                clock::time_point now) const;
  std::uint64_t issued() const { return issued_count_; }

 private:
  using form = std::map<std::string, std::string>;
  /// The grant's form refused before its assertion is read; nothing when it may go on.
  std::optional<outcome> refuse_client(form& p) const;
  /// The assertion refused (signature, account, audience, expiry, replay); nothing if good.
  std::optional<outcome> refuse_assertion(const std::string& jwt, std::string_view host);
  outcome issue(const std::string& scope, clock::time_point now);

  std::string token_;
  clock::time_point token_expiry_ = clock::time_point::max();
  std::string next_token_;
  std::string scopes_;  // of token_ and next_token_
  std::string am_prefix_;
  std::string token_path_;  // "/<am>/oauth2/access_token"
  std::string sa_id_;
  std::optional<io::rsa_key> sa_key_;
  std::chrono::milliseconds ttl_;
  std::uint64_t max_tokens_;
  struct issued_token {
    clock::time_point expiry;
    std::string scope;
  };
  std::unordered_map<std::string, issued_token> issued_;
  std::unordered_set<std::string> seen_jti_;
  std::uint64_t issued_count_ = 0;
};

}  // namespace devreset::sim
