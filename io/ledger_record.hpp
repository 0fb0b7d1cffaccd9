// The records of the JSON Lines ledger (docs/architecture.md, "Ledger"): statuses, per-type
// results, user records, and their JSON forms.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>
#include <boost/json/storage_ptr.hpp>

#include "io/device_type.hpp"
#include "io/job.hpp"

namespace devreset::io {

/// A user's outcome.
enum class user_status {
  ok,         ///< every type done
  partial,    ///< some types done, some failed
  failed,     ///< none done
  not_found,  ///< the tenant says the user does not exist
  invalid,    ///< bad input row, nothing sent
  planned,    ///< from `plan`: nothing changed
};
inline constexpr std::size_t user_status_count = 6;

/// One device type's outcome for one user.
enum class result_status {
  ok,         ///< devices reset or deleted
  not_found,  ///< the tenant says the user does not exist
  failed,     ///< gave up (see `error`)
  planned,    ///< from `plan`: what a run would remove
};
inline constexpr std::size_t result_status_count = 4;

std::string_view to_string(user_status s) noexcept;
std::string_view to_string(result_status s) noexcept;
std::optional<user_status> parse_user_status(std::string_view s) noexcept;
std::optional<result_status> parse_result_status(std::string_view s) noexcept;

struct type_result {
  device_type type = device_type::oath;
  /// "reset", "list+delete", "reset->list+delete", "list" (plan); run --plan: "list+reset",
  /// "list+delete", "none" (no request: --plan-strict and a type the plan could not list)
  std::string action;
  result_status status = result_status::failed;
  int http_status = 0;  ///< the last HTTP status seen (0: no answer)
  int attempts = 0;     ///< HTTP requests sent for this type: every list, delete, reset, verify
  int retries = 0;      ///< of them, sent again after a failed attempt (the summary's retries)
  int throttled = 0;    ///< of the attempts, those the tenant answered 429
  double elapsed_ms = 0;
  std::optional<int> found;      ///< devices listed (list+delete, plan)
  std::optional<int> deleted;    ///< devices deleted (list+delete)
  std::optional<int> gone;       ///< of them, already gone when deleted (AM's 404 for the device)
  std::optional<int> remaining;  ///< --verify: devices listed after the reset (0: verified)
  std::vector<std::string> device_ids;  ///< plan only: the ids a run would delete
  /// Devices this result removed, as far as the tenant told: deletes that removed one (not
  /// those already gone), or every device listed before a reset action (run --plan). Nullopt
  /// for a bare reset action: AM removes every device of the type without saying how many.
  std::optional<int> removed() const;
  /// run --plan: devices listed now that the plan did not list (removed, unless strict)
  std::vector<std::string> added_since_plan;
  /// run --plan: devices the plan listed that were gone before the run came to them
  std::vector<std::string> gone_since_plan;
  /// A cleanup by age (--unused-for, --registered-before): devices kept because a rule's
  /// date is on or after its cut-off, and kept because a date a rule needs is missing.
  std::optional<int> kept_recent;
  std::optional<int> kept_undated;
  /// A cleanup by age: each device removed (plan: to remove), with its dates (epoch ms; none
  /// when the tenant did not say).
  struct dated_device {
    std::string id;
    std::optional<std::int64_t> created_ms;
    std::optional<std::int64_t> last_used_ms;
  };
  std::vector<dated_device> selected;
  std::string error;  ///< failed only: a short reason, safe to print

  /// The devices of `selected` this result deleted (deleted in order: a type that failed
  /// part-way deleted the first `deleted` of them); none for a plan, as removed().
  std::span<const dated_device> removed_selected() const;
};

struct user_record {
  std::string run_id;
  std::uint64_t line = 0;
  std::string user_id;  ///< the _id used (empty: a user named otherwise was not resolved)
  id_kind kind = id_kind::user_id;  ///< how the input named the user
  std::string name;                 ///< the user name or mail given (kind != user_id)
  /// Every identifier the input row gave, by id_kind (empty: not given): written next to
  /// the one used, with "named_by" saying which that was.
  std::array<std::string, 3> given{};
  std::string realm;
  user_status status = user_status::failed;
  std::vector<type_result> results;
  double elapsed_ms = 0;
  std::chrono::system_clock::time_point finished_at{};
  std::string reason;  ///< invalid rows: why
  /// A user named otherwise whom the look-up did not resolve (no results): the types the
  /// row asked for, so that `run --plan` looks them up again for these.
  type_set types;
};

/// The JSON object of a user record ({"record":"user",...}), allocated from `sp` (a
/// monotonic resource keeps the hot path free of malloc).
boost::json::object to_json(const user_record& r, boost::json::storage_ptr sp = {});

/// Reads a user record back; nullopt when `o` is not a well-formed user record.
std::optional<user_record> user_record_from_json(const boost::json::object& o);

}  // namespace devreset::io
