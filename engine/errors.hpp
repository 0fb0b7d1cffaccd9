// Why a run stopped before its end, as codes: decisions (exit codes, advice, tests) read the
// code; the words that go with it are for people only.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace devreset::engine {

enum class run_error {
  interrupted = 1,  ///< Ctrl-C / SIGTERM, or the caller's stop request
  no_token,         ///< no token could be had (a token file, the token endpoint)
  token_refused,    ///< the tenant refused the token (the preflight, or N requests in a row)
  tenant_silent,    ///< N requests in a row got no answer at all: the tenant went away
  unreachable,      ///< the preflight could not reach the tenant
  certificate,      ///< the tenant's certificate was refused (chain or name)
  proxy,            ///< the proxy refused the tunnel (its credentials, its rules)
  wrong_realm,      ///< the preflight: AM does not know the realm
  wrong_address,    ///< the preflight: nothing like AM's device API answers at the AM path
  not_found_storm,  ///< the first users of the run were all not found
  ledger,           ///< the ledger could not be written
  input,            ///< the input cannot be read past a line
  internal,         ///< a bug: an exception escaped a coroutine
};

/// Why a step cannot go on (the preflight, a token, a look-up): the code decisions read and
/// the words for people. An empty `what` is no problem.
struct problem {
  run_error code{};
  std::string what;

  explicit operator bool() const noexcept { return !what.empty(); }
};

const std::error_category& run_category() noexcept;
std::error_code make_error_code(run_error e) noexcept;

}  // namespace devreset::engine

template <>
struct std::is_error_code_enum<devreset::engine::run_error> : std::true_type {};
