// A self-managed AM's own users endpoint (`<am>/json<realm>/users`): users found by a
// `_queryFilter` over AM's attributes (`uid`, `username`, `mail`, `_id`: the user name), as
// CREST pages, without IDM. Its entries are what AM writes: `username`, `uid[]`, `mail[]`,
// `_id`. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/am_route.hpp"
#include "sim/http_types.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {

class am_users {
 public:
  /// `am_prefix`: the AM context path without slashes ("am").
  am_users(const tenant_state& state, std::string am_prefix);

  /// The route of a GET of AM's users collection (its realm: "/realms/root/realms/alpha"),
  /// or nothing when `req` is not one.
  std::optional<am_route> route_of(const request_view& req) const;
  /// The query, for a realm that exists (its session already checked).
  outcome handle(const am_route& route);

  std::uint64_t queries() const { return queries_; }

 private:
  const tenant_state& state_;
  std::string prefix_;
  std::uint64_t queries_ = 0;
};

}  // namespace devreset::sim
