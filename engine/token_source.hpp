// Where the bearer token comes from: a fixed token (DEVRESET_TOKEN), or a token file that
// is re-read when it changes and after a 401, so that an external refresher works.
// Tokens are secrets: they are never printed, logged or written to the ledger.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace devreset::engine {

class token_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class token_source {
 public:
  virtual ~token_source() = default;
  /// The token to send now.
  virtual const std::string& token() = 0;
  /// Called after a 401: fetch a fresh token. True when the token changed.
  virtual bool refresh() = 0;
  /// Where the token comes from, safe to print ("token file /run/secrets/token").
  virtual std::string describe() const = 0;
};

/// A token given once (environment); refresh() cannot change it.
std::unique_ptr<token_source> make_static_token(std::string token, std::string origin);

/// A token read from a file (surrounding white space removed); re-read when the file's
/// modification time changes (checked at most once a second) and on refresh().
/// Throws token_error naming the file when it cannot be read or is empty.
std::unique_ptr<token_source> make_file_token(std::filesystem::path path);

}  // namespace devreset::engine
