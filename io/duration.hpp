// Durations as people write them on command lines and in config files: "250ms", "30s",
// "2m", "1.5s", "1h", "180d", "26w"; "0" alone means zero.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace devreset::io {

/// Parses a duration; nullopt (and `error` filled) when it is not one.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* error = nullptr);

/// "250ms", "30s", "2m", "1h", "180d" — the shortest exact form.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace devreset::io
