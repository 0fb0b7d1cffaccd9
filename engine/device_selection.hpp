// Which devices a cleanup removes (issue 35): those nobody has used since a cut-off
// (`--unused-for 180d`), those registered before one (`--registered-before`), or both (both
// must hold). A device without the date a rule needs is kept and counted `undated`, unless
// `--undated remove`. The cut-offs are fixed once, from the run's start ("now"), and written
// in the run record: a resumed run, and a plan's run, cut at the same time. No I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/fwd.hpp>

#include "io/device_type.hpp"
#include "io/run_records.hpp"

namespace devreset::engine {

struct device_selection {
  using ms = std::chrono::milliseconds;
  std::optional<ms> unused_for;                      ///< --unused-for
  std::optional<std::int64_t> registered_before_ms;  ///< --registered-before DATE, epoch ms
  std::optional<ms> registered_ago;  ///< --registered-before DURATION: before now − this
  bool remove_undated = false;       ///< --undated remove
  std::int64_t now_ms = 0;           ///< the run's "now", epoch ms (the cut-offs' origin)

  /// True when devices are selected (else every device of a type goes, as a reset).
  explicit operator bool() const { return unused_for || registered_before_ms || registered_ago; }
  /// now − unused_for: a device last used before this goes.
  std::optional<std::int64_t> last_used_before_ms() const;
  /// The registration cut-off: the date given, or now − the duration given.
  std::optional<std::int64_t> registered_cutoff_ms() const;

  enum class verdict { remove, recent, undated };
  /// What becomes of one listed device (its JSON as AM lists it) of type `t`: removed (every
  /// rule holds), kept as recent (a rule's date is on or after its cut-off), or undated (a
  /// date a rule needs is missing; removed only with remove_undated).
  verdict judge(io::device_type t, const boost::json::object& device) const;
  bool removes(verdict v) const {
    return v == verdict::remove || (v == verdict::undated && remove_undated);
  }

  /// "unused for 180 days (last use before 2026-06-07T…Z)", "registered before …", both
  /// joined by "and", then ", undated kept|removed": for the confirmation and the log.
  std::string describe() const;
};

/// The run record's form of a selection, and back (a resume, a plan's run).
io::selection_record to_record(const device_selection& s);
device_selection from_record(const io::selection_record& r);

/// A device's date field (epoch ms) as AM writes it: a JSON integer (or a whole number);
/// nothing when absent, null, or not a number.
std::optional<std::int64_t> device_date(const boost::json::object& device, std::string_view field);

}  // namespace devreset::engine
