// Device type names and type lists.
#include "io/device_type.hpp"

#include <fmt/format.h>

#include "io/text.hpp"

namespace devreset::io {

std::string_view to_string(device_type t) noexcept {
  return index(t) < device_type_count ? info(t).name : "unknown";
}

reset_strategy strategy_of(device_type t, bool action_refused) noexcept {
  const auto s = info(t).strategy;
  if (s == reset_strategy::action_else_list_and_delete && action_refused)
    return reset_strategy::list_and_delete;
  return s;
}

std::string device_type_names() {
  std::string out;
  for (const auto& row : device_types)
    out += (out.empty() ? "" : ", ") + std::string(row.name);
  return out;
}

std::optional<device_type> parse_device_type(std::string_view name) noexcept {
  name = trim_blanks(name);
  for (auto t : all_device_types) {
    if (iequals(name, to_string(t))) return t;
  }
  return std::nullopt;
}

std::string type_set::to_string(char sep) const {
  std::string out;
  for (auto t : all_device_types) {
    if (!contains(t)) continue;
    if (!out.empty()) out += sep;
    out += io::to_string(t);
  }
  return out;
}

std::optional<type_set> parse_type_list(std::string_view list, type_list_error& error,
                                        bool allow_comma) {
  type_set set;
  auto is_sep = [&](char c) { return c == ';' || c == '|' || (allow_comma && c == ','); };
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = start;
    while (end < list.size() && !is_sep(list[end]))
      ++end;
    auto item = trim_blanks(list.substr(start, end - start));
    if (!item.empty()) {
      auto t = parse_device_type(item);
      if (!t) {
        error.reason = fmt::format("unknown device type '{}' (known: {})", printable(item, 40),
                                   device_type_names());
        return std::nullopt;
      }
      set.add(*t);
    }
    start = end + 1;
  }
  return set;
}

}  // namespace devreset::io
