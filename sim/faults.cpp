// A tenant under strain (sim/faults.hpp).
#include "sim/faults.hpp"

#include "sim/crest.hpp"
#include "sim/random.hpp"

namespace devreset::sim {

namespace {

outcome dropped() {
  outcome o;
  o.what = outcome::kind::drop;
  return o;
}

}  // namespace

std::optional<outcome> faults::before(std::mt19937_64& rng) {
  if (opts_.drop_rate <= 0 && opts_.slow_rate <= 0 && opts_.fail_rate <= 0) return std::nullopt;
  double u = draw(rng);
  if (u < opts_.drop_rate) {
    ++dropped_;
    return dropped();
  }
  u -= opts_.drop_rate;
  if (u < opts_.slow_rate) {
    ++slowed_;
    outcome o = crest_error(504, "Gateway Timeout: the upstream did not answer in time");
    o.delay = opts_.slow_delay;
    return o;
  }
  u -= opts_.slow_rate;
  if (u < opts_.fail_rate) {
    ++failed_;
    return crest_error(503, "Service Unavailable");
  }
  return std::nullopt;
}

outcome faults::after(outcome o, bool on_reset, std::mt19937_64& rng) {
  if (opts_.lost_answer_rate <= 0 && opts_.late_5xx_rate <= 0) return o;
  if (o.status != 200) return o;
  double u = draw(rng);
  if (u < opts_.lost_answer_rate) {
    ++lost_;
    lost_on_reset_ += on_reset;
    return dropped();
  }
  if (u - opts_.lost_answer_rate < opts_.late_5xx_rate) {
    ++late_;
    lost_on_reset_ += on_reset;
    return crest_error(503, "Service Unavailable");
  }
  return o;
}

bool faults::leave_behind(std::mt19937_64& rng) {
  const bool keep_one = opts_.leave_behind_rate > 0 && draw(rng) < opts_.leave_behind_rate;
  left_behind_ += keep_one;
  return keep_one;
}

boost::json::object faults::json() const {
  return {{"failed", failed_},          {"dropped", dropped_}, {"slow", slowed_},
          {"lost_answer", lost_},       {"late_5xx", late_},   {"lost_on_reset", lost_on_reset_},
          {"left_behind", left_behind_}};
}

}  // namespace devreset::sim
