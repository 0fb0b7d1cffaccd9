// Realm names as users type them ("alpha", "/alpha", "root/alpha", "alpha/emea",
// "/realms/root/realms/alpha") turned into the tenant's realm path.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace devreset::io {

struct realm_error {
  std::string reason;  ///< safe to print: the input is rendered with `printable`
};

/// The realm path of docs/tenant-api.md: "/realms/root" followed by "/realms/<name>" for each
/// level below the top-level realm. "alpha", "/alpha", "root/alpha", "/realms/root/realms/alpha"
/// all give "/realms/root/realms/alpha"; "root" and "/" give "/realms/root".
/// Realm names are letters, digits, '-', '_' and '.', never "." or "..".
std::variant<std::string, realm_error> realm_path(std::string_view realm);

/// Realm paths (and the text given for them) are at most this long.
inline constexpr std::size_t max_realm_path = 2048;

}  // namespace devreset::io
