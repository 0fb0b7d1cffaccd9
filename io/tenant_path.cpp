// Request targets of the device API; percent-encoding by Boost.URL.
#include "io/tenant_path.hpp"

#include "io/text.hpp"

#include <fmt/format.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cctype>

namespace devreset::io {

std::string encode_segment(std::string_view s) {
  if (s == ".") return "%2E";
  if (s == "..") return "%2E%2E";
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

namespace {

std::string context_path(std::string p) {
  while (!p.empty() && p.back() == '/')
    p.pop_back();
  if (!p.empty() && p.front() != '/') p.insert(0, 1, '/');
  return p;
}

}  // namespace

std::string_view collection_suffix(device_type t) noexcept {
  return info(t).collection;
}

std::optional<std::string> am_path_problem(std::string_view am_path) {
  if (am_path.size() > 256) return "longer than 256 characters";
  std::string_view rest = am_path;
  if (rest.starts_with('/')) rest.remove_prefix(1);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (seg.empty() && slash != std::string_view::npos) return "an empty segment ('//')";
    if (seg == "." || seg == "..") return "'.' and '..' are not allowed";
    for (char c : seg) {
      if (!boost::urls::unreserved_chars(c)) {
        return fmt::format("'{}' is not allowed (letters, digits, '-', '.', '_', '~' only)",
                           printable(std::string_view(&c, 1), 8));
      }
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return std::nullopt;
}

std::optional<std::string> host_problem(std::string_view host) {
  if (host.empty()) return "no host";
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) {
      return fmt::format("'{}' cannot be part of a host name",
                         printable(std::string_view(&c, 1), 8));
    }
  }
  return std::nullopt;
}

std::string tenant_url(std::string_view host, std::string_view port, std::string_view am_path) {
  std::string url = "https://";
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    url += fmt::format("[{}]", host);
  } else {
    url += host;
  }
  if (!port.empty() && port != "443") url += fmt::format(":{}", port);
  return url + tenant_paths(std::string(am_path)).am_path();
}

// "/am", "am", "/am/" all mean "/am"; "" and "/" mean no context path.
tenant_paths::tenant_paths(std::string am_path) : am_path_(context_path(std::move(am_path))) {}

std::string tenant_paths::collection(std::string_view realm_path, std::string_view user_id,
                                     device_type t) const {
  return fmt::format("{}/json{}/users/{}/devices/{}", am_path_, realm_path, encode_segment(user_id),
                     collection_suffix(t));
}

std::string tenant_paths::reset(std::string_view realm_path, std::string_view user_id,
                                device_type t) const {
  return collection(realm_path, user_id, t) + "?_action=reset";
}

std::string tenant_paths::query(std::string_view realm_path, std::string_view user_id,
                                device_type t, int page_size, std::string_view cookie) const {
  auto target = collection(realm_path, user_id, t) + "?_queryFilter=true";
  if (page_size > 0) target += fmt::format("&_pageSize={}", page_size);
  if (!cookie.empty()) target += "&_pagedResultsCookie=" + encode_segment(cookie);
  return target;
}

std::string tenant_paths::device(std::string_view realm_path, std::string_view user_id,
                                 device_type t, std::string_view device_id) const {
  return collection(realm_path, user_id, t) + "/" + encode_segment(device_id);
}

void tenant_paths::set_idm(std::string idm_path, std::string managed_user,
                           std::string managed_group) {
  managed_group_ = std::move(managed_group);
  idm_path_ = context_path(std::move(idm_path));
  managed_user_ = std::move(managed_user);
}

std::string tenant_paths::managed_user(std::string_view realm_path) const {
  if (!managed_user_.empty()) return managed_user_;
  const auto slash = realm_path.rfind('/');
  const auto last = realm_path.substr(slash == std::string_view::npos ? 0 : slash + 1);
  if (last.empty() || realm_path == "/realms/root") return "user";
  return std::string(last) + "_user";
}

std::string tenant_paths::managed_group(std::string_view realm_path) const {
  if (!managed_group_.empty()) return managed_group_;
  auto user = managed_user(realm_path);
  if (user.size() > 5 && user.ends_with("_user")) return user.substr(0, user.size() - 5) + "_group";
  return user == "user" ? "group" : user + "_group";
}

namespace {

// `path?k=v&...` with each value percent-encoded but for unreserved characters: a `+` in a
// filter or a base64 cookie must not come back as a space (query decoders read `+` so).
bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// A paging cookie as the server gave it, made fit for a query: its %XX escapes kept (IDM
// writes its cookies percent-encoded, and takes them back as written: encoded again they
// are refused), anything else a query cannot hold raw percent-encoded.
std::string cookie_param(std::string_view v) {
  std::string out;
  std::size_t plain = 0;  // start of the text not yet written
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%' || i + 2 >= v.size() || !is_hex(v[i + 1]) || !is_hex(v[i + 2])) continue;
    out += boost::urls::encode(v.substr(plain, i - plain), boost::urls::unreserved_chars);
    out += v.substr(i, 3);
    plain = i + 3;
    i += 2;
  }
  out += boost::urls::encode(v.substr(plain), boost::urls::unreserved_chars);
  return out;
}

std::string idm_target(
    std::string_view path,
    std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  std::string target(path);
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    target += sep;
    target += k;
    target += '=';
    target += k == "_pagedResultsCookie" ? cookie_param(v)
                                         : boost::urls::encode(v, boost::urls::unreserved_chars);
    sep = '&';
  }
  return target;
}

}  // namespace

std::string tenant_paths::group_query(std::string_view realm_path, std::string_view filter,
                                      std::string_view fields) const {
  return idm_target(fmt::format("{}/managed/{}", idm_path_, managed_group(realm_path)),
                    {{"_queryFilter", filter}, {"_fields", fields}});
}

std::string tenant_paths::group_members(std::string_view realm_path, std::string_view group_id,
                                        int page_size, std::string_view cookie) const {
  const auto size = page_size > 0 ? std::to_string(page_size) : std::string();
  return idm_target(fmt::format("{}/managed/{}/{}/members", idm_path_, managed_group(realm_path),
                                encode_segment(group_id)),
                    {{"_queryFilter", "true"},
                     {"_fields", "_refResourceId"},
                     {"_pageSize", size},
                     {"_pagedResultsCookie", cookie}});
}

std::string tenant_paths::users_endpoint(std::string_view realm_path) const {
  if (am_users_) return fmt::format("{}/json{}/users", am_path_, realm_path);
  return fmt::format("{}/managed/{}", idm_path_, managed_user(realm_path));
}

std::string tenant_paths::user_query(std::string_view realm_path, std::string_view filter,
                                     std::string_view fields, int page_size,
                                     std::string_view cookie, bool exact_total) const {
  const auto size = page_size > 0 ? std::to_string(page_size) : std::string();
  return idm_target(users_endpoint(realm_path),
                    {{"_queryFilter", filter},
                     {"_fields", fields},
                     {"_pageSize", size},
                     {"_pagedResultsCookie", cookie},
                     {"_totalPagedResultsPolicy", exact_total ? "EXACT" : ""}});
}

}  // namespace devreset::io
