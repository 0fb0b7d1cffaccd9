// What a ledger's runs set out to do against what they did: the users of their inputs that
// no record covers (not reached: an interrupted or aborted run, a crash), found by reading
// each input again with the same readers the run used.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "io/job.hpp"

namespace devreset::cli {

/// One run of the ledger, from its run record and its summary record.
struct run_facts {
  std::string run_id;
  std::string mode;          ///< "reset" or "plan"
  std::string tenant;        ///< tenant_url() form
  std::string input;         ///< as given
  std::string input_path;    ///< absolute, when recorded
  std::string input_format;  ///< csv, json, jsonl
  std::string realm;         ///< default realm path
  std::string types;         ///< default types, "oath,push"
  std::string shard;         ///< "K/N" (--shard); empty: every user of the input
  std::string plan_run_id;   ///< run --plan: the plan applied (its run id)
  std::string plan_sha256;   ///< and its file's SHA-256, as the run read it
  long running_pid = 0;      ///< the run is going on now: the process writing its ledger
  std::string end;           ///< "finished", "interrupted", "aborted"; empty: no summary (a crash)
  std::string reason;        ///< why it ended, from the summary
};

/// Reads a run record ({"record":"run",...}).
run_facts run_facts_of(const boost::json::object& run);

/// The users of one input that no record covers.
struct unreached {
  std::string input;  ///< the input, as the run named it
  std::string why;    ///< "the run was interrupted", "the run ended without a summary (a crash)"
  std::uint64_t users = 0;  ///< distinct users in it without a record
  std::string problem;      ///< not empty: the input could not be read again (why)
};

/// The report's key of a user: the tenant, the realm and the identifier (user_type_map's
/// keyed hash of them): the same name on two tenants is two users (issue 30).
std::uint64_t report_key(std::string_view tenant, std::string_view realm, io::id_kind kind,
                         std::string_view identifier);

/// Whether the ledger has a record of the user with this key (report_key of the run's
/// tenant, the realm and the identifier the input gives).
using has_record = std::function<bool(std::uint64_t key)>;
/// Called for each user not reached, as the input row gives it.
using on_unreached = std::function<void(const io::job& j)>;

/// The end of a run that report adds for a shard of a sharded set that no ledger given holds.
inline constexpr std::string_view missing_shard = "missing shard";

/// `runs` and, for each sharded input (the same file, format, realm, types and N) of which the
/// runs name two shards or more (a merged set), a run that never happened for each shard K of
/// N that no run names: its users were never reached.
std::vector<run_facts> with_missing_shards(std::vector<run_facts> runs);
/// The sharded inputs of which the runs name one shard only ("1/4 of users.csv"): a report of
/// that shard alone, the others' users in their own ledgers.
std::vector<std::string> lone_shards(const std::vector<run_facts>& runs);

/// For every run that did not finish, the users of its input with no record (each input
/// read once, each user counted once).
std::vector<unreached> find_unreached(const std::vector<run_facts>& runs, const has_record& known,
                                      const on_unreached& each);

}  // namespace devreset::cli
