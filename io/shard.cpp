// Shards: the written-down hash and "K/N".
#include "io/shard.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <charconv>

namespace devreset::io {

std::string shard::to_string() const {
  return fmt::format("{}/{}", index, count);
}

std::optional<shard> parse_shard(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  shard s;
  auto number = [](std::string_view t, std::uint32_t& out) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && p == t.data() + t.size() && !t.empty();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count)) {
    error = "is K/N: this process's shard K (from 0) of N, e.g. 0/4";
    return std::nullopt;
  }
  if (s.count >= 1 && s.count <= 100000 && s.index == s.count) {  // counted from 1
    std::string all;
    for (std::uint32_t k = 0; k < std::min<std::uint32_t>(s.count, 4); ++k)
      all += fmt::format("{}{}/{}", k == 0 ? "" : ", ", k, s.count);
    if (s.count > 4) all += fmt::format(" … {}/{}", s.count - 1, s.count);
    error = fmt::format("{}/{}: K counts from 0: the shards of {} are {}", s.index, s.count,
                        s.count, all);
    return std::nullopt;
  }
  if (s.count < 1 || s.count > 100000 || s.index >= s.count) {
    error = fmt::format("{}/{}: K is from 0 to N-1, N from 1 to 100000", s.index, s.count);
    return std::nullopt;
  }
  return s;
}

std::uint64_t shard_hash(std::string_view realm, id_kind kind, std::string_view identifier) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64: offset basis, then prime
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : realm)
    add(static_cast<unsigned char>(c));
  add('\n');
  const bool fold = kind != id_kind::user_id;  // IDM compares names without regard to case
  for (char c : identifier) {
    auto u = static_cast<unsigned char>(c);
    add(fold && u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u - 'A' + 'a') : u);
  }
  return h;
}

bool in_shard(const shard& s, const input_row& row) {
  if (s.all()) return true;
  if (const auto* bad = std::get_if<invalid_row>(&row))
    return bad->fatal || in_shard(s, {}, bad->kind, bad->user_id);
  const auto& j = std::get<job>(row);
  return in_shard(s, j.realm, j.kind, j.kind == id_kind::user_id ? j.user_id : j.name);
}

}  // namespace devreset::io
