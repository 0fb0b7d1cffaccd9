// One row of the input: a job (a user and the device types to reset) or an invalid row.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "io/device_type.hpp"

namespace devreset::io {

/// A user whose devices of `types` are to be reset, from line `line` of the input.
struct job {
  std::uint64_t line = 0;  ///< 1-based line where the row starts
  std::string user_id;     ///< the user's _id, as given (validated, not yet encoded)
  std::string realm;       ///< realm path, e.g. "/realms/root/realms/alpha"
  type_set types;          ///< never empty
};

/// A row that cannot be used: nothing is sent for it and it gets an `invalid` ledger record.
struct invalid_row {
  std::uint64_t line = 0;  ///< 1-based line where the row starts
  std::string user_id;     ///< the id as read (may be empty or hostile: print with `printable`)
  std::string reason;      ///< for a person: "user id contains a control character (0x09) ..."
  bool fatal = false;      ///< the input cannot be read past this point (JSON syntax error)
};

using input_row = std::variant<job, invalid_row>;

}  // namespace devreset::io
