// A tenant under strain (sim/options.hpp): requests dropped, answered 504 late or 503 before
// they are served; answers lost or turned into 503 after a device request succeeded (the
// change made); reset actions that leave a device behind. And how often each happened.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include <boost/json/object.hpp>

#include "sim/http_types.hpp"
#include "sim/options.hpp"

namespace devreset::sim {

class faults {
 public:
  explicit faults(const options& opts) : opts_(opts) {}

  /// Before a request is served: dropped, a late 504 or a 503; nothing: it goes on.
  std::optional<outcome> before(std::mt19937_64& rng);
  /// After a device request succeeded: its answer, or the answer lost (`on_reset`: the
  /// request was a reset action).
  outcome after(outcome o, bool on_reset, std::mt19937_64& rng);
  /// Whether a reset action leaves its first device in place.
  bool leave_behind(std::mt19937_64& rng);
  /// {"failed", "dropped", "slow", "lost_answer", "late_5xx", "lost_on_reset", "left_behind"}
  boost::json::object json() const;

 private:
  const options& opts_;
  std::uint64_t dropped_ = 0;
  std::uint64_t slowed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t lost_ = 0;  // answers lost after the change was made
  std::uint64_t late_ = 0;  // changes made, then answered 503
  std::uint64_t lost_on_reset_ = 0;
  std::uint64_t left_behind_ = 0;  // reset actions that left a device in place
};

}  // namespace devreset::sim
