// Hands out the input's jobs one at a time to the workers that ask (so at most one job
// per worker is in memory, however large the input): writes `invalid` records for bad
// rows, does each (user, type) once, and skips what a resumed ledger says is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/run_stats.hpp"
#include "io/job.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/shard.hpp"
#include "io/user_type_map.hpp"

namespace devreset::engine {

class dispatcher {
 public:
  /// `done`: the resume index (may be null). `on_invalid` receives the record of a bad row.
  dispatcher(io::job_reader& reader, const io::user_type_map* done, run_stats& stats,
             std::function<void(const io::user_record&)> on_invalid, std::string run_id);

  /// The next job with its types narrowed to what is left to do; nullopt at the end, or
  /// after reading `budget` rows that were not jobs (invalid, duplicates, done): then
  /// `ended()` is false, and the caller lets others run before it asks again.
  std::optional<io::job> next(std::size_t budget = SIZE_MAX);
  /// A job whose user was named otherwise, now resolved to its `user_id`: narrows its types
  /// to what no row (by id or by another name) and no resumed run did yet. False when
  /// nothing is left (counted as a duplicate or as done).
  bool claim(io::job& j);

  /// True once the input has been read to its end (or to a fatal row).
  bool ended() const { return ended_; }
  /// True while the input has no row now but more to come (a tenant query's next page).
  bool waiting() const { return !ended_ && reader_.waiting(); }

  /// A row the input could not be read past (a JSON syntax error); empty when none.
  const std::string& fatal_reason() const { return fatal_; }
  /// Its line.
  std::uint64_t fatal_line() const { return fatal_line_; }
  /// Only the users of this shard (--shard K/N); the others' rows are counted and skipped.
  void set_shard(io::shard s) { shard_ = s; }
  /// Sizes the seen-set for `users` distinct users up front (0: grow as they come).
  void reserve(std::size_t users) { seen_.reserve(users); }
  /// Rows by user name name their user in the device paths as they are (no look-up): a
  /// self-managed AM's `--user-path name`.
  void set_names_in_path(bool on) { names_in_path_ = on; }

 private:
  io::job_reader& reader_;
  const io::user_type_map* done_;
  run_stats& stats_;
  std::function<void(const io::user_record&)> on_invalid_;
  std::string run_id_;
  io::user_type_map seen_;
  std::string fatal_;
  std::uint64_t fatal_line_ = 0;
  bool ended_ = false;
  io::shard shard_;
  bool names_in_path_ = false;
};

}  // namespace devreset::engine
