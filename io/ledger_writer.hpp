// The ledger writer: JSON Lines, append-only, one whole record per write, flushed to the
// OS per record and synced to disk at least once a second and at close.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <boost/json/fwd.hpp>

#include "io/ledger_record.hpp"

namespace devreset::io {

/// A ledger that cannot be opened or written. The message names the file and the reason.
class ledger_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ledger_mode {
  create,  ///< a new ledger: an existing non-empty file is refused, never overwritten
  resume,  ///< append to an existing ledger (created when missing); a torn last line is cut
};

/// Throws the ledger_error a new ledger at `path` would meet: it exists and is not empty (a
/// ledger is never overwritten). The one place that says so, for a check before any work.
void check_new_ledger(const std::filesystem::path& path);

/// The process of the devreset run writing the ledger at `path` now (its flock, as
/// /proc/locks shows it; no lock is taken), or 0 when none is.
long ledger_writer_pid(const std::filesystem::path& path);

class ledger_writer {
 public:
  /// Opens the ledger (mode 0600 when created). Refuses symbolic links, anything that is not
  /// a regular file, and in `create` mode a file that is not empty. Takes an exclusive
  /// lock (flock) on it for as long as it is open: a second writer is refused with an
  /// error that names the process holding it.
  ledger_writer(std::filesystem::path path, ledger_mode mode,
                std::chrono::milliseconds sync_interval = std::chrono::seconds(1));
  ~ledger_writer();
  ledger_writer(const ledger_writer&) = delete;
  ledger_writer& operator=(const ledger_writer&) = delete;

  /// Appends one record as one line (after any records still pending). On failure (disk
  /// full...) the partial line is removed, so the ledger stays parseable, and ledger_error
  /// is thrown.
  void write(const boost::json::object& record);
  void write(const user_record& record);

  /// Adds a user record to the pending batch, written whole by the next flush(). The engine
  /// flushes at the end of each event-loop pass, so a record reaches the OS microseconds
  /// after it is made, and many records cost one write(2).
  void add(const user_record& record);
  /// Writes the pending batch in one write(2).
  void flush();

  /// Syncs to disk when something was written and `sync_interval` has passed since the
  /// last sync. Writes call it; a caller with a timer calls it too, so that a quiet run
  /// is still synced within the interval.
  void maybe_sync();
  /// Syncs to disk now.
  void sync();
  /// Cuts off everything this writer wrote (and drops what is pending): the file is again
  /// as it was once opened (a torn tail it cut stays cut); a file this writer created is
  /// removed (and the writer closed). For a run that never started:
  /// its preflight failed, so its run record must not block or mislead the next run.
  void discard_written();

  /// Syncs and closes; later writes throw. The destructor closes too (without throwing).
  void close();

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t records_written() const { return records_; }
  /// Bytes of a torn last line cut off when resuming (0 when the ledger ended cleanly).
  std::uint64_t torn_bytes_dropped() const { return torn_dropped_; }

 private:
  void append(std::string_view bytes);
  static void serialize_into(std::string& out, const boost::json::object& v);
  void repair_tail();

  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t opened_size_ = 0;  // after the torn tail was cut
  bool created_ = false;           // this writer made the file
  std::uint64_t records_ = 0;
  std::uint64_t torn_dropped_ = 0;
  bool dirty_ = false;
  std::chrono::milliseconds sync_interval_;
  std::chrono::steady_clock::time_point last_sync_;
  std::string line_;     // serialisation buffer, reused
  std::string pending_;  // records added but not yet written
  std::size_t pending_records_ = 0;
};

}  // namespace devreset::io
