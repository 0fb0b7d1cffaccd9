// `report --html`: the ledgers as one self-contained page (inline CSS and SVG, no script,
// nothing from the network: it opens from a USB stick on an air-gapped laptop, prints on A4
// and reads on a phone). `report --csv` is cli/report_csv.hpp's.
#pragma once

#include <optional>
#include <string>

#include "cli/report_ledger.hpp"
#include "io/plan_file.hpp"

namespace devreset::cli {

std::string report_html(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                        const std::optional<io::plan_info>& plan);

/// Text safe inside HTML elements and attribute values.
std::string html_escape(std::string_view s);

}  // namespace devreset::cli
