// The tenant's rate limit: a token bucket (one, or one per client address), a schedule of
// later limits, the limit's state in headers when the sim states it, the Retry-After it gives
// and the requests that came before it, and what it accepted and refused each second.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "sim/http_types.hpp"
#include "sim/options.hpp"

namespace devreset::sim {

/// A token bucket: `rate` tokens per second, at most `burst`.
class token_bucket {
 public:
  token_bucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  /// Takes a token if there is one; otherwise returns the time until there is.
  std::chrono::nanoseconds take(clock::time_point now);
  /// A new rate from `now` on (the tokens saved so far stay, up to the new burst).
  void set_rate(clock::time_point now, double rate, double burst);
  double rate() const { return rate_; }
  /// Whole tokens left, and the time until the bucket is full again (as of the last take).
  double tokens() const { return tokens_; }
  std::chrono::nanoseconds until_full() const {
    return std::chrono::nanoseconds(static_cast<std::int64_t>((burst_ - tokens_) / rate_ * 1e9));
  }

 private:
  void take_time(clock::time_point now);  // the tokens earned since the last call
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_{};
  bool started_ = false;
};

using header_list = std::vector<std::pair<std::string_view, std::string>>;

class rate_limit {
 public:
  explicit rate_limit(const options& opts);

  /// Whether admit() needs the user's key (a limit, or Retry-Afters given): when not, no
  /// string is made per request.
  bool wants_user_key() const { return limit_now_ > 0 || !retry_not_before_.empty(); }
  /// A request: counted when it came before the Retry-After its user was given; then the
  /// limit: nothing when it may go on, else its 429. `headers` gets the limit's state.
  std::optional<outcome> admit(const std::string& user_key, std::string_view client,
                               clock::time_point now, header_list& headers);

  std::uint64_t refused() const { return refused_; }
  std::uint64_t early() const { return early_; }
  /// {"now", "per_client", "clients", "per_second": [[accepted, refused], ...]}
  boost::json::object json() const;

 private:
  void note_early(const std::string& user_key, clock::time_point now);
  void follow_schedule(clock::time_point now);
  token_bucket& bucket_of(std::string_view client);
  void count_second(clock::time_point now, bool refused);

  const options& opts_;
  double limit_now_ = 0;
  std::size_t next_change_ = 0;
  std::optional<clock::time_point> first_request_;
  std::optional<token_bucket> bucket_;
  std::unordered_map<std::string, token_bucket> client_buckets_;
  std::vector<std::array<std::uint64_t, 2>> per_second_;  // accepted, refused
  std::uint64_t refused_ = 0;
  std::uint64_t early_ = 0;  // requests for a user before the Retry-After it was given
  std::unordered_map<std::string, clock::time_point> retry_not_before_;
};

}  // namespace devreset::sim
