// AM's users endpoint over the simulated population.
#include "sim/am_users.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <vector>

#include "sim/am_route.hpp"
#include "sim/crest.hpp"
#include "sim/idm_api.hpp"
#include "sim/idm_filter.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

// AM's names for IDM's attributes: `uid`, `username` and `_id` are the user name.
void to_idm_names(filter_node& f) {
  if (f.attribute == "uid" || f.attribute == "username" || f.attribute == "_id") {
    f.attribute = "userName";
  }
  for (auto& c : f.children)
    to_idm_names(c);
}

}  // namespace

am_users::am_users(const tenant_state& state, std::string am_prefix)
    : state_(state), prefix_(std::move(am_prefix)) {}

std::optional<am_route> am_users::route_of(const request_view& req) const {
  if (req.method != "GET") return std::nullopt;
  auto r = parse_am_route(req.target, prefix_);
  if (!r || !r->under_root() || !r->rest_is({"users"})) return std::nullopt;
  return r;
}

outcome am_users::handle(const am_route& route) {
  const auto& realm = route.realm;
  page_request page;
  const auto filter = route.param("_queryFilter");
  if (auto size = route.param("_pageSize"))
    page.page_size = std::strtoull(size->c_str(), nullptr, 10);
  if (auto cookie = route.param("_pagedResultsCookie")) page.cookie = *cookie;
  page.exact_total = route.param("_totalPagedResultsPolicy") == "EXACT";
  if (!filter) return crest_error(400, "_queryFilter is required");
  auto f = parse_filter(*filter);
  if (auto* why = std::get_if<std::string>(&f)) {
    return crest_error(400, fmt::format("Invalid query filter: {}", *why));
  }
  ++queries_;
  auto& node = std::get<filter_node>(f);
  to_idm_names(node);
  std::vector<tenant_state::user_ref> hits;
  if (realm == state_.realm_path()) hits = matching_users(state_, node);
  const auto shown = am_realm_name(realm);
  return query_page(hits.size(), page, [&](std::size_t k) {
    const auto name = state_.user_name(hits[k]);
    const auto mail = state_.mail(hits[k]);
    json::object o{{"_id", name},
                   {"_rev", "-1"},
                   {"username", name},
                   {"realm", shown},
                   {"uid", json::array{name}},
                   {"cn", json::array{name}}};
    if (mail) o["mail"] = json::array{*mail};
    return json::value(std::move(o));
  });
}

}  // namespace devreset::sim
