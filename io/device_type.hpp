// Device types (the tenant's device collections) and a compact set of them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace devreset::io {

/// A collection of registered devices under `users/<id>/devices/`; what each one is lives in
/// `device_types` below, in this order.
enum class device_type : std::uint8_t { oath, push, webauthn, binding, profile, trusted };

/// How a type's devices are all removed.
enum class reset_strategy : std::uint8_t {
  action,           ///< one POST `?_action=reset` removes every device of the type
  list_and_delete,  ///< list (paged), then DELETE each
  /// the action; a tenant that refuses it (some AM versions lack it) gets list + delete
  action_else_list_and_delete,
};

/// True when the strategy starts with the reset action (one POST removes every device).
constexpr bool has_reset_action(reset_strategy s) noexcept {
  return s != reset_strategy::list_and_delete;
}

/// Everything the engine, the sim and the reports know of a device type. Adding a type is an
/// enumerator above, a row here, the sim's seeding (sim/tenant_state.cpp) and a test.
struct device_type_info {
  device_type type;
  std::string_view name;        ///< on the command line, in input files and in the ledger
  std::string_view collection;  ///< the path below `users/<id>/devices/`
  reset_strategy strategy;
  bool by_default;                   ///< in the default of `--types`
  std::string_view created_field;    ///< when registered (epoch ms), "" when not told
  std::string_view last_used_field;  ///< when last used (epoch ms), "" when not told
};

inline constexpr device_type_info device_types[] = {
    {device_type::oath, "oath", "2fa/oath", reset_strategy::action, true, "createdDate",
     "lastAccessDate"},
    {device_type::push, "push", "2fa/push", reset_strategy::action, true, "createdDate",
     "lastAccessDate"},
    {device_type::webauthn, "webauthn", "2fa/webauthn", reset_strategy::list_and_delete, true,
     "createdDate", "lastAccessDate"},
    {device_type::binding, "binding", "2fa/binding", reset_strategy::action_else_list_and_delete,
     true, "createdDate", "lastAccessDate"},
    {device_type::profile, "profile", "profile", reset_strategy::list_and_delete, false, "",
     "lastSelectedDate"},
    {device_type::trusted, "trusted", "trusted", reset_strategy::list_and_delete, false, "",
     "lastSelectedDate"},
};

/// The number of device types: the size of every per-type array.
inline constexpr std::size_t device_type_count = std::size(device_types);

constexpr const device_type_info& info(device_type t) {
  return device_types[static_cast<std::size_t>(t)];
}
constexpr std::size_t index(device_type t) {
  return static_cast<std::size_t>(t);
}

namespace detail {
constexpr bool table_in_order() {
  for (std::size_t i = 0; i < device_type_count; ++i)
    if (static_cast<std::size_t>(device_types[i].type) != i) return false;
  return true;
}
}  // namespace detail
static_assert(detail::table_in_order(), "device_types: one row per enumerator, in order");
static_assert(device_type_count <= 8, "type_set keeps a type per bit of a byte");

/// Every type, in table order.
inline constexpr auto all_device_types = [] {
  std::array<device_type, device_type_count> all{};
  for (std::size_t i = 0; i < device_type_count; ++i)
    all[i] = device_types[i].type;
  return all;
}();

/// The strategy for `t` on a tenant that has (or has not) refused its reset action once
/// (action_else_list_and_delete becomes list_and_delete there).
reset_strategy strategy_of(device_type t, bool action_refused) noexcept;

/// The lower-case name used on the command line, in input files and in the ledger.
std::string_view to_string(device_type t) noexcept;

/// Every type's name, joined with ", " ("oath, push, ..."), for help and error texts.
std::string device_type_names();

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

  /// The default of `--types`: the table's `by_default` types (the four 2FA collections).
  static constexpr type_set defaults() {
    type_set s;
    for (const auto& row : device_types)
      if (row.by_default) s.add(row.type);
    return s;
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
  static constexpr std::uint8_t all_bits = static_cast<std::uint8_t>((1u << device_type_count) - 1);
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
