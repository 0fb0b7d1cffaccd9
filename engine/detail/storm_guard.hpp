// The storm guard: when the first users of a run are all "not found", the tenant or the realm
// is wrong (not the users), and the run stops before it records thousands of them as gone.
#pragma once

#include "io/ledger_record.hpp"

namespace devreset::engine::detail {

class storm_guard {
 public:
  /// `limit`: users in a row, from the first, that trip it (0 or less: never).
  explicit storm_guard(int limit) : limit_(limit) {}

  /// One user's status, in the order users end. True when the guard trips: the first
  /// `limit` users were all not found (those failed or invalid neither count nor disarm).
  /// Once a user was there, the address is proved right and it never trips.
  bool tripped_by(io::user_status st) {
    if (!armed_ || limit_ <= 0) return false;
    if (st == io::user_status::not_found) return ++not_found_ >= limit_;
    if (st != io::user_status::failed && st != io::user_status::invalid) armed_ = false;
    return false;
  }
  int not_found() const { return not_found_; }

 private:
  int limit_;
  int not_found_ = 0;
  bool armed_ = true;
};

}  // namespace devreset::engine::detail
