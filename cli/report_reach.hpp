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

/// Whether a user (realm path, id) has a record in the ledger.
/// Whether the ledger has a record of the user with this key (user_type_map's key of the
/// realm and the identifier the input gives).
using has_record = std::function<bool(std::uint64_t key)>;
/// Called for each user not reached, as the input row gives it.
using on_unreached = std::function<void(const io::job& j)>;

/// For every run that did not finish, the users of its input with no record (each input
/// read once, each user counted once).
std::vector<unreached> find_unreached(const std::vector<run_facts>& runs, const has_record& known,
                                      const on_unreached& each);

}  // namespace devreset::cli
