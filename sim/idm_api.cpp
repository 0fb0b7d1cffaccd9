// Managed users and groups of the simulated IDM, as CREST query results.
#include "sim/idm_api.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

#include "sim/idm_filter.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

std::string trimmed_path(std::string_view p) {
  while (!p.empty() && p.front() == '/')
    p.remove_prefix(1);
  while (!p.empty() && p.back() == '/')
    p.remove_suffix(1);
  return std::string(p);
}

bool wants(const std::optional<std::string>& fields, std::string_view name) {
  if (!fields) return true;
  std::string_view rest = *fields;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto f = rest.substr(0, comma);
    if (!f.empty() && f.front() == '/') f.remove_prefix(1);
    if (f == name || f == "*") return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

// A managed user's attributes that filters may name.
struct user_attributes {
  std::string id, user_name;
  std::optional<std::string> mail;
  std::optional<std::string_view> operator()(std::string_view a) const {
    if (a == "_id") return id;
    if (a == "userName" && !user_name.empty()) return user_name;
    if (a == "mail" && mail) return *mail;
    return std::nullopt;
  }
};

}  // namespace

std::vector<tenant_state::user_ref> matching_users(const tenant_state& state,
                                                   const filter_node& filter) {
  // Candidates from the index when the filter names them, else every user of the realm.
  std::vector<tenant_state::user_ref> candidates;
  if (auto keys = equality_keys(filter)) {
    for (const auto& [a, v] : *keys)
      for (auto u : state.find_by(a, v))
        candidates.push_back(u);
    std::sort(candidates.begin(), candidates.end(),
              [](auto x, auto y) { return x.index < y.index; });
    candidates.erase(std::unique(candidates.begin(), candidates.end(),
                                 [](auto x, auto y) { return x.index == y.index; }),
                     candidates.end());
  } else {
    for (std::size_t i = 0; i < state.user_count(); ++i)
      if (state.in_seeded_realm({i})) candidates.push_back({i});
  }
  std::vector<tenant_state::user_ref> hits;
  for (auto u : candidates) {
    const user_attributes attributes{state.id_of(u), state.user_name(u), state.mail(u)};
    if (matches(filter, std::cref(attributes))) hits.push_back(u);
  }
  return hits;
}

std::string managed_user_of(std::string_view realm_path) {
  const auto slash = realm_path.rfind('/');
  const auto last = realm_path.substr(slash == std::string_view::npos ? 0 : slash + 1);
  return last == "root" || last.empty() ? std::string("user") : std::string(last) + "_user";
}

idm_api::idm_api(const options& opts, const tenant_state& state)
    : state_(state),
      prefix_(trimmed_path(opts.idm_path)),
      user_object_(opts.managed_user.empty() ? managed_user_of(state.realm_path())
                                             : opts.managed_user) {
  group_object_ = user_object_.substr(0, user_object_.size() - 4) + "group";  // "_user" -> "_group"
}

bool idm_api::owns(std::string_view target) const {
  return target.size() > prefix_.size() + 1 && target[0] == '/' &&
         target.substr(1, prefix_.size()) == prefix_ &&
         (target[prefix_.size() + 1] == '/' || target[prefix_.size() + 1] == '?');
}

namespace {

// A cookie as IDM takes it back: the text of the answer's JSON, sent as it is (its %XX kept).
// One encoded again ("%253D") decodes to text with a '%' in it; one sent decoded holds a raw
// '=', '+', '/' or ':' (and '+' would read as a space): both refused, as a real IDM's
// "invalid _pagedResultsCookie".
bool sent_as_issued(urls::pct_string_view raw) {
  for (char c : raw) {  // the text as written
    const bool unreserved = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (!unreserved && c != '%') return false;
  }
  return raw.decode().find('%') == std::string::npos;
}

}  // namespace

outcome idm_api::handle(const request_view& req, std::string_view scopes) {
  if (scopes.find("fr:idm:*") == std::string_view::npos) return crest_error(403, "Access Denied");
  auto parsed = urls::parse_origin_form(req.target);
  if (!parsed) return crest_error(400, "Invalid request");
  std::vector<std::string> segs;
  for (auto s : parsed->segments())
    segs.emplace_back(s);
  query q;
  q.page.encoded_cookie = true;
  for (auto p : parsed->encoded_params()) {  // a cookie is checked as the client wrote it
    if (p.key == "_pagedResultsCookie" && !sent_as_issued(p.value))
      return crest_error(400, "Invalid _pagedResultsCookie");
  }
  for (auto p : parsed->params()) {
    if (p.key == "_queryFilter") {
      q.filter = p.value;
      q.has_filter = true;
    } else if (p.key == "_fields") {
      q.fields = p.value;
    } else if (p.key == "_pageSize") {
      q.page.page_size = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
    } else if (p.key == "_pagedResultsCookie") {
      q.page.cookie = p.value;
    } else if (p.key == "_pagedResultsOffset") {
      q.page.offset = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
    } else if (p.key == "_totalPagedResultsPolicy") {
      q.page.exact_total = p.value == "EXACT";
    }
  }
  if (segs.size() < 3 || segs[1] != "managed") {
    return crest_error(404, fmt::format("Resource '{}' not found", req.target));
  }
  if (req.method != "GET") return crest_error(405, "Method not allowed");
  if (!q.has_filter) return crest_error(400, "_queryFilter is required");
  ++queries_;
  if (segs.size() == 3 && segs[2] == user_object_) return users(q);
  if (segs.size() == 3 && segs[2] == group_object_) return groups(q);
  if (segs.size() == 5 && segs[2] == group_object_ && segs[4] == "members") {
    if (auto k = state_.find_group(segs[3])) return members(*k, q);
    return crest_error(404,
                       fmt::format("Object {} not found in managed/{}", segs[3], group_object_));
  }
  return crest_error(404, fmt::format("Resource 'managed/{}' not found", segs[2]));
}

json::object idm_api::user_json(tenant_state::user_ref u,
                                const std::optional<std::string>& fields) const {
  json::object o{{"_id", state_.id_of(u)}};
  if (wants(fields, "_rev")) o["_rev"] = "1";
  if (wants(fields, "userName")) o["userName"] = state_.user_name(u);
  if (wants(fields, "mail")) {
    auto m = state_.mail(u);
    o["mail"] = m ? json::value(*m) : json::value(nullptr);
  }
  if (wants(fields, "accountStatus")) o["accountStatus"] = "active";
  return o;
}

outcome idm_api::users(const query& q) {
  ++user_queries_;
  auto f = parse_filter(q.filter);
  if (auto* why = std::get_if<std::string>(&f)) {
    return crest_error(400, fmt::format("Invalid query filter: {}", *why));
  }
  const auto hits = matching_users(state_, std::get<filter_node>(f));
  return query_page(hits.size(), q.page, [&](std::size_t k) {
    ++users_returned_;
    return json::value(user_json(hits[k], q.fields));
  });
}

outcome idm_api::groups(const query& q) const {
  auto f = parse_filter(q.filter);
  if (auto* why = std::get_if<std::string>(&f)) {
    return crest_error(400, fmt::format("Invalid query filter: {}", *why));
  }
  std::vector<std::size_t> hits;
  for (std::size_t k = 0; k < tenant_state::group_count; ++k) {
    const auto id = state_.group_id(k);
    const auto name = tenant_state::group_name(k);
    auto attribute = [&](std::string_view a) -> std::optional<std::string_view> {
      if (a == "_id") return id;
      if (a == "name") return name;
      return std::nullopt;
    };
    if (matches(std::get<filter_node>(f), attribute)) hits.push_back(k);
  }
  return query_page(hits.size(), q.page, [&](std::size_t i) {
    return json::value(json::object{{"_id", state_.group_id(hits[i])},
                                    {"_rev", "1"},
                                    {"name", tenant_state::group_name(hits[i])}});
  });
}

outcome idm_api::members(std::size_t group, const query& q) const {
  if (q.filter != "true") return crest_error(400, "Only _queryFilter=true is supported here");
  return query_page(state_.member_count(group), q.page, [&](std::size_t i) {
    const auto id = state_.id_of(state_.member(group, i));
    return json::value(
        json::object{{"_ref", fmt::format("managed/{}/{}", user_object_, id)},
                     {"_refResourceCollection", fmt::format("managed/{}", user_object_)},
                     {"_refResourceId", id},
                     {"_refProperties",
                      json::object{{"_id", fmt::format("rel-{}-{}", group, i)}, {"_rev", "1"}}},
                     {"_id", fmt::format("rel-{}-{}", group, i)},
                     {"_rev", "1"}});
  });
}

}  // namespace devreset::sim
