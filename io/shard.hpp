// Shards: N processes given the same input each take the users whose identifier hashes to
// their shard, so that together they do every user exactly once. The hash is fixed and
// written down (docs/architecture.md): FNV-1a, 64 bits, over the realm path, a newline, and
// the identifier the input gives (a user name or mail in ASCII lower case, as IDM compares
// them; an _id as it is); the shard is that hash modulo N.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/job.hpp"

namespace devreset::io {

struct shard {
  std::uint32_t index = 0;  ///< 0-based, as Kubernetes' JOB_COMPLETION_INDEX
  std::uint32_t count = 1;  ///< 1: no sharding
  bool all() const { return count <= 1; }
  /// "2/4"
  std::string to_string() const;
};

/// Parses "K/N" (0 <= K < N, 1 <= N <= 100000); nullopt, with `error` set, otherwise.
std::optional<shard> parse_shard(std::string_view text, std::string& error);

/// FNV-1a 64 of realm + '\n' + identifier (names lower-cased).
std::uint64_t shard_hash(std::string_view realm, id_kind kind, std::string_view identifier);

/// Whether the user a row names belongs to `s`.
inline bool in_shard(const shard& s, std::string_view realm, id_kind kind,
                     std::string_view identifier) {
  return s.all() || shard_hash(realm, kind, identifier) % s.count == s.index;
}

/// Whether an input row belongs to `s`: a job by its realm and identifier, an invalid row by
/// the identifier as read (a fatal one, which ends the input, to every shard).
bool in_shard(const shard& s, const input_row& row);

}  // namespace devreset::io
