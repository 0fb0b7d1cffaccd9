// Realm path normalisation (docs/tenant-api.md, "Base URL and realm path").
#include "io/realm_path.hpp"

#include <fmt/format.h>

#include <vector>

#include "io/text.hpp"

namespace devreset::io {

namespace {

bool valid_realm_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

std::vector<std::string_view> split_slashes(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::variant<std::string, realm_error> realm_path(std::string_view input) {
  auto fail = [&](std::string_view why) {
    return realm_error{fmt::format("invalid realm '{}': {}", printable(input, 80), why)};
  };
  auto realm = trim_blanks(input);
  if (realm.empty()) return fail("empty");
  if (realm.size() > max_realm_path) {
    return fail(fmt::format("longer than {} characters", max_realm_path));
  }

  // Drop the leading and trailing slashes; "/" alone is the top-level realm.
  while (!realm.empty() && realm.front() == '/')
    realm.remove_prefix(1);
  while (!realm.empty() && realm.back() == '/')
    realm.remove_suffix(1);
  if (realm.empty()) return std::string("/realms/root");

  auto parts = split_slashes(realm);
  std::vector<std::string_view> names;
  if (parts.size() >= 2 && parts[0] == "realms") {
    // The full form: realms/root/realms/<a>/realms/<b>...
    if (parts.size() % 2 != 0) return fail("a 'realms' segment without a realm name");
    for (std::size_t i = 0; i < parts.size(); i += 2) {
      if (parts[i] != "realms") {
        return fail(fmt::format("expected 'realms' before '{}'", printable(parts[i + 1], 40)));
      }
      names.push_back(parts[i + 1]);
    }
    if (names.front() != "root") return fail("a full realm path starts with /realms/root");
    names.erase(names.begin());
  } else {
    names = std::move(parts);
    if (names.front() == "root") names.erase(names.begin());
  }

  std::string path = "/realms/root";
  for (auto name : names) {
    if (name.empty()) return fail("an empty level ('//')");
    if (name == "." || name == "..") return fail("'.' and '..' are not realm names");
    for (char c : name) {
      if (!valid_realm_char(c)) {
        return fail(fmt::format("'{}' is not allowed in a realm name", printable({&c, 1})));
      }
    }
    path += "/realms/";
    path += name;
  }
  // Checked on the path, not only the input: "a/b/c" grows by 7 characters a level, and a
  // path must read back as itself.
  if (path.size() > max_realm_path) {
    return fail(fmt::format("its realm path would be longer than {} characters", max_realm_path));
  }
  return path;
}

}  // namespace devreset::io
