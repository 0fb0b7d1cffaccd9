// Reading a ledger back: every well-formed record in order, tolerating a torn last line
// (a crash while writing), and the resume index built from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

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

/// What `--resume` needs: the (user, type) pairs already done. Memory grows with the users
/// that have done types, not with the size of the ledger.
struct resume_index {
  user_type_map done;  ///< per user, the types whose result was `ok`
  ledger_scan scan;
};

/// Builds the resume index of a ledger. A missing ledger gives an empty index.
resume_index load_resume_index(const std::filesystem::path& path);

/// The same over any stream; `name` is used in error messages.
resume_index load_resume_index(std::unique_ptr<std::istream> in, std::string_view name);

}  // namespace devreset::io
