// A plan ledger read back for `devreset run --plan`: what the plan is (its run, tenant, age
// and totals, read once ahead) and its users as jobs (read as the run goes, in memory that
// does not grow with the plan), each carrying the device ids the plan listed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/device_type.hpp"
#include "io/job_reader.hpp"
#include "io/run_records.hpp"

namespace devreset::io {

class ledger_lines;

/// A plan file opened once: every read of it (its facts, then its users) is of this open
/// file, whatever its path names later (issue 30: a plan swapped between its checks and its
/// use). Its SHA-256 and its owner and mode are of the same open file.
struct opened_plan_file {
  explicit opened_plan_file(int descriptor) : fd(descriptor) {}
  ~opened_plan_file();
  opened_plan_file(const opened_plan_file&) = delete;
  opened_plan_file& operator=(const opened_plan_file&) = delete;
  /// A path that opens this very file again (/proc/self/fd/N), never the name given.
  std::string reopen_path() const;
  int fd;
  unsigned owner = 0;  ///< uid
  unsigned mode = 0;   ///< permission bits
  std::string sha256;  ///< of its bytes, lower-case hex (as sha256sum prints it)
};

/// The plan a ledger holds: its last `plan` run, which must have finished.
struct plan_info {
  std::shared_ptr<const opened_plan_file> file;  ///< the file as opened (null: none)
  std::string path;
  std::string run_id;
  std::string tenant;   ///< tenant_url() form
  std::string realm;    ///< the plan's --realm (its users carry their own)
  std::string made_at;  ///< the plan run's started_at, as written
  std::chrono::system_clock::time_point made{};
  type_set types;           ///< every type the plan looked at (some user's result)
  type_set run_types;       ///< the plan's --types (of users it could not resolve)
  std::uint64_t users = 0;  ///< user records of the plan run
  std::array<std::uint64_t, device_type_count> devices{};     ///< devices listed, by type
  std::array<std::uint64_t, device_type_count> users_with{};  ///< users with at least one, by type
  std::uint64_t users_empty = 0;              ///< users whose plan found nothing to remove
  std::uint64_t users_unlisted = 0;           ///< users with a type the plan could not list
  std::uint64_t users_unresolved = 0;         ///< named by user name or mail, not found by the plan
  std::uint64_t other_runs = 0;               ///< runs of the file besides the plan applied
  std::optional<selection_record> selection;  ///< a cleanup's plan: its cut-offs and rules
};

/// Opens the plan at `path` once and reads what it is (its SHA-256 too). Throws input_error
/// naming the file and the reason: no such file, not a ledger, no plan run in it, a plan
/// that did not finish.
plan_info read_plan_info(const std::filesystem::path& path);

/// The users of the plan `info` (its run only) as jobs: their realm and `_id` (or the name a
/// plan could not resolve), the types of `narrow` the plan looked at, and a plan_entry with
/// the ids listed. A user the plan recorded as invalid is an invalid row again; a user left
/// with no type by `narrow` is counted, not read.
class plan_reader final : public job_reader {
 public:
  plan_reader(const plan_info& info, type_set narrow);
  ~plan_reader() override;
  std::optional<input_row> next() override;
  std::uint64_t bytes_read() const override;
  /// Users of the plan with no type in `narrow` (not in this run).
  std::uint64_t left_out() const override { return left_out_; }

 private:
  std::unique_ptr<ledger_lines> lines_;
  std::string run_id_;
  type_set narrow_;
  type_set run_types_;
  std::uint64_t left_out_ = 0;
};

}  // namespace devreset::io
