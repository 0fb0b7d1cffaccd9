// Hands out the input's jobs one at a time to the workers that ask (so at most one job
// per worker is in memory, however large the input): writes `invalid` records for bad
// rows, does each (user, type) once, and skips what a resumed ledger says is done.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/run_stats.hpp"
#include "io/job.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/user_type_map.hpp"

namespace devreset::engine {

class dispatcher {
 public:
  /// `done`: the resume index (may be null). `on_invalid` receives the record of a bad row.
  dispatcher(io::job_reader& reader, const io::user_type_map* done, run_stats& stats,
             std::function<void(const io::user_record&)> on_invalid, std::string run_id);

  /// The next job with its types narrowed to what is left to do; nullopt at the end.
  std::optional<io::job> next();

  /// A row the input could not be read past (a JSON syntax error); empty when none.
  const std::string& fatal_reason() const { return fatal_; }
  /// Sizes the seen-set for `users` distinct users up front (0: grow as they come).
  void reserve(std::size_t users) { seen_.reserve(users); }
  /// Distinct users seen so far.
  std::size_t distinct_users() const { return seen_.size(); }

 private:
  io::job_reader& reader_;
  const io::user_type_map* done_;
  run_stats& stats_;
  std::function<void(const io::user_record&)> on_invalid_;
  std::string run_id_;
  io::user_type_map seen_;
  std::string fatal_;
  bool ended_ = false;
};

}  // namespace devreset::engine
