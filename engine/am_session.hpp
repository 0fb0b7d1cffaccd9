// Sessions of a self-managed PingAM's administrator (docs/tenant-api.md, "Self-managed
// PingAM"): the cookie name read once from `serverinfo/*`, a sign-in with the user name and
// password (headers X-OpenAM-Username and X-OpenAM-Password, a named journey if asked), the
// session token sent as `<cookieName>: <tokenId>`, one sign-in for all workers when a
// session ends (a 401), and a sign-out when the run is over. The password and the session
// token are secrets: never printed, logged or written to the ledger.
#pragma once

#include <memory>
#include <string>

#include "engine/errors.hpp"
#include "engine/request.hpp"
#include "engine/token_source.hpp"

namespace devreset::engine {

struct am_account {
  std::string user;
  std::string password;                     ///< wiped by the session source when it goes
  std::string realm_path = "/realms/root";  ///< where the account signs in
  std::string tree;                         ///< the journey (empty: the realm's default)
};

/// The cookie AM names its sessions after when serverinfo does not say.
inline constexpr std::string_view default_cookie_name = "iPlanetDirectoryPro";

/// "<am>/json<realm>/authenticate", with `?authIndexType=service&authIndexValue=<tree>` for a
/// named journey (percent-encoded).
std::string sign_in_target(std::string_view am_path, const am_account& a);
/// A user name or password as an X-OpenAM-* header carries it: as it is when it is printable
/// ASCII, else (or when it could be taken for one) an RFC 2047 encoded word of its UTF-8,
/// `=?UTF-8?B?<base64>?=`, which AM decodes (a header is read as ISO-8859-1 otherwise).
std::string openam_header_value(std::string_view v);

/// What a sign-in's answer says: the session token, or why there is none (in words naming
/// the account and the journey; never the password).
struct sign_in_result {
  std::string token;
  problem trouble;  ///< no_token (refused, a journey), wrong_address, unreachable, certificate
};
sign_in_result read_sign_in(const am_account& a, std::string_view target,
                            const http_answer& answer);

/// Signs in when the run needs a session (its first request), again after a 401 (once for
/// all), out at the end.
std::unique_ptr<token_source> make_am_session(am_account account);

}  // namespace devreset::engine
