// What rate the tenant allows, estimated from what it accepts. No I/O: callers pass the time.
//
// Until the tenant pushes back, nothing is paced but the operator's `--rate` ceiling. A 429
// to a request sent at the rate now in force (not one already on its way before the last
// decrease) sets the rate just under what the tenant accepted over the last second (or since
// the last decrease): the tenant's allowed rate, measured, not guessed. Then the rate climbs
// back to that measure on a cubic curve (as TCP CUBIC's window does), stays near it for a
// second or so, and probes further faster and faster, until the next 429 measures the limit
// again. A `RateLimit-Policy` header
// states the limit: the rate never probes above it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace devreset::engine {

class rate_controller {
 public:
  using clock = std::chrono::steady_clock;

  /// `ceiling`: the operator's requests per second, never exceeded (0: none).
  explicit rate_controller(double ceiling = 0);

  /// Requests per second to pace at, at `now`; 0 when nothing limits.
  double rate(clock::time_point now) const;
  /// A request is sent (the first one starts the window the accepted rate is measured over).
  void on_sent(clock::time_point now) {
    if (started_) return;
    started_ = true;
    origin_ = now;
  }
  /// An answer that was not a 429 (the tenant accepted the request).
  void on_accepted(clock::time_point now);
  /// A 429 to a request whose slot was taken in `epoch`; true when it lowered the rate (and
  /// started a new epoch: slots taken before are to be taken again).
  bool on_refused(clock::time_point now, std::uint64_t epoch);
  /// The tenant's stated limit (from `RateLimit-Policy`), requests per second. A limit
  /// under min_rate cannot be a real tenant's (`1;w=1000000000` would stall a run for
  /// years): it is taken as min_rate, and policy_floored() says what was stated.
  void on_policy(double per_second);
  /// The lowest limit stated under min_rate (0: none was).
  double policy_floored() const { return floored_; }

  std::uint64_t epoch() const { return epoch_; }
  double ceiling() const { return ceiling_; }
  /// The tenant's allowed rate as last measured or stated; 0 while it is not known.
  double allowed() const { return allowed_; }
  /// True once the tenant has pushed back or stated a limit under the ceiling.
  bool limited() const {
    return epoch_ > 0 || (policy_ > 0 && (ceiling_ == 0 || policy_ < ceiling_));
  }

  static constexpr double min_rate = 1.0;
  /// The rate set on a 429, as a share of the accepted rate measured.
  static constexpr double settle_share = 0.97;
  /// The share of a stated limit paced at (room for the tenant's own clock).
  static constexpr double policy_share = 0.98;
  /// After a decrease, at t seconds: allowed + probe_gain × √allowed × (t − K)³, a cubic (as
  /// TCP CUBIC's window): settle_share × allowed at once, about `allowed` for a second or
  /// so, then faster and faster (90% of a doubled limit within 5 s from 100/s). It grows
  /// with √allowed, less than in proportion: of two clients sharing a tenant, the smaller
  /// one regains relatively more after each 429, so their shares converge.
  static constexpr double probe_gain = 0.3;
  /// The rate to start from when a 429 comes before anything was accepted, and none is set.
  static constexpr double first_guess = 10.0;

 private:
  static constexpr std::chrono::milliseconds bin{50};
  static constexpr std::size_t bins = 40;  // two seconds of accepted answers
  struct tally {
    std::uint64_t accepted = 0;
    double seconds = 0;
  };
  /// Accepted answers from the start of `first_bin` (or as far back as is kept) to now.
  tally accepted_from(clock::time_point now, std::int64_t first_bin) const;
  /// The tenant's accepted rate, as well as can be told now (see the .cpp).
  double measure(clock::time_point now) const;
  std::int64_t bin_of(clock::time_point t) const { return (t - origin_) / bin; }
  void advance(std::int64_t to);

  double ceiling_;
  double policy_ = 0;   // stated limit, requests per second (0: none stated)
  double floored_ = 0;  // a stated limit under min_rate, as stated
  double allowed_ = 0;
  std::uint64_t epoch_ = 0;
  clock::time_point decreased_at_{};
  double plateau_ = 0;                  // seconds from a decrease to the curve's flat point
  clock::time_point overload_since_{};  // the first of the decreases less than 1 s apart
  bool started_ = false;
  clock::time_point origin_{};
  std::int64_t newest_ = 0;  // bin of the newest accepted answer
  std::array<std::uint32_t, bins> accepted_{};
};

/// The most restrictive policy of a `RateLimit-Policy` header, in requests per second:
/// `100;w=60` (IETF drafts up to 07) or `"default";q=100;w=60` (08 on), several separated by
/// commas. Items without a window are skipped; nothing readable gives nullopt.
std::optional<double> parse_rate_policy(std::string_view header);

}  // namespace devreset::engine
