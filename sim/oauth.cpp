// The tenant's tokens: the static ones and the service account's JWT bearer grant.
#include "sim/oauth.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include <random>

#include "io/text.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

std::string random_token() {
  std::random_device rd;
  return fmt::format("sim-{:016x}{:016x}", (std::uint64_t{rd()} << 32) | rd(),
                     (std::uint64_t{rd()} << 32) | rd());
}

outcome oauth_error(int status, std::string_view error, std::string_view description) {
  outcome o;
  o.status = status;
  o.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
  return o;
}

// The audience an assertion must name: this endpoint, as the client reached it.
std::string audience(std::string_view host, const std::string& am_prefix) {
  std::string port = "443";
  if (auto colon = host.rfind(':');
      colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    port = std::string(host.substr(colon + 1));
    host = host.substr(0, colon);
  }
  return fmt::format("https://{}:{}{}/oauth2/access_token", host, port,
                     am_prefix.empty() ? std::string() : "/" + am_prefix);
}

}  // namespace

oauth::oauth(const options& opts, std::string token, std::string am_prefix)
    : token_(token.empty() ? random_token() : std::move(token)),
      next_token_(opts.next_token),
      scopes_(opts.token_scopes),
      am_prefix_(std::move(am_prefix)),
      token_path_("/" + am_prefix_ + (am_prefix_.empty() ? "" : "/") + "oauth2/access_token"),
      sa_id_(opts.sa_id),
      ttl_(opts.token_ttl),
      max_tokens_(opts.sa_max_tokens) {
  if (opts.token_expires.count() > 0) token_expiry_ = clock::now() + opts.token_expires;
  if (!opts.sa_id.empty()) sa_key_ = io::rsa_key::from_jwk_file(opts.sa_jwk_file, false);
}

bool oauth::is_token_endpoint(const request_view& req) const {
  return sa_key_ && req.method == "POST" && req.target == token_path_;
}

std::optional<std::string_view> oauth::scopes(std::string_view token, clock::time_point now) const {
  if (token == token_ && now < token_expiry_) return scopes_;
  if (!next_token_.empty() && token == next_token_) return scopes_;
  auto it = issued_.find(std::string(token));
  if (it == issued_.end() || now >= it->second.expiry) return std::nullopt;
  return it->second.scope;
}

std::optional<std::string_view> oauth::bearer_scopes(const request_view& req,
                                                     clock::time_point now) const {
  constexpr std::string_view bearer = "Bearer ";
  const auto auth = req.authorization;
  if (auth.size() <= bearer.size() || !io::iequals(auth.substr(0, bearer.size()), bearer)) {
    return std::nullopt;
  }
  return scopes(auth.substr(bearer.size()), now);
}

outcome oauth::exchange(const request_view& req, clock::time_point now) {
  urls::url parsed;
  parsed.set_encoded_query(urls::pct_string_view(req.body));
  form p;
  for (auto param : parsed.params())
    p[std::string(param.key)] = param.value;
  if (auto refused = refuse_client(p)) return *refused;
  if (auto refused = refuse_assertion(p["assertion"], req.host)) return *refused;
  return issue(p["scope"], now);
}

std::optional<outcome> oauth::refuse_client(form& p) const {
  if (max_tokens_ > 0 && issued_count_ >= max_tokens_) {
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
  return std::nullopt;
}

std::optional<outcome> oauth::refuse_assertion(const std::string& jwt, std::string_view host) {
  std::string why;
  auto claims = io::verify_jwt_rs256(jwt, *sa_key_, why);
  if (!claims) return oauth_error(401, "invalid_client", why);
  auto str = [&](const char* k) -> std::string {
    auto* v = claims->if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (str("iss") != sa_id_ || str("sub") != sa_id_) {
    return oauth_error(401, "invalid_client", "unknown service account (iss/sub)");
  }
  if (str("aud") != audience(host, am_prefix_))
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
  return std::nullopt;
}

outcome oauth::issue(const std::string& scope, clock::time_point now) {
  // Forget tokens long expired, so a long run does not grow the map.
  for (auto it = issued_.begin(); it != issued_.end();) {
    it = now > it->second.expiry + ttl_ ? issued_.erase(it) : std::next(it);
  }
  auto token = random_token();
  issued_[token] = issued_token{now + ttl_, scope};
  ++issued_count_;
  outcome o;
  o.body =
      json::serialize(json::object{{"access_token", token},
                                   {"scope", scope},
                                   {"token_type", "Bearer"},
                                   {"expires_in", std::chrono::duration<double>(ttl_).count()}});
  return o;
}

}  // namespace devreset::sim
