// Open-addressing (linear probing) table of 64-bit user keys and type bits.
#include "io/user_type_map.hpp"

#include <boost/container_hash/hash.hpp>

namespace devreset::io {

std::uint64_t user_type_map::key(std::string_view realm_path, std::string_view user_id) noexcept {
  std::size_t h = boost::hash<std::string_view>{}(user_id);
  boost::hash_combine(h, boost::hash<std::string_view>{}(realm_path));
  auto k = static_cast<std::uint64_t>(h);
  return k == 0 ? 1 : k;
}

std::uint64_t user_type_map::key(std::string_view realm_path, id_kind kind,
                                 std::string_view user_id, std::string_view name) noexcept {
  if (kind == id_kind::user_id) return key(realm_path, user_id);
  // Names mixed with their kind and a marker no id can hold (ids have no control characters).
  std::size_t h = boost::hash<std::string_view>{}(name);
  boost::hash_combine(h, static_cast<int>(kind));
  boost::hash_combine(h, std::string_view("\x01name"));
  boost::hash_combine(h, boost::hash<std::string_view>{}(realm_path));
  auto k = static_cast<std::uint64_t>(h);
  return k == 0 ? 1 : k;
}

std::size_t user_type_map::slot_of(std::uint64_t key) const {
  // keys_.size() is a power of two; the hash is avalanching, so its low bits will do.
  const std::size_t mask = keys_.size() - 1;
  std::size_t i = static_cast<std::size_t>(key) & mask;
  while (keys_[i] != 0 && keys_[i] != key)
    i = (i + 1) & mask;
  return i;
}

void user_type_map::reserve(std::size_t n) {
  std::size_t slots = 16;
  while (slots * 3 < (n + 1) * 4)
    slots *= 2;  // load at most 3/4 with n users
  if (slots > keys_.size()) rehash(slots);
}

void user_type_map::rehash(std::size_t slots) {
  std::vector<std::uint64_t> old_keys(slots, 0);
  std::vector<std::uint8_t> old_types(old_keys.size(), 0);
  old_keys.swap(keys_);
  old_types.swap(types_);
  for (std::size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == 0) continue;
    auto s = slot_of(old_keys[i]);
    keys_[s] = old_keys[i];
    types_[s] = old_types[i];
  }
}

type_set user_type_map::add_key(std::uint64_t key, type_set types) {
  // Keep the load at or under 3/4: linear probes stay short, memory stays small.
  if ((size_ + 1) * 4 > keys_.size() * 3) grow();
  auto s = slot_of(key);
  if (keys_[s] == 0) {
    keys_[s] = key;
    ++size_;
  }
  auto before = type_set::from_bits(types_[s]);
  types_[s] = (before | types).bits();
  return types.minus(before);
}

type_set user_type_map::get_key(std::uint64_t key) const {
  if (keys_.empty()) return {};
  auto s = slot_of(key);
  return keys_[s] == 0 ? type_set{} : type_set::from_bits(types_[s]);
}

}  // namespace devreset::io
