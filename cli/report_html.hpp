// `report --html` and `report --csv`: the ledgers as one self-contained page (inline CSS
// and SVG, no script, nothing from the network: it opens from a USB stick on an air-gapped
// laptop, prints on A4 and reads on a phone) and as one CSV row per user.
#pragma once

#include <optional>
#include <string>

#include "cli/report_ledger.hpp"
#include "io/plan_file.hpp"

namespace devreset::cli {

std::string report_html(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                        const std::optional<io::plan_info>& plan);

/// identifier,named_by,user_id,realm,status,types_done,types_not_done,error
std::string report_csv(const report_options& o, const ledger_summary& l);

/// Text safe inside HTML elements and attribute values.
std::string html_escape(std::string_view s);

}  // namespace devreset::cli
