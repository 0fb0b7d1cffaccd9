// Small text helpers: trimming, UTF-8 validation, printable renderings, timestamps.
#include "io/text.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include <ctime>

namespace devreset::io {

std::string_view trim_blanks(std::string_view s) noexcept {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && blank(s.back()))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not well formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    auto n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t find_control_char(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return i;
  }
  return std::string_view::npos;
}

namespace {

// The code point of a well-formed sequence of `n` bytes at s[i].
char32_t code_point(std::string_view s, std::size_t i, std::size_t n) noexcept {
  auto b = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]));
  };
  if (n == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (n == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

// C1 controls (U+0080-U+009F: U+009B is a CSI on many terminals), format characters that
// reorder or hide text (bidi embeddings, overrides and isolates, zero-width marks, the BOM,
// tags) and the line and paragraph separators: shown escaped, never raw.
bool hidden_or_control(char32_t c) noexcept {
  if (c >= 0x80 && c <= 0x9F) return true;
  if (c == 0xAD || c == 0x061C || c == 0x180E || c == 0xFEFF) return true;
  if ((c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E)) return true;
  if ((c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206F)) return true;
  if (c >= 0xFFF9 && c <= 0xFFFB) return true;
  return c == 0xE0001 || (c >= 0xE0020 && c <= 0xE007F);
}

}  // namespace

std::string printable(std::string_view s, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 8);
  for (std::size_t i = 0; i < s.size();) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    auto n = utf8_sequence_length(s, i);
    if (n == 0 || c < 0x20 || c == 0x7f || c == '\\') {
      if (c == '\\') {
        out += "\\\\";
      } else {
        out += fmt::format("\\x{:02X}", c);
      }
      ++i;
    } else if (n > 1 && hidden_or_control(code_point(s, i, n))) {
      out += fmt::format("\\u{{{:04X}}}", static_cast<std::uint32_t>(code_point(s, i, n)));
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  // "2026-11-28T16:00:00.123Z" (format_utc's form; the fraction and its length optional).
  std::tm tm{};
  std::string s(text.substr(0, 64));
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int ms = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 3) ms = ms * 10 + (*rest - '0');
    }
    for (; digits < 3; ++digits)
      ms *= 10;
  }
  if (std::string_view(rest) != "Z") return std::nullopt;
  const auto secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) + std::chrono::milliseconds(ms);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

bool starts_a_formula(char c) noexcept {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

bool escaped_cell(std::string_view s) noexcept {
  return s.size() > 1 && s[0] == '\'' && (starts_a_formula(s[1]) || s[1] == '\'');
}

}  // namespace

std::string spreadsheet_cell(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 1);
  if ((!s.empty() && starts_a_formula(s[0])) || escaped_cell(s)) out += '\'';
  out += s;  // appended, not "'" + std::string(s): GCC 12 at -O3 warns of that (array-bounds)
  return out;
}

std::string_view from_spreadsheet_cell(std::string_view s) noexcept {
  return escaped_cell(s) ? s.substr(1) : s;
}

}  // namespace devreset::io
