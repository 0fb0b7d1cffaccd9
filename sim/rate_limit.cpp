// The tenant's rate limit (sim/rate_limit.hpp).
#include "sim/rate_limit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/crest.hpp"

namespace devreset::sim {

namespace json = boost::json;

void token_bucket::take_time(clock::time_point now) {
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  auto elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

std::chrono::nanoseconds token_bucket::take(clock::time_point now) {
  take_time(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>((1.0 - tokens_) / rate_ * 1e9));
}

void token_bucket::set_rate(clock::time_point now, double rate, double burst) {
  take_time(now);
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

namespace {

// The limit's state as the IETF draft (07: RateLimit-Policy and RateLimit) and the older
// X-RateLimit-* headers say it: a policy of `rate` a second, the whole tokens left, and the
// seconds until the bucket is full again.
void state_limit(const token_bucket& b, header_list& headers) {
  const auto limit = fmt::format("{:g}", b.rate());
  const auto remaining = fmt::format("{:.0f}", std::floor(b.tokens()));
  const auto reset =
      fmt::format("{:.0f}", std::ceil(std::chrono::duration<double>(b.until_full()).count()));
  headers.emplace_back("RateLimit-Policy", fmt::format("{};w=1", limit));
  headers.emplace_back("RateLimit",
                       fmt::format("limit={}, remaining={}, reset={}", limit, remaining, reset));
  headers.emplace_back("X-RateLimit-Limit", limit);
  headers.emplace_back("X-RateLimit-Remaining", remaining);
  headers.emplace_back("X-RateLimit-Reset", reset);
}

double burst_of(double rate) {
  return std::max(1.0, rate / 10);
}

}  // namespace

rate_limit::rate_limit(const options& opts) : opts_(opts), limit_now_(opts.rate_limit) {}

void rate_limit::note_early(const std::string& user_key, clock::time_point now) {
  if (user_key.empty() || retry_not_before_.empty()) return;
  if (auto it = retry_not_before_.find(user_key); it != retry_not_before_.end()) {
    if (now < it->second) {
      ++early_;
    } else {
      retry_not_before_.erase(it);
    }
  }
}

// The schedule: each step applies to every bucket from its time on.
void rate_limit::follow_schedule(clock::time_point now) {
  if (!first_request_) first_request_ = now;
  while (next_change_ < opts_.rate_changes.size() &&
         now - *first_request_ >= opts_.rate_changes[next_change_].at) {
    limit_now_ = opts_.rate_changes[next_change_++].rate;
    if (bucket_) bucket_->set_rate(now, limit_now_, burst_of(limit_now_));
    for (auto& [_, b] : client_buckets_)
      b.set_rate(now, limit_now_, burst_of(limit_now_));
  }
}

token_bucket& rate_limit::bucket_of(std::string_view client) {
  if (!opts_.rate_limit_per_client) {
    if (!bucket_) bucket_.emplace(limit_now_, burst_of(limit_now_));
    return *bucket_;
  }
  auto it = client_buckets_.find(std::string(client));
  if (it == client_buckets_.end()) {
    it =
        client_buckets_.emplace(std::string(client), token_bucket(limit_now_, burst_of(limit_now_)))
            .first;
  }
  return it->second;
}

void rate_limit::count_second(clock::time_point now, bool refused) {
  const auto second = static_cast<std::size_t>((now - *first_request_) / std::chrono::seconds(1));
  if (second >= 86400) return;
  if (per_second_.size() <= second) per_second_.resize(second + 1);
  ++per_second_[second][refused ? 1 : 0];
}

std::optional<outcome> rate_limit::admit(const std::string& user_key, std::string_view client,
                                         clock::time_point now, header_list& headers) {
  note_early(user_key, now);
  follow_schedule(now);
  if (limit_now_ <= 0) return std::nullopt;
  auto& bucket = bucket_of(client);
  const auto wait = bucket.take(now);
  count_second(now, wait.count() > 0);
  if (opts_.rate_limit_headers) state_limit(bucket, headers);
  if (wait.count() <= 0) return std::nullopt;
  ++refused_;
  outcome o = crest_error(429, "Too Many Requests");
  const int secs =
      std::max(1, static_cast<int>(std::ceil(std::chrono::duration<double>(wait).count())));
  o.retry_after = std::to_string(secs);
  if (!user_key.empty()) retry_not_before_[user_key] = now + std::chrono::seconds(secs);
  return o;
}

json::object rate_limit::json() const {
  json::array seconds;
  seconds.reserve(per_second_.size());
  for (const auto& [accepted, refused] : per_second_)
    seconds.push_back(json::array{accepted, refused});
  return {{"now", limit_now_},
          {"per_client", opts_.rate_limit_per_client},
          {"clients", client_buckets_.size()},
          {"per_second", std::move(seconds)}};
}

}  // namespace devreset::sim
