// `devreset run --plan`: the plan checked against the run (its tenant, realm, types, age;
// a ledger of its own), and the words that name it in the confirmation and the log.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "cli/run_options.hpp"
#include "io/plan_file.hpp"

namespace devreset::cli {

/// Reads the plan of `r.plan` and checks it fits this run on `tenant`; says why not on
/// stderr (nothing is sent: exit 2). Narrows `r.rows.default_types` to the plan's types
/// (or checks that --types only narrows them) and takes the plan's realm.
std::optional<io::plan_info> check_plan(run_request& r, const std::string& tenant);

/// "apply plan 20261129T003102-1a2b3c4d (plan.jsonl, made 2026-11-29T00:31:02.512Z, 3 h ago)
/// on https://…/am: remove 306 oath, 192 push devices of 500 users, and any registered since"
std::string plan_phrase(const run_request& r, const io::plan_info& plan, const std::string& tenant);

/// `report` of a plan ledger: what a run would remove per type, the plan's age, and how to
/// apply it (several lines, each ending in a newline).
std::string plan_report_text(const io::plan_info& plan, const std::string& ledger);
/// The same for `report --format json`.
boost::json::object plan_report_json(const io::plan_info& plan);

}  // namespace devreset::cli
