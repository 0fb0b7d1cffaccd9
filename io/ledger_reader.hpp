// Reading a ledger back: every well-formed record in order, tolerating a torn last line
// (a crash while writing), and the resume index built from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "io/run_records.hpp"
#include "io/user_type_map.hpp"

namespace devreset::io {

struct ledger_scan {
  std::uint64_t records = 0;             ///< well-formed records (JSON objects)
  std::vector<std::uint64_t> bad_lines;  ///< complete lines that are not JSON objects
  bool torn_tail = false;                ///< the last line is incomplete (cut while writing)
  std::uint64_t valid_bytes = 0;         ///< bytes up to the end of the last whole record
};

/// True when `line` (without its newline) is one whole ledger record: a JSON object.
bool is_whole_record(std::string_view line);

namespace detail {
class byte_source;
}

/// The well-formed records of a ledger, one at a time in bounded memory (the rules of
/// scan_ledger, which is a loop over it).
class ledger_lines {
 public:
  ledger_lines(std::unique_ptr<std::istream> in, std::string_view name,
               std::size_t max_line_bytes = 16 * 1024 * 1024);
  ~ledger_lines();
  ledger_lines(const ledger_lines&) = delete;
  ledger_lines& operator=(const ledger_lines&) = delete;

  /// The next record, valid until the next call; null at the end. Throws ledger_error
  /// when the file cannot be read.
  const boost::json::object* next();
  /// The line of the record last returned (1-based).
  std::uint64_t line() const { return line_no_; }
  /// What was read so far: records, bad lines, a torn tail.
  const ledger_scan& scan() const { return scan_; }

 private:
  bool read_line(bool& newline, bool& too_long);

  std::unique_ptr<detail::byte_source> src_;
  std::string name_;
  std::size_t max_line_bytes_;
  std::string line_;
  boost::json::value value_;
  std::uint64_t line_no_ = 0;
  ledger_scan scan_;
  bool ended_ = false;
};

/// Calls `on_record(record, line_number)` for each well-formed record of the ledger, in
/// order. Lines longer than `max_line_bytes` count as bad lines. Throws ledger_error when
/// the file cannot be read.
ledger_scan scan_ledger(
    const std::filesystem::path& path,
    const std::function<void(const boost::json::object&, std::uint64_t)>& on_record,
    std::size_t max_line_bytes = 16 * 1024 * 1024);

/// The same over any stream; `name` is used in error messages.
ledger_scan scan_ledger(
    std::unique_ptr<std::istream> in, std::string_view name,
    const std::function<void(const boost::json::object&, std::uint64_t)>& on_record,
    std::size_t max_line_bytes = 16 * 1024 * 1024);

/// The tenant a run record names (`tenant_url()`'s form): its "tenant_url", or for a ledger
/// written before that field existed, "https://" + its "tenant" + its "am_path" (default
/// "/am"). Empty when the record names none.
std::string run_tenant(const boost::json::object& run_record);

/// What `--resume` needs: the (user, type) pairs already done on one tenant. Memory grows
/// with the users that have done types, not with the size of the ledger.
struct resume_index {
  user_type_map done;  ///< per user, the types whose result was `ok` in a run on the tenant
  ledger_scan scan;
  std::uint64_t runs = 0;                  ///< run records in the ledger
  std::uint64_t runs_here = 0;             ///< of them, runs on the tenant asked for
  std::uint64_t users_elsewhere = 0;       ///< user records of runs on other tenants (ignored)
  std::vector<std::string> other_tenants;  ///< the other tenants named, in order, each once
  /// The first run on the tenant that was a cleanup by age: its cut-offs, for a resume to
  /// cut at the same time. `selection_runs`: the runs here that were one.
  std::optional<selection_record> selection;
  std::uint64_t selection_runs = 0;
};

/// Builds the resume index of a ledger for the runs on `tenant` (`tenant_url()`'s form):
/// a user record counts only when the run record before it with the same run_id named
/// that tenant; its realm is part of the user's key. A missing ledger gives an empty index.
resume_index load_resume_index(const std::filesystem::path& path, std::string_view tenant);

/// The same over any stream; `name` is used in error messages.
resume_index load_resume_index(std::unique_ptr<std::istream> in, std::string_view name,
                               std::string_view tenant);

}  // namespace devreset::io
