// The simulated tenant's users and registered devices: a seeded population kept compact
// (a few dozen bytes per user; device ids are derived, not stored) plus users added by
// hand. Plain data and operations, no I/O: the API layer drives it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/fwd.hpp>

#include "io/device_type.hpp"

namespace devreset::sim {

inline constexpr std::size_t type_count = io::device_type_count;
inline constexpr int max_devices_per_type = 8;

using device_counts = std::array<std::uint8_t, type_count>;  ///< indexed by io::device_type

class tenant_state {
 public:
  /// `users` seeded users in `realm_path` (e.g. "/realms/root/realms/alpha").
  tenant_state(std::string realm_path, std::uint64_t users, std::uint64_t seed);

  /// Adds a user with any id (hostile ones included) and the given device counts; its IDM
  /// userName and mail as given (empty: none).
  void add_user(const std::string& realm_path, const std::string& id, device_counts counts,
                std::string user_name = {}, std::string mail = {});

  /// A handle to a user, valid until the next add_user.
  struct user_ref {
    std::size_t index;
  };
  /// Whether the realm exists (the seeded realm or one that add_user used).
  bool has_realm(std::string_view realm_path) const;
  std::optional<user_ref> find(std::string_view realm_path, std::string_view id) const;

  /// The reset action: removes every device of type `t` (but the first, with `keep_one`: a
  /// tenant that says it did more than it did). Counts the reset.
  void reset(user_ref u, io::device_type t, bool keep_one = false);
  /// The live devices of type `t`, as the query answer shows them (no secrets).
  std::vector<boost::json::object> list(user_ref u, io::device_type t) const;
  /// Deletes one device; returns its JSON (secrets included, as a tenant echoes them), or
  /// nullopt when the user has no such live device.
  std::optional<boost::json::object> remove(user_ref u, io::device_type t,
                                            std::string_view device_id);

  /// Registers one more device of type `t` (the admin side of /sim/devices: a device that
  /// appears between a plan and its run); its `_id`, or nullopt when the user has
  /// max_devices_per_type of them already.
  std::optional<std::string> register_device(user_ref u, io::device_type t);

  /// Seeded user ids, in a stable order.
  std::string user_id(std::size_t index) const;

  // The IDM side: each user's managed object, and groups.
  /// The user's _id (seeded or added).
  std::string id_of(user_ref u) const;
  /// userName: seeded users are `user000042` (their index, six digits or more); added ones
  /// as given (may be empty).
  std::string user_name(user_ref u) const;
  /// mail: seeded users `user000042@example.com`, except that every 50th shares the mail of
  /// the one before (index % 50 == 49), so that one mail names two users.
  std::optional<std::string> mail(user_ref u) const;
  /// The users whose `_id`, `userName` or `mail` equals `value`, case ignored (an index
  /// lookup for seeded users: no scan).
  std::vector<user_ref> find_by(std::string_view attribute, std::string_view value) const;
  /// Seeded groups `group0` … `group9` in the seeded realm; group k holds the seeded users
  /// whose index % 10 == k.
  static constexpr std::size_t group_count = 10;
  std::string group_id(std::size_t k) const;
  static std::string group_name(std::size_t k) { return "group" + std::to_string(k); }
  std::optional<std::size_t> find_group(std::string_view id) const;
  /// Whether a user lives in the seeded realm (the one IDM answers for).
  bool in_seeded_realm(user_ref u) const {
    return u.index < seeded_ || added_identity_[u.index - seeded_].realm == realm_path_;
  }
  std::size_t member_count(std::size_t k) const;
  user_ref member(std::size_t k, std::size_t i) const { return {k + i * group_count}; }
  std::size_t seeded_users() const { return seeded_; }
  std::size_t user_count() const { return users_.size(); }

  /// Devices left per type, over all users.
  std::array<std::uint64_t, type_count> devices_left() const;

  /// Device ages (--device-ages): each device draws a bucket by its share, and is last used
  /// `days` and a half before `now_ms` (registered 30 days before that); a bucket of `days`
  /// < 0 is undated (no last-use field). Without buckets, devices carry fixed dates of 2023.
  struct age_bucket {
    int days = 0;
    double share = 0;
  };
  void set_ages(std::vector<age_bucket> buckets, std::int64_t now_ms);
  /// Devices of type `t` left per age bucket ("30" for 30 days, "undated").
  std::vector<std::pair<std::string, std::uint64_t>> devices_left_by_age(io::device_type t) const;
  /// How many users had some type reset 0, 1, 2 or more times (the most for any one type).
  std::array<std::uint64_t, 3> reset_histogram() const;
  std::uint64_t deletes() const { return deletes_; }

  const std::string& realm_path() const { return realm_path_; }

 private:
  struct user {
    std::array<std::uint8_t, 16> uuid;  // seeded: the id; added: a hash of the id
    device_counts count;                // devices created per type
    device_counts deleted;              // bit k: device k of that type is gone
    device_counts resets;               // reset actions per type (saturating)
  };

  std::string device_id(const user& u, io::device_type t, int k) const;
  boost::json::object device_json(const user& u, io::device_type t, int k, bool secrets) const;
  static bool alive(const user& u, std::size_t t, int k) {
    return k < u.count[t] && (u.deleted[t] & (1u << k)) == 0;
  }

  std::string realm_path_;
  std::uint64_t seed_;
  std::size_t seeded_ = 0;
  std::vector<user> users_;  // seeded ones first, sorted by uuid; then added ones
  std::unordered_map<std::string, std::size_t> added_;  // realm + '\n' + id -> index
  std::vector<std::string> added_realms_;
  struct identity {
    std::string realm, id, user_name, mail;
  };
  std::vector<identity> added_identity_;  // of added users, in order (index - seeded_)
  std::uint64_t deletes_ = 0;
  std::vector<age_bucket> ages_;
  std::int64_t ages_now_ms_ = 0;
  /// The age bucket of device k of type t (an index of ages_), stable for the seed.
  std::size_t age_of(const user& u, std::size_t t, int k) const;
  void put_dates(boost::json::object& o, const user& u, io::device_type t, int k,
                 std::uint64_t v) const;
};

/// Formats 16 bytes as a lower-case UUID ("014c54bd-6078-4639-8316-8ce0e7746fa4").
std::string format_uuid(const std::array<std::uint8_t, 16>& b);
/// Parses a UUID in that form; nullopt for anything else.
std::optional<std::array<std::uint8_t, 16>> parse_uuid(std::string_view s);

}  // namespace devreset::sim
