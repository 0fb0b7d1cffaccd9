// The simulated tenant's IDM side (PingIDM under /openidm): managed users queried by
// `_queryFilter` (a real parser: sim/idm_filter.hpp), managed groups and their members, as
// CREST pages (`_pageSize`, `_pagedResultsCookie`, `_totalPagedResultsPolicy`, `_fields`).
// The token must hold `fr:idm:*`. No I/O: the API routes requests under the IDM path here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "sim/crest.hpp"
#include "sim/http_types.hpp"
#include "sim/idm_filter.hpp"
#include "sim/options.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {

class idm_api {
 public:
  idm_api(const options& opts, const tenant_state& state);

  /// True when `target` is under the IDM path (e.g. "/openidm/...").
  bool owns(std::string_view target) const;
  /// A request under it, its token already checked; `scopes`: the scopes the token holds.
  outcome handle(const request_view& req, std::string_view scopes);

  /// Queries answered (of managed users, groups and members), for /sim/stats.
  std::uint64_t queries() const { return queries_; }
  std::uint64_t user_queries() const { return user_queries_; }
  /// Managed users returned by user queries, all pages.
  std::uint64_t users_returned() const { return users_returned_; }

 private:
  struct query {
    std::string filter;
    std::optional<std::string> fields;
    page_request page;
    bool has_filter = false;
  };
  outcome users(const query& q);
  outcome groups(const query& q) const;
  outcome members(std::size_t group, const query& q) const;
  boost::json::object user_json(tenant_state::user_ref u,
                                const std::optional<std::string>& fields) const;

  const tenant_state& state_;
  std::string prefix_;        // "openidm"
  std::string user_object_;   // "alpha_user"
  std::string group_object_;  // "alpha_group"
  std::uint64_t queries_ = 0;
  std::uint64_t user_queries_ = 0;
  std::uint64_t users_returned_ = 0;
};

/// The users of the seeded realm that `filter` matches over IDM's attributes (`_id`,
/// `userName`, `mail`), found through the state's index when the filter names them.
std::vector<tenant_state::user_ref> matching_users(const tenant_state& state,
                                                   const filter_node& filter);

/// The managed object names of a realm path: "/realms/root/realms/alpha" -> "alpha_user"
/// ("user" for the root realm, as a self-managed PingIDM names it).
std::string managed_user_of(std::string_view realm_path);

}  // namespace devreset::sim
