// The end-of-run summary for people, and the line of devices removed that the report says
// alike.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "engine/run_stats.hpp"
#include "io/device_type.hpp"

namespace devreset::cli {

/// The end-of-run summary for people (stderr).
std::string summary_text(const engine::run_stats& s, double elapsed_s);

/// "Devices removed:  webauthn 39  (and by the reset action, which tells no count, those of
/// users: oath 480)": devices removed by type, and the users whose devices a bare reset action
/// removed (AM does not say how many); empty when neither. The run's summary and report say
/// it alike.
std::string devices_removed_text(const std::array<std::uint64_t, io::device_type_count>& removed,
                                 const std::array<std::uint64_t, io::device_type_count>& by_action);

}  // namespace devreset::cli
