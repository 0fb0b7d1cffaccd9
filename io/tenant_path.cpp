// Request targets of the device API; percent-encoding by Boost.URL.
#include "io/tenant_path.hpp"

#include "io/text.hpp"

#include <fmt/format.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace devreset::io {

std::string encode_segment(std::string_view s) {
  if (s == ".") return "%2E";
  if (s == "..") return "%2E%2E";
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string_view collection_suffix(device_type t) noexcept {
  switch (t) {
    case device_type::oath:
      return "2fa/oath";
    case device_type::push:
      return "2fa/push";
    case device_type::webauthn:
      return "2fa/webauthn";
    case device_type::binding:
      return "2fa/binding";
    case device_type::profile:
      return "profile";
    case device_type::trusted:
      return "trusted";
  }
  return "unknown";
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

tenant_paths::tenant_paths(std::string am_path) : am_path_(std::move(am_path)) {
  // "/am", "am", "/am/" all mean "/am"; "" and "/" mean no context path.
  while (!am_path_.empty() && am_path_.back() == '/')
    am_path_.pop_back();
  if (!am_path_.empty() && am_path_.front() != '/') am_path_.insert(0, 1, '/');
}

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

}  // namespace devreset::io
