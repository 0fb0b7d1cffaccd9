// Job dispatch: invalid rows, de-duplication, resume.
#include "engine/dispatcher.hpp"

#include <chrono>

namespace devreset::engine {

dispatcher::dispatcher(io::job_reader& reader, const io::user_type_map* done, run_stats& stats,
                       std::function<void(const io::user_record&)> on_invalid, std::string run_id)
    : reader_(reader),
      done_(done),
      stats_(stats),
      on_invalid_(std::move(on_invalid)),
      run_id_(std::move(run_id)) {}

bool dispatcher::claim(io::job& j) {
  auto key = io::user_type_map::key(j.realm, j.user_id);
  auto fresh = seen_.add_key(key, j.types);
  if (fresh.empty()) {
    ++stats_.duplicates;
    return false;
  }
  auto todo = done_ ? fresh.minus(done_->get_key(key)) : fresh;
  if (todo.empty()) {
    ++stats_.skipped_done;
    return false;
  }
  j.types = todo;
  return true;
}

std::optional<io::job> dispatcher::next(std::size_t budget) {
  for (std::size_t rows = 0; !ended_ && rows < budget; ++rows) {
    auto row = reader_.next();
    if (!row) {
      ended_ = !reader_.waiting();
      break;
    }
    if (!io::in_shard(shard_, *row)) {
      ++stats_.other_shards;
      continue;
    }
    ++stats_.rows_read;
    if (auto* bad = std::get_if<io::invalid_row>(&*row)) {
      io::user_record r;
      r.run_id = run_id_;
      r.line = bad->line;
      r.kind = bad->kind;
      (bad->kind == io::id_kind::user_id ? r.user_id : r.name) = std::move(bad->user_id);
      r.status = io::user_status::invalid;
      r.reason = bad->reason;
      r.finished_at = std::chrono::system_clock::now();
      stats_.count_user(io::user_status::invalid);
      on_invalid_(r);
      if (bad->fatal) {
        fatal_ = bad->reason;
        fatal_line_ = bad->line;
        ended_ = true;
      }
      continue;
    }
    auto& j = std::get<io::job>(*row);
    if (names_in_path_ && j.kind == io::id_kind::user_name) j.user_id = j.name;
    if (j.kind != io::id_kind::user_id && j.user_id.empty()) {
      // Named otherwise: once per name (and again once resolved, by its _id: claim()).
      auto fresh =
          seen_.add_key(io::user_type_map::key(j.realm, j.kind, j.user_id, j.name), j.types);
      if (fresh.empty()) {
        ++stats_.duplicates;
        continue;
      }
      j.types = fresh;
      return std::move(j);
    }
    if (claim(j)) return std::move(j);
  }
  return std::nullopt;
}

}  // namespace devreset::engine
