// A request target under AM's REST API, `<am>/json[/realms/<name>...]/<rest>?<params>`,
// parsed once for every part of the sim that routes on it: the device API, AM's users
// endpoint, sessions and the answers to paths nothing serves.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace devreset::sim {

struct am_route {
  std::string realm;              ///< "/realms/root/realms/alpha"; empty: the path names none
  std::vector<std::string> rest;  ///< the segments after the realms, decoded
  std::vector<std::pair<std::string, std::string>> params;  ///< decoded; "" for `?key`

  /// The realm is the root or under it.
  bool under_root() const;
  /// The realm as AM names it: "/" (the root), "/alpha", "/alpha/sub".
  std::string am_realm() const;
  /// A query parameter's value (given twice: the last); nothing when absent.
  std::optional<std::string> param(std::string_view key) const;
  /// `rest` equals these segments (a trailing "/" ignored).
  bool rest_is(std::initializer_list<std::string_view> segments) const;
};

/// The route of `target` when it is origin-form and under `<am_prefix>/json` (am_prefix
/// without slashes, "" for AM at the root); nothing otherwise. A "realms" segment followed by
/// a name is one realm level (a name with a '/' in it, sent as %2F, is none).
std::optional<am_route> parse_am_route(std::string_view target, std::string_view am_prefix);

/// "/realms/root/realms/alpha" -> "/alpha"; "/realms/root" -> "/".
std::string am_realm_name(std::string_view realm_path);

}  // namespace devreset::sim
