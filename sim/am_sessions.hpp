// A self-managed AM's administrator sessions (docs/tenant-api.md, "Self-managed PingAM"):
// the sign-in at `<am>/json<realm>/authenticate` (X-OpenAM-Username, X-OpenAM-Password, a
// named journey by `authIndexType=service&authIndexValue=`), journeys that answer with
// callbacks, sessions that idle out and end, and the sign-out at
// `<am>/json/realms/root/sessions/?_action=logout`. On such a tenant no bearer token is
// taken: a request's session is the header named after AM's cookie. No I/O.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>

#include "sim/http_types.hpp"
#include "sim/options.hpp"

namespace devreset::sim {

class am_sessions {
 public:
  /// `am_prefix`: the AM context path without slashes ("am").
  am_sessions(const options& opts, std::string am_prefix);

  /// True when the tenant is a self-managed AM (an administrator is configured).
  bool enabled() const { return !opts_.am_admin.empty(); }

  bool is_sign_in(const request_view& req) const;
  /// The sign-in: a session's tokenId, a journey's callbacks, or 401 "Login failure".
  outcome sign_in(const request_view& req, clock::time_point now);
  bool is_sign_out(const request_view& req) const;
  /// The sign-out of the request's session: {"result":"Successfully logged out"}, or 401.
  outcome sign_out(const request_view& req, clock::time_point now);

  /// Who a request's session is, when it is alive (its use keeps it from idling out).
  enum class access { none, admin, not_admin };
  access check(const request_view& req, clock::time_point now);

  /// For /sim/stats: sign-ins, refused sign-ins, sign-outs, sessions ended, live sessions.
  boost::json::object json() const;

 private:
  struct session {
    clock::time_point created;
    clock::time_point used;
    bool admin = false;
  };
  bool ended(const session& s, clock::time_point now) const;
  std::string new_token();

  const options& opts_;
  std::string prefix_;  // the AM path as a segment: "am" ("" for AM at the root)
  std::mt19937_64 rng_;
  std::unordered_map<std::string, session> live_;
  std::uint64_t sign_ins_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t callbacks_ = 0;
  std::uint64_t sign_outs_ = 0;
  std::uint64_t ended_ = 0;  // sessions met after their end (each answered 401 once)
};

}  // namespace devreset::sim
