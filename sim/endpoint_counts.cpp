// The sim's answers counted by endpoint and status (sim/endpoint_counts.hpp).
#include "sim/endpoint_counts.hpp"

#include <fmt/format.h>

namespace devreset::sim {

std::string endpoint::name() const {
  static constexpr std::string_view names[] = {"reset", "query", "delete",  "other",   "stats",
                                               "token", "idm",   "session", "am_users"};
  const auto n = names[static_cast<std::size_t>(what)];
  return is_device() ? fmt::format("{}:{}", n, io::to_string(type)) : std::string(n);
}

std::size_t endpoint_counts::slot(endpoint e) {
  const auto k = static_cast<std::size_t>(e.what);
  if (e.is_device()) return k * io::device_type_count + io::index(e.type);
  return device_kinds * io::device_type_count + (k - device_kinds);
}

boost::json::object endpoint_counts::json() const {
  boost::json::object out;
  auto add = [&](endpoint e) {
    const auto& by_status = counts_[slot(e)];
    if (by_status.empty()) return;
    boost::json::object statuses;
    for (const auto& [status, n] : by_status)
      statuses[status == 0 ? std::string("dropped") : std::to_string(status)] = n;
    out[e.name()] = std::move(statuses);
  };
  for (auto k : {endpoint::kind::reset, endpoint::kind::query, endpoint::kind::delete_}) {
    for (auto t : io::all_device_types)
      add({k, t});
  }
  for (auto k : {endpoint::kind::other, endpoint::kind::stats, endpoint::kind::token,
                 endpoint::kind::idm, endpoint::kind::session, endpoint::kind::am_users})
    add({k});
  return out;
}

}  // namespace devreset::sim
