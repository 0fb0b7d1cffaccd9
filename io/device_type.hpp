// Device types (the tenant's device collections) and a compact set of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace devreset::io {

/// A collection of registered devices under `users/<id>/devices/`.
enum class device_type : std::uint8_t {
  oath,      ///< devices/2fa/oath (reset action)
  push,      ///< devices/2fa/push (reset action)
  webauthn,  ///< devices/2fa/webauthn (list, then delete each)
  binding,   ///< devices/2fa/binding (reset action, or list + delete)
  profile,   ///< devices/profile (list + delete)
  trusted,   ///< devices/trusted (list + delete)
};

inline constexpr device_type all_device_types[] = {device_type::oath,     device_type::push,
                                                   device_type::webauthn, device_type::binding,
                                                   device_type::profile,  device_type::trusted};

/// The lower-case name used on the command line, in input files and in the ledger.
std::string_view to_string(device_type t) noexcept;

/// Parses a type name, case-insensitively and ignoring surrounding blanks.
std::optional<device_type> parse_device_type(std::string_view name) noexcept;

/// A set of device types, one bit each; cheap to copy and to store per user.
class type_set {
 public:
  constexpr type_set() = default;
  constexpr type_set(std::initializer_list<device_type> types) {
    for (auto t : types)
      add(t);
  }
  static constexpr type_set from_bits(std::uint8_t bits) {
    type_set s;
    s.bits_ = bits & all_bits;
    return s;
  }

  /// The default of `--types`: the four 2FA collections.
  static constexpr type_set defaults() {
    return {device_type::oath, device_type::push, device_type::webauthn, device_type::binding};
  }

  constexpr void add(device_type t) { bits_ |= bit(t); }
  constexpr void remove(device_type t) { bits_ &= static_cast<std::uint8_t>(~bit(t)); }
  constexpr bool contains(device_type t) const { return (bits_ & bit(t)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint8_t bits() const { return bits_; }
  constexpr int size() const {
    int n = 0;
    for (auto t : all_device_types)
      n += contains(t) ? 1 : 0;
    return n;
  }

  constexpr type_set operator|(type_set o) const { return from_bits(bits_ | o.bits_); }
  constexpr type_set operator&(type_set o) const { return from_bits(bits_ & o.bits_); }
  /// The types of this set that are not in `o`.
  constexpr type_set minus(type_set o) const {
    return from_bits(bits_ & static_cast<std::uint8_t>(~o.bits_));
  }
  constexpr bool operator==(const type_set&) const = default;

  /// Names joined with `sep`, in the order of `all_device_types` ("oath;push").
  std::string to_string(char sep = ';') const;

 private:
  static constexpr std::uint8_t all_bits = 0x3f;
  static constexpr std::uint8_t bit(device_type t) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(t));
  }
  std::uint8_t bits_ = 0;
};

struct type_list_error {
  std::string reason;  ///< e.g. "unknown device type 'otp' (known: oath, push, ...)"
};

/// Parses a list such as "oath;push" or "oath|webauthn" (also ',' when `allow_comma`).
/// Empty items are ignored; an empty list gives an empty set.
/// Returns the set, or fills `error` and returns nullopt.
std::optional<type_set> parse_type_list(std::string_view list, type_list_error& error,
                                        bool allow_comma = false);

}  // namespace devreset::io
