// The run's error category.
#include "engine/errors.hpp"

#include <string>

namespace devreset::engine {

namespace {

class run_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "devreset.run"; }
  std::string message(int code) const override {
    switch (static_cast<run_error>(code)) {
      case run_error::interrupted:
        return "interrupted";
      case run_error::no_token:
        return "no token";
      case run_error::token_refused:
        return "the token was refused";
      case run_error::tenant_silent:
        return "the tenant stopped answering";
      case run_error::unreachable:
        return "the tenant cannot be reached";
      case run_error::certificate:
        return "the tenant's certificate was refused";
      case run_error::proxy:
        return "the proxy refused the tunnel";
      case run_error::wrong_realm:
        return "no such realm";
      case run_error::wrong_address:
        return "no device API at this address";
      case run_error::not_found_storm:
        return "the first users were all not found";
      case run_error::ledger:
        return "the ledger cannot be written";
      case run_error::input:
        return "the input cannot be read";
      case run_error::internal:
        return "internal error";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& run_category() noexcept {
  static const run_category_impl category;
  return category;
}

std::error_code make_error_code(run_error e) noexcept {
  return {static_cast<int>(e), run_category()};
}

}  // namespace devreset::engine
