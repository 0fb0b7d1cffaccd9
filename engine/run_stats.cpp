// Latency histogram and run counters.
#include "engine/run_stats.hpp"

#include <bit>
#include <cmath>

namespace devreset::engine {

void latency_histogram::record(std::chrono::nanoseconds d) {
  auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(1, d.count() / 1000));
  int octave = std::bit_width(us) - 1;  // 2^octave <= us < 2^(octave+1)
  int frac = octave >= sub_bits ? static_cast<int>((us >> (octave - sub_bits)) & (sub - 1))
                                : static_cast<int>((us << (sub_bits - octave)) & (sub - 1));
  max_ = std::max(max_, d);
  sum_ += d;
  int index = std::min(octave, octaves - 1) * sub + frac;
  ++buckets_[static_cast<std::size_t>(index)];
  ++count_;
}

std::chrono::nanoseconds latency_histogram::percentile(double q) const {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(1, std::min(rank, count_));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      int octave = static_cast<int>(i) / sub;
      int frac = static_cast<int>(i) % sub;
      // The middle of the bucket, in microseconds (never above the largest seen).
      double middle = std::ldexp(1.0 + (frac + 0.5) / sub, octave);
      auto at = std::chrono::nanoseconds(static_cast<std::int64_t>(middle * 1000));
      return std::min(at, max_);
    }
  }
  return std::chrono::nanoseconds(0);
}

std::uint64_t run_stats::users_done() const {
  std::uint64_t n = 0;
  for (auto u : users)
    n += u;
  return n;
}

double run_stats::requests_per_user() const {
  const auto reached = users_done() - user_count(io::user_status::invalid);
  return reached > 0 ? static_cast<double>(requests) / static_cast<double>(reached) : 0;
}

}  // namespace devreset::engine
