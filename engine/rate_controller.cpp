// The tenant's allowed rate: measured on 429s, then probed upward on a cubic curve.
#include "engine/rate_controller.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace devreset::engine {

rate_controller::rate_controller(double ceiling) : ceiling_(std::max(0.0, ceiling)) {}

double rate_controller::rate(clock::time_point now) const {
  double r = 0;
  if (epoch_ > 0) {
    // A cubic through settle_share × allowed at the decrease, flat at `allowed` after
    // plateau_time, steeper and steeper past it.
    const double t = std::chrono::duration<double>(now - decreased_at_).count() - plateau_;
    r = std::max(min_rate, allowed_ + probe_gain * std::sqrt(allowed_) * t * t * t);
  }
  if (policy_ > 0) {
    const double stated = std::max(min_rate, policy_share * policy_);
    r = r > 0 ? std::min(r, stated) : stated;
  }
  if (ceiling_ > 0) r = r > 0 ? std::min(r, ceiling_) : ceiling_;
  return r;
}

void rate_controller::advance(std::int64_t to) {
  if (to <= newest_) return;
  const auto cleared = std::min<std::int64_t>(to - newest_, bins);
  for (std::int64_t b = 1; b <= cleared; ++b)
    accepted_[static_cast<std::size_t>((newest_ + b) % bins)] = 0;
  newest_ = to;
}

void rate_controller::on_accepted(clock::time_point now) {
  on_sent(now);
  const auto b = std::max<std::int64_t>(0, bin_of(now));
  advance(b);
  if (b > newest_ - static_cast<std::int64_t>(bins))
    ++accepted_[static_cast<std::size_t>(b % bins)];
}

rate_controller::tally rate_controller::accepted_from(clock::time_point now,
                                                      std::int64_t first_bin) const {
  if (!started_) return {};
  const auto now_bin = std::max<std::int64_t>(0, bin_of(now));
  first_bin = std::max({std::int64_t{0}, now_bin - static_cast<std::int64_t>(bins) + 1, first_bin});
  tally t;
  for (auto b = std::max(first_bin, newest_ - static_cast<std::int64_t>(bins) + 1);
       b <= std::min(now_bin, newest_); ++b)
    t.accepted += accepted_[static_cast<std::size_t>(b % bins)];
  t.seconds = std::chrono::duration<double>(now - (origin_ + first_bin * bin)).count();
  return t;
}

double rate_controller::measure(clock::time_point now) const {
  // While 429s keep coming (decreases less than a second apart), the tenant refuses all it
  // does not accept: what it accepted since they began is its rate, exactly, once there are
  // enough answers to count (a start's burst, accepted at once, no longer counts).
  if (epoch_ > 0) {
    const auto t = accepted_from(now, bin_of(overload_since_) + 1);
    if (t.seconds >= 0.1 && t.accepted >= 10) return static_cast<double>(t.accepted) / t.seconds;
  }
  // Else over the last second, or since the last decrease when that is shorter (not under
  // 250 ms: answers still on their way make a shorter window noisy).
  auto span = std::chrono::duration_cast<clock::duration>(std::chrono::seconds(1));
  if (epoch_ > 0) {
    span = std::clamp<clock::duration>(now - decreased_at_, std::chrono::milliseconds(250), span);
  }
  const auto t = accepted_from(now, bin_of(now - span));
  return static_cast<double>(t.accepted) / std::max(t.seconds, 0.001);
}

bool rate_controller::on_refused(clock::time_point now, std::uint64_t epoch) {
  if (epoch != epoch_) return false;  // sent before the last decrease: already counted
  on_sent(now);
  if (epoch_ == 0 || now - decreased_at_ > std::chrono::seconds(1)) overload_since_ = now;
  const double current = rate(now);
  const double accepted = measure(now);
  double measured = current > 0 ? std::min(accepted, current) : accepted;
  // Nothing accepted yet (another client takes it all, or the first answers were all 429s):
  // no measure; halve what is in force, or start low and probe.
  if (measured <= 0) measured = current > 0 ? current / 2 : first_guess;
  allowed_ = std::max(min_rate, measured);
  // The curve starts at settle_share × allowed: (1 − settle_share) × allowed = gain × √allowed ×
  // K³.
  plateau_ = std::cbrt((1 - settle_share) * std::sqrt(allowed_) / probe_gain);
  decreased_at_ = now;
  ++epoch_;
  return true;
}

void rate_controller::on_policy(double per_second) {
  if (!(per_second > 0)) return;
  if (per_second < min_rate) {
    floored_ = floored_ > 0 ? std::min(floored_, per_second) : per_second;
    per_second = min_rate;
  }
  policy_ = per_second;
  if (epoch_ == 0) allowed_ = per_second;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::optional<double> number(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

/// One policy item: `100;w=60` or `"name";q=100;w=60`; requests per second.
std::optional<double> policy_item(std::string_view item) {
  std::optional<double> quota, window;
  bool first = true;
  while (!item.empty()) {
    const auto semi = item.find(';');
    const auto part = trim(item.substr(0, semi));
    item = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    if (first) {
      first = false;
      if (!part.empty() && part.front() != '"') quota = number(part);
      continue;
    }
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = trim(part.substr(0, eq));
    if (key == "q") quota = number(part.substr(eq + 1));
    if (key == "w") window = number(part.substr(eq + 1));
  }
  if (!quota || !window || *window <= 0) return std::nullopt;
  return *quota / *window;
}

}  // namespace

std::optional<double> parse_rate_policy(std::string_view header) {
  std::optional<double> best;
  // Commas inside a quoted policy name would split it: names are tokens in practice, and a
  // split name only loses that item.
  while (!header.empty()) {
    const auto comma = header.find(',');
    if (auto r = policy_item(header.substr(0, comma)); r && (!best || *r < *best)) best = r;
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
  }
  return best;
}

}  // namespace devreset::engine
