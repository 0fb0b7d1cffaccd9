// Duration parsing and formatting.
#include "io/duration.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "io/text.hpp"

namespace devreset::io {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<std::chrono::milliseconds> {
    if (error) *error = fmt::format("invalid duration '{}': {}", printable(text, 40), why);
    return std::nullopt;
  };
  auto s = trim_blanks(text);
  if (s == "0") return std::chrono::milliseconds(0);
  std::size_t digits = 0;
  while (digits < s.size() && ((s[digits] >= '0' && s[digits] <= '9') || s[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return fail("expected a number followed by ms, s, m or h (e.g. 250ms, 30s)");
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + digits, value);
  if (ec != std::errc() || end != s.data() + digits) return fail("not a number");
  auto unit = s.substr(digits);
  double ms_per_unit;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m" || unit == "min") {
    ms_per_unit = 60000;
  } else if (unit == "h") {
    ms_per_unit = 3600000;
  } else if (unit == "d") {
    ms_per_unit = 86400000;
  } else if (unit == "w") {
    ms_per_unit = 7 * 86400000.0;
  } else if (unit.empty()) {
    return fail("a unit is needed: ms, s, m, h, d or w (e.g. 250ms, 30s, 180d)");
  } else {
    return fail(fmt::format("unknown unit '{}' (ms, s, m, h, d or w)", printable(unit, 10)));
  }
  double ms = value * ms_per_unit;
  if (!std::isfinite(ms) || ms > 1e13) return fail("too long");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  // Days from two on ("180d"); a day stays "24h", as --plan-max-age's default is written.
  if (ms % 86400000 == 0 && ms >= 2 * 86400000) return fmt::format("{}d", ms / 86400000);
  if (ms % 3600000 == 0) return fmt::format("{}h", ms / 3600000);
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

}  // namespace devreset::io
