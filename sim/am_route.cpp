// Targets under AM's REST API (sim/am_route.hpp), parsed with Boost.URL.
#include "sim/am_route.hpp"

#include <boost/url/parse.hpp>

namespace devreset::sim {

namespace urls = boost::urls;

namespace {
constexpr std::string_view root = "/realms/root";
}

std::optional<am_route> parse_am_route(std::string_view target, std::string_view am_prefix) {
  auto parsed = urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  std::vector<std::string> segs;
  for (auto s : parsed->segments())
    segs.emplace_back(s);
  std::size_t i = 0;
  if (!am_prefix.empty() && (segs.empty() || segs[i++] != am_prefix)) return std::nullopt;
  if (i >= segs.size() || segs[i++] != "json") return std::nullopt;
  am_route r;
  // A name holding a '/' (sent as %2F) is no realm: AM's realm names hold none.
  while (i + 1 < segs.size() && segs[i] == "realms" && segs[i + 1].find('/') == std::string::npos) {
    r.realm += "/realms/" + segs[i + 1];
    i += 2;
  }
  r.rest.assign(std::make_move_iterator(segs.begin() + static_cast<std::ptrdiff_t>(i)),
                std::make_move_iterator(segs.end()));
  for (auto p : parsed->params())
    r.params.emplace_back(p.key, p.has_value ? std::string(p.value) : std::string());
  return r;
}

bool am_route::under_root() const {
  return realm == root || (realm.starts_with(root) && realm[root.size()] == '/');
}

std::string am_route::am_realm() const {
  return am_realm_name(realm);
}

std::string am_realm_name(std::string_view path) {
  constexpr std::string_view level = "/realms/";
  if (path.starts_with(root)) path.remove_prefix(root.size());
  std::string out;
  while (path.starts_with(level)) {
    path.remove_prefix(level.size());
    const auto end = std::min(path.find('/'), path.size());
    out += "/";
    out += path.substr(0, end);
    path.remove_prefix(end);
  }
  return out.empty() ? std::string("/") : out;
}

std::optional<std::string> am_route::param(std::string_view key) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it)  // a key given twice: the last
    if (it->first == key) return it->second;
  return std::nullopt;
}

bool am_route::rest_is(std::initializer_list<std::string_view> segments) const {
  auto n = rest.size();
  if (n > 0 && rest.back().empty()) --n;  // "sessions/"
  if (n != segments.size()) return false;
  std::size_t k = 0;
  for (auto s : segments)
    if (rest[k++] != s) return false;
  return true;
}

}  // namespace devreset::sim
