// Reading ledgers for `report`: pass one keeps a few bytes per user (its latest status and
// types) and what the HTML page shows (a timeline, errors, times per type); pass two, with
// --failed-out, reads them again for the users still to do. Any number of ledgers (shards):
// in the order given, a user's latest record wins.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>
#include <boost/unordered_map.hpp>

#include "cli/report_reach.hpp"
#include "io/device_type.hpp"
#include "io/job.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_record.hpp"

namespace devreset::cli {

struct report_options {
  std::vector<std::string> ledgers;
  std::string format = "text", failed_out, html, csv;
  bool force = false;  // --failed-out, --html, --csv may replace an existing file (never a ledger)
  /// The ledgers' names for people: "a.jsonl" or "a.jsonl, b.jsonl (2 ledgers)".
  std::string names() const;
};

/// What the HTML page shows beyond the counts.
struct report_details {
  struct second {
    std::uint64_t users = 0, not_ok = 0, retries = 0, throttled = 0;
  };
  std::map<std::int64_t, second> timeline;  ///< by Unix second of finished_at
  /// The timeline's sums: every user record's retries (requests sent again) and 429s.
  second totals() const {
    second all;
    for (const auto& [t, s] : timeline) {
      all.users += s.users, all.not_ok += s.not_ok;
      all.retries += s.retries, all.throttled += s.throttled;
    }
    return all;
  }
  struct reason {
    std::uint64_t count = 0;
    std::vector<std::string> examples;  ///< a few users (identifiers, printable)
  };
  std::map<std::string, reason> errors;     ///< by error text (at most 1000 different)
  std::array<std::uint64_t, 40> type_ms{};  ///< per-type times: bucket k holds [2^(k-1), 2^k) ms
  std::vector<boost::json::object> run_records, summary_records;
};

// What the report keeps per user: a few bytes, never the id (ids are re-read in pass two).
struct user_state {
  std::uint64_t last_line = 0;
  std::uint8_t ok = 0;      // types done in any record
  std::uint8_t tried = 0;   // types in any record
  std::uint8_t status = 0;  // io::user_status of the latest record
  bool verified = false;    // its latest record is ok and --verify found nothing left
  std::uint8_t tenant = 0;  // index in ledger_summary::tenants of the tenant its run was on
};

// Pass one: every user's state, the runs and their ends.
struct ledger_summary {
  /// Users are keyed by tenant, realm and identifier: the same name on two tenants is two
  /// users (issue 30).
  boost::unordered_map<std::uint64_t, user_state> users;
  std::vector<std::string> tenants;  ///< the tenants the runs were on, in order, each once
  std::map<std::string, std::uint8_t, std::less<>> run_tenants;  ///< run_id -> index in tenants
  std::vector<std::array<std::uint64_t, io::user_status_count>>
      by_tenant_status;  ///< [tenant][user_status]
  std::vector<run_facts> runs;
  std::vector<std::string> running;  ///< "ledger (PID n)": ledgers a run is writing now
  std::uint64_t summaries = 0, interrupted = 0;
  io::ledger_scan scan;  // all ledgers together (bad_lines: of the first that has any)
  std::string bad_in;    // the ledger of scan.bad_lines
  report_details details;
  std::array<std::uint64_t, io::user_status_count> by_status{};
  std::uint64_t verified = 0;  // users whose devices a --verify listing found gone
  std::array<std::array<std::uint64_t, 2>, io::device_type_count>
      by_type{};  // [type][0 ok, 1 not ok]
  std::array<std::uint64_t, io::device_type_count>
      removed{};  ///< [type]: devices removed, every record
  std::array<std::uint64_t, io::device_type_count>
      untold{};  ///< [type]: reset actions (AM tells no count)
  std::uint64_t added_since_plan = 0, gone_since_plan = 0;  ///< run --plan: the drift, all records
  /// A cleanup by age: [type] devices kept as used since the cut-off, kept as undated; and
  /// the devices removed by their last use before the record ([age_bands]: under 90 days,
  /// 90 to 180, 180 to 365, a year or more, no date).
  bool by_age = false;
  std::array<std::uint64_t, io::device_type_count> kept_recent{}, kept_undated{};
  static constexpr std::array<const char*, 5> age_bands = {
      "under 90 days", "90-180 days", "180-365 days", "a year or more", "no date"};
  std::array<std::uint64_t, 5> removed_by_age{};
  std::uint64_t count(io::user_status s) const { return by_status[static_cast<std::size_t>(s)]; }
};

// What pass two and the inputs' second reading found.
struct still_to_do {
  std::uint64_t written = 0;
  std::vector<unreached> inputs;
  std::uint64_t not_reached = 0;
  bool unreadable = false;
};

/// The users' statuses in the order reports show them.
inline constexpr std::array user_statuses = {io::user_status::ok,      io::user_status::partial,
                                             io::user_status::failed,  io::user_status::not_found,
                                             io::user_status::invalid, io::user_status::planned};

/// A CSV field, quoted when it must be.
std::string csv_field(std::string_view s);

/// Pass one over every ledger of `o`. Throws io::ledger_error when one cannot be read.
ledger_summary read_ledgers(const report_options& o);

/// Each user's latest record (pass two), in the ledgers' order.
void for_each_latest(
    const report_options& o, const ledger_summary& l,
    const std::function<void(const boost::json::object&, const user_state&)>& each);

/// How a record names its user: the identifier kind and text (by user name or mail when the
/// input did, else by _id).
std::pair<io::id_kind, std::string_view> named_by(const boost::json::object& rec);

/// A record's field as text: a string as it is, a run reference by its run_id, anything else
/// as JSON; empty when missing or null.
std::string field(const boost::json::object& o, std::string_view key);

/// A record's devices by type: those a plan found ("webauthn 2;oath 1"), or those a run
/// removed ("reset" where the reset action told no count); a cleanup by age adds what it
/// kept ("oath 1 (kept 2 recent, 0 undated)").
std::string devices_of(const boost::json::object& rec);

/// With `out`: the users still to do at their latest record (CSV rows for --failed-out), then
/// those the unfinished runs never reached; without, only the count of the latter.
still_to_do find_still_to_do(const report_options& o, const ledger_summary& l, std::ostream* out);

}  // namespace devreset::cli
