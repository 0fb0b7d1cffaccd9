// One row of the input: a job (a user and the device types to reset) or an invalid row.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "io/device_type.hpp"

namespace devreset::io {

/// How a row names its user: by `_id`, or by an IDM attribute that a look-up resolves to
/// the `_id` before any reset.
enum class id_kind { user_id, user_name, mail };
/// "user_id", "user_name", "mail" (the ledger's keys and the CSV columns).
std::string_view to_string(id_kind k) noexcept;

/// What a plan (`devreset plan`) found for one user, for `run --plan`: the device ids it
/// listed per type. A type of the job that is not `listed` has no list (the plan could not
/// read it): a run resets it as it would without a plan.
struct plan_entry {
  type_set listed;
  std::array<std::vector<std::string>, device_type_count> ids;  ///< by device_type
  const std::vector<std::string>* ids_of(device_type t) const {
    return listed.contains(t) ? &ids[static_cast<std::size_t>(t)] : nullptr;
  }
};

/// A user whose devices of `types` are to be reset, from line `line` of the input.
struct job {
  std::uint64_t line = 0;           ///< 1-based line where the row starts
  std::string user_id;              ///< the user's _id (validated, not yet encoded); empty until a
                                    ///< user named by `name` is resolved
  std::string realm;                ///< realm path, e.g. "/realms/root/realms/alpha"
  type_set types;                   ///< never empty
  id_kind kind = id_kind::user_id;  ///< how the row named the user
  std::string name;                 ///< the user name or mail as given (kind != user_id)
  /// Every identifier the row gave, by id_kind (empty: not given): the ledger shows the
  /// others next to the one used.
  std::array<std::string, 3> given{};
  /// From a plan: what it found (null: no plan, every type is reset as it is now).
  std::shared_ptr<const plan_entry> plan{};
};

/// A row that cannot be used: nothing is sent for it and it gets an `invalid` ledger record.
struct invalid_row {
  std::uint64_t line = 0;  ///< 1-based line where the row starts
  std::string
      user_id;         ///< the identifier as read (may be empty or hostile: print with `printable`)
  std::string reason;  ///< for a person: "user id contains a control character (0x09) ..."
  bool fatal = false;  ///< the input cannot be read past this point (JSON syntax error)
  id_kind kind = id_kind::user_id;  ///< which identifier `user_id` holds
};

using input_row = std::variant<job, invalid_row>;

}  // namespace devreset::io
