// The sim's one source of chance: a seeded generator (same seed, same faults), drawn in [0, 1).
#pragma once

#include <random>

namespace devreset::sim {

/// A uniform draw in [0, 1) with 53 random bits.
inline double draw(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace devreset::sim
