// Request targets of the tenant's device API, with every id percent-encoded as exactly
// one path segment (docs/tenant-api.md): nothing an id contains can change the target.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "io/device_type.hpp"

namespace devreset::io {

/// Percent-encodes `s` so that it is one path segment or one query value: everything but
/// RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~) is encoded, and a segment that
/// would read as "." or ".." has its dots encoded too.
std::string encode_segment(std::string_view s);

/// Why `am_path` cannot be an AM context path, or nullopt when it can: segments of RFC 3986
/// unreserved characters only (letters, digits, '-', '.', '_', '~'), never "." or "..", no
/// query, fragment or percent escape. "/am", "/openam", "/sso/am", "" (none) are paths.
std::optional<std::string> am_path_problem(std::string_view am_path);

/// Why `host` (as a tenant URL spells it) cannot be a tenant host, or nullopt: a DNS name of
/// letters, digits, '-' and '.', or an IP address literal; nothing percent-encoded.
std::optional<std::string> host_problem(std::string_view host);

/// The tenant as a run names it and the ledger keys it: "https://host" (":port" unless 443)
/// followed by the AM context path as `tenant_paths` normalises it ("https://h:8443/am").
/// An IPv6 address is bracketed. Two runs are on the same tenant when these are equal.
std::string tenant_url(std::string_view host, std::string_view port, std::string_view am_path);

/// The part of the collection path below `users/<id>/devices/`: "2fa/oath", "profile", ...
std::string_view collection_suffix(device_type t) noexcept;

/// Builds request targets below `<am_path>/json<realm_path>/users/<user>/devices/`.
/// `am_path` is the AM context path ("/am", "/openam"); `realm_path` comes from `realm_path()`.
class tenant_paths {
 public:
  explicit tenant_paths(std::string am_path = "/am");

  /// ".../users/<user>/devices/<collection>"
  std::string collection(std::string_view realm_path, std::string_view user_id,
                         device_type t) const;
  /// ".../devices/<collection>?_action=reset"
  std::string reset(std::string_view realm_path, std::string_view user_id, device_type t) const;
  /// ".../devices/<collection>?_queryFilter=true", with `_pageSize` when `page_size` > 0 and
  /// `_pagedResultsCookie` when `cookie` is not empty.
  std::string query(std::string_view realm_path, std::string_view user_id, device_type t,
                    int page_size = 0, std::string_view cookie = {}) const;
  /// ".../devices/<collection>/<device>"
  std::string device(std::string_view realm_path, std::string_view user_id, device_type t,
                     std::string_view device_id) const;

  const std::string& am_path() const { return am_path_; }

  // The IDM side (PingIDM, "/openidm" on AIC).
  /// `idm_path`: the IDM context path; `managed_user`, `managed_group`: the managed objects
  /// (empty: the realm's, see managed_user() and managed_group()).
  void set_idm(std::string idm_path, std::string managed_user, std::string managed_group = {});
  /// The managed user object of a realm: "alpha_user" for ".../realms/alpha" (its last
  /// realm), "user" for the root realm (a self-managed PingIDM), or the one set.
  std::string managed_user(std::string_view realm_path) const;
  /// "<users endpoint>?_queryFilter=<filter>&_fields=<fields>", percent-encoded, with
  /// `_pageSize` when `page_size` > 0 and `_pagedResultsCookie` when `cookie` is not empty.
  std::string user_query(std::string_view realm_path, std::string_view filter,
                         std::string_view fields, int page_size = 0, std::string_view cookie = {},
                         bool exact_total = false) const;
  /// The managed group object of a realm: "alpha_group" (from the managed user's name), or
  /// the one set.
  std::string managed_group(std::string_view realm_path) const;
  /// "<idm>/managed/<realm>_group?_queryFilter=<filter>&_fields=<fields>"
  std::string group_query(std::string_view realm_path, std::string_view filter,
                          std::string_view fields) const;
  /// "<idm>/managed/<realm>_group/<id>/members?_queryFilter=true&_fields=_refResourceId", paged.
  std::string group_members(std::string_view realm_path, std::string_view group_id,
                            int page_size = 0, std::string_view cookie = {}) const;
  const std::string& idm_path() const { return idm_path_; }
  /// Users are queried at AM's own users endpoint ("<am>/json<realm>/users", a self-managed
  /// AM without IDM) instead of IDM's managed users.
  void set_am_users(bool on) { am_users_ = on; }
  bool am_users() const { return am_users_; }
  /// Where user_query() asks: "<idm>/managed/<object>" or "<am>/json<realm>/users".
  std::string users_endpoint(std::string_view realm_path) const;

 private:
  std::string am_path_;
  std::string idm_path_ = "/openidm";
  std::string managed_user_;
  std::string managed_group_;
  bool am_users_ = false;
};

}  // namespace devreset::io
