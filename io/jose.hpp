// JOSE pieces for service-account authentication (docs/tenant-api.md, "Getting an access
// token"): RSA keys from JWK JSON, base64url, and RS256-signed JWTs, on OpenSSL. Shared by
// the engine (signs with the private key) and the simulator (verifies with the public one).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

typedef struct evp_pkey_st EVP_PKEY;

namespace devreset::io {

class jose_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

/// An RSA key from a JWK ("kty":"RSA"): private when it has "d" (and the CRT members),
/// public otherwise. Throws jose_error with a reason that never shows key material.
class rsa_key {
 public:
  static rsa_key from_jwk(const boost::json::object& jwk, bool need_private);
  /// Reads a JWK file; the message names the file.
  static rsa_key from_jwk_file(const std::string& path, bool need_private);

  rsa_key(rsa_key&&) noexcept;
  rsa_key& operator=(rsa_key&&) noexcept;
  ~rsa_key();

  EVP_PKEY* get() const { return key_; }

 private:
  explicit rsa_key(EVP_PKEY* k) : key_(k) {}
  EVP_PKEY* key_ = nullptr;
};

/// "<header>.<claims>.<signature>" signed RS256.
std::string sign_jwt_rs256(const boost::json::object& claims, const rsa_key& key);

/// Checks an RS256 JWT's signature and returns its claims; nullopt (with `error`) when the
/// token is malformed, not RS256, or the signature does not verify.
std::optional<boost::json::object> verify_jwt_rs256(std::string_view jwt, const rsa_key& key,
                                                    std::string& error);

}  // namespace devreset::io
