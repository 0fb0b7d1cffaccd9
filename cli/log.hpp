// Lines for people on stderr: written whole and never failing, and, in a log, each stamped
// with the time or written as one JSON object.
#pragma once

#include <string>
#include <string_view>

namespace devreset::cli {

/// Writes `text` to stderr whole, and never fails: a closed stderr or a pipe whose reader
/// died (SIGPIPE is ignored) must not end a run or skip its ledger's summary record. In a
/// log (set_log_style), each line is stamped with the time, or is one JSON object.
void tell(std::string_view text);

/// How tell() writes lines: as they are (a terminal), each after an ISO-8601 UTC time (a
/// log a person reads later: cron, Kubernetes), or one JSON object a line ({"time", "run_id",
/// "message"}: for log shippers).
enum class log_style { text, timestamped, json };
void set_log_style(log_style style);
/// The run id that JSON lines carry (empty: none yet).
void set_log_run_id(std::string run_id);

}  // namespace devreset::cli
