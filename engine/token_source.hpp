// Where the bearer token comes from: a fixed token (DEVRESET_TOKEN), a token file that is
// re-read when it changes and after a 401 (so an external refresher works), or a service
// account (engine/service_account.hpp). Tokens are secrets: they are never printed, logged
// or written to the ledger.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine/errors.hpp"
#include "engine/retry_policy.hpp"
#include "engine/run_stats.hpp"

namespace devreset::engine {

class token_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class https_host;

/// What a token source that talks to the tenant needs of the run.
struct token_context {
  boost::asio::any_io_executor executor;
  https_host* host = nullptr;
  std::string host_name;  ///< as in the tenant URL
  std::string port;
  std::string am_path;
  std::chrono::milliseconds timeout{30000};
  retry_config retry;  ///< the run's --max-attempts and --backoff-*: the token endpoint's too
  run_stats* stats = nullptr;  ///< where the token endpoint's attempts are counted (none: not)
};

class token_source {
 public:
  virtual ~token_source() = default;
  /// The token to send now.
  virtual const std::string& token() = 0;
  /// Re-reads the token where that is cheap and local (a file). True when it changed.
  virtual bool refresh() = 0;
  /// Where the token comes from, safe to print ("token file /run/secrets/token").
  virtual std::string describe() const = 0;
  /// What the run should warn about once it ends (a token lifetime the tenant stated that
  /// cannot be right); empty when nothing.
  virtual std::string warning() const { return {}; }

  /// True when ensure() with nothing rejected would do nothing now (the token is good and
  /// not due for renewal): the hot path then reads token() without a coroutine.
  virtual bool ready() const { return true; }

  /// Makes token() usable before a request: gets a first token, renews one ahead of its
  /// expiry, and after a 401 for `rejected` gets another (once for all the requests that
  /// were refused with it). Returns why no token can be had (run_error::no_token), or no
  /// problem.
  virtual boost::asio::awaitable<problem> ensure(token_context* ctx, std::string rejected);

  /// The header that carries the token: empty for `Authorization: Bearer`, else its name
  /// (an AM session's cookie name).
  virtual std::string_view header_name() const { return {}; }
  /// True when the token can end before any expiry it announced (an AM session that idles
  /// out or reaches its maximum): every request in flight then meets a 401 at once, and the
  /// run's streak of refusals counts only those that a new token did not cure.
  virtual bool ends_unannounced() const { return false; }
  /// The run is over (finished, interrupted or aborted): end what the source opened on the
  /// tenant (an AM session: signed out), within `timeout`. What to tell the operator (a line
  /// for the log), or nothing.
  virtual boost::asio::awaitable<std::string> end_session(token_context* ctx,
                                                          std::chrono::milliseconds timeout);

  /// The run stops at once: end what is in flight (a renewal) without waiting for it.
  virtual void cancel() {}

  /// The run's io_context is about to go: drop every I/O object made on it (the token
  /// itself may stay for a later run).
  virtual void detach() {}
};

/// A token given once (environment); refresh() cannot change it.
std::unique_ptr<token_source> make_static_token(std::string token, std::string origin);

/// A token read from a file (surrounding white space removed); re-read when the file's
/// modification time changes (checked at most once a second) and on refresh().
/// Throws token_error naming the file when it cannot be read or is empty.
std::unique_ptr<token_source> make_file_token(std::filesystem::path path);

}  // namespace devreset::engine
