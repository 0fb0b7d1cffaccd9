// A compact map from (realm, user id) to a set of device types: the resume index and the
// de-duplication seen-set. Each user costs one 64-bit key and one byte of types in an
// open-addressing table (12 to 24 bytes per user), never the id itself. The key is a keyed
// hash (SipHash-2-4, its key drawn at random for each process): no input row can be made to
// have another user's key, so no row can hide another user (issue 30).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "io/device_type.hpp"
#include "io/job.hpp"

namespace devreset::io {

class user_type_map {
 public:
  /// The 64-bit key of a user: the process's SipHash of realm path and id (never 0). Keys
  /// are not kept across processes: a ledger is re-read and its users keyed anew.
  static std::uint64_t key(std::string_view realm_path, std::string_view user_id) noexcept;
  /// The key of a user as a row names them: by id, or by user name or mail (`name`), which
  /// never meets an id's key.
  static std::uint64_t key(std::string_view realm_path, id_kind kind, std::string_view user_id,
                           std::string_view name) noexcept;

  /// Adds `types` for the user; returns the types that were not there before.
  type_set add(std::string_view realm_path, std::string_view user_id, type_set types) {
    return add_key(key(realm_path, user_id), types);
  }
  type_set add_key(std::uint64_t key, type_set types);

  /// The types recorded for the user (empty when unknown).
  type_set get(std::string_view realm_path, std::string_view user_id) const {
    return get_key(key(realm_path, user_id));
  }
  type_set get_key(std::uint64_t key) const;

  /// Makes room for `n` users at once, so the table never grows (and never holds its old
  /// and new arrays together) while they come in.
  void reserve(std::size_t n);

  std::size_t size() const { return size_; }
  /// Bytes held by the table (for benchmarks and tests of its compactness).
  std::size_t memory_bytes() const { return keys_.capacity() * 9; }

 private:
  void grow() { rehash(keys_.empty() ? 16 : keys_.size() * 2); }
  void rehash(std::size_t slots);
  std::size_t slot_of(std::uint64_t key) const;

  std::vector<std::uint64_t> keys_;  // 0 = empty slot
  std::vector<std::uint8_t> types_;
  std::size_t size_ = 0;
};

}  // namespace devreset::io
