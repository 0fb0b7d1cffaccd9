// Open-addressing (linear probing) table of 64-bit user keys and type bits. A user's key is
// SipHash-2-4 (OpenSSL's) of the realm, the identifier kind and the identifier under a key
// drawn at random for each process: no input can aim at another user's key, and two
// different users meet by chance with odds of about n²/2⁶⁵ (3 in 100 million for 1M users).
#include "io/user_type_map.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

namespace devreset::io {

namespace {

// The process's SipHash key: 16 random bytes, drawn once.
const std::array<unsigned char, 16>& process_key() {
  static const auto key = [] {
    std::array<unsigned char, 16> k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) std::abort();
    return k;
  }();
  return key;
}

// One SipHash context per thread, keyed anew for each user (a key setup is four XORs).
class keyed_hash {
 public:
  keyed_hash() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
    ctx_ = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);
    if (ctx_ == nullptr) std::abort();
  }
  ~keyed_hash() { EVP_MAC_CTX_free(ctx_); }
  keyed_hash(const keyed_hash&) = delete;
  keyed_hash& operator=(const keyed_hash&) = delete;

  // Each field preceded by its length: no two different field lists give the same bytes.
  void field(std::string_view s) {
    const std::uint64_t n = s.size();
    buf_.append(reinterpret_cast<const char*>(&n), sizeof n);
    buf_.append(s);
  }
  std::uint64_t finish() {
    const auto& key = process_key();
    std::array<unsigned char, 16> out{};
    std::size_t len = 0;
    if (EVP_MAC_init(ctx_, key.data(), key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(buf_.data()), buf_.size()) !=
            1 ||
        EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1 || len < 8) {
      std::abort();
    }
    buf_.clear();
    std::uint64_t k = 0;
    std::memcpy(&k, out.data(), sizeof k);
    return k == 0 ? 1 : k;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string buf_;
};

keyed_hash& thread_hash() {
  thread_local keyed_hash h;
  return h;
}

}  // namespace

std::uint64_t user_type_map::key(std::string_view realm_path, std::string_view user_id) noexcept {
  auto& h = thread_hash();
  h.field(realm_path);
  h.field("_id");
  h.field(user_id);
  return h.finish();
}

std::uint64_t user_type_map::key(std::string_view realm_path, id_kind kind,
                                 std::string_view user_id, std::string_view name) noexcept {
  if (kind == id_kind::user_id) return key(realm_path, user_id);
  auto& h = thread_hash();  // a name's key never meets an id's: its kind is hashed with it
  h.field(realm_path);
  h.field(to_string(kind));
  h.field(name);
  return h.finish();
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
