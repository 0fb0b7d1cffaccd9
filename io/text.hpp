// Small text helpers shared by the readers and the ledger: trimming, UTF-8 checks,
// printable renderings of untrusted text, and UTC timestamps.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace devreset::io {

/// Strips spaces and tabs at both ends.
std::string_view trim_blanks(std::string_view s) noexcept;

/// ASCII case-insensitive comparison.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Levenshtein distance (for short names: did-you-mean suggestions).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Index of the first C0 control character or DEL in `s`, or npos.
std::size_t find_control_char(std::string_view s) noexcept;

/// A rendering of untrusted bytes that is safe to print and to put in JSON: control
/// characters and bytes that are not valid UTF-8 become `\xNN`, and text longer than
/// `max_bytes` is cut with "..." appended.
std::string printable(std::string_view s, std::size_t max_bytes = 120);

/// A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP's CSV injection
/// advice): a value starting with '=', '+', '-', '@', tab or CR gets a leading `'`, and so
/// does one that starts with `'` followed by one of those or by another `'`, so that
/// from_spreadsheet_cell gives every value back exactly.
std::string spreadsheet_cell(std::string_view s);
/// spreadsheet_cell undone: a leading `'` before one of the characters above is dropped.
std::string_view from_spreadsheet_cell(std::string_view s) noexcept;

/// "2026-11-28T16:00:00.123Z" (UTC, milliseconds).
std::string format_utc(std::chrono::system_clock::time_point t);
/// format_utc's form read back (the fraction optional); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

}  // namespace devreset::io
