// Streaming readers for the input formats (CSV, JSON array, JSON Lines): one row at a
// time, in memory that does not grow with the file.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/job.hpp"

namespace devreset::io {

enum class input_format { csv, json, jsonl };

/// A file-level problem (cannot open, unknown format, unusable header). The message names
/// the file, and the line when there is one.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "csv", "json", "jsonl" (also "ndjson").
std::optional<input_format> parse_input_format(std::string_view name);
std::string_view to_string(input_format f) noexcept;

/// The format of a file from its extension: .csv/.txt → csv, .json → json,
/// .jsonl/.ndjson → jsonl. Throws input_error for anything else.
input_format format_from_extension(const std::filesystem::path& path);

/// Where a file of users came from, as `report --failed-out` names it in the file's first
/// line: "# devreset: tenant https://t.example/am realm /realms/root/realms/alpha". CSV
/// lines that start with '#' before the header are comments.
struct input_origin {
  std::string tenant;  ///< tenant_url() form
  std::string realm;   ///< realm path
};
std::string origin_comment(const input_origin& o);
std::optional<input_origin> parse_origin_comment(std::string_view line);

struct reader_options {
  type_set default_types = type_set::defaults();  ///< for rows that name no types
  std::string default_realm = "/realms/root";     ///< realm path for rows that name none
  std::size_t max_id_bytes = 1024;                ///< longer ids are invalid rows
  std::size_t max_row_bytes = 64 * 1024;          ///< longer rows are invalid, not buffered
  /// A row's identifier: this one only (--id-column); unset: user_id, else user_name, else
  /// mail, the first the row gives.
  std::optional<id_kind> id_column;
  /// CSV: the field separator (',', ';', '\t'); 0: found from the header row.
  char delimiter = 0;
};

/// Yields the rows of one input, in order. Row-level problems come back as `invalid_row`
/// values; only problems with the file as a whole throw `input_error`.
class job_reader {
 public:
  virtual ~job_reader() = default;
  /// The next row, or nullopt at the end of the input.
  virtual std::optional<input_row> next() = 0;
  /// Bytes consumed so far (for progress on inputs that are not counted ahead).
  virtual std::uint64_t bytes_read() const = 0;
  /// Rows read and left out by design, never given to next()'s caller (run --plan: the
  /// plan's users with none of the run's --types); counted in the summary.
  virtual std::uint64_t left_out() const { return 0; }
  /// After next() gave nothing: true when more rows may still come (a tenant query whose
  /// next page is on its way), false at the end of the input.
  virtual bool waiting() const { return false; }
  /// CSV: the field separator in use (',', ';', '\t'); 0 for other formats.
  virtual char delimiter() const { return 0; }
  /// CSV: header columns that name no field and are ignored (an export's extras).
  virtual const std::vector<std::string>& ignored_columns() const {
    static const std::vector<std::string> none;
    return none;
  }
};

/// Opens `path` (format from the extension unless given). Throws input_error when the file
/// cannot be opened or is a directory, naming the file and the reason.
std::unique_ptr<job_reader> open_job_reader(const std::filesystem::path& path,
                                            std::optional<input_format> format,
                                            reader_options options = {});

/// A reader over any stream; `name` is used in error messages.
std::unique_ptr<job_reader> make_job_reader(std::unique_ptr<std::istream> in, input_format format,
                                            reader_options options, std::string name);

}  // namespace devreset::io
