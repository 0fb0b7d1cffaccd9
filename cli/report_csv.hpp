// `report --csv`: one row per user at their latest record, and a row for each user the
// unfinished runs never reached.
#pragma once

#include <string>

#include "cli/report_ledger.hpp"

namespace devreset::cli {

/// identifier,named_by,user_id,realm,status,types_done,types_not_done,devices,error
std::string report_csv(const report_options& o, const ledger_summary& l);

}  // namespace devreset::cli
