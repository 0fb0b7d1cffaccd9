// The hostile modes (sim/options.hpp `hostile`): which one answers a request or stalls a new
// connection, what each answers, and how often each did.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>

#include <boost/json/object.hpp>

#include "sim/http_types.hpp"
#include "sim/options.hpp"

namespace devreset::sim {

class hostile_modes {
 public:
  explicit hostile_modes(const std::array<double, hostile_count>& rates);

  /// Whether to stall a new connection's TLS handshake (tls-stall).
  bool stall_handshake(std::mt19937_64& rng);
  /// A per-request mode's answer, or nothing (the request goes on).
  std::optional<outcome> answer(std::mt19937_64& rng);
  /// {"<mode>": times it answered} for the modes that did.
  boost::json::object json() const;

 private:
  std::array<double, hostile_count> rates_;
  double per_request_ = 0;  // the shares of the per-request modes, summed once
  std::array<std::uint64_t, hostile_count> seen_{};
};

}  // namespace devreset::sim
