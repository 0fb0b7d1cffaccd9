// Text helpers: UTF-8 validation, printable renderings, UTC timestamps.
#include <gtest/gtest.h>

#include "io/text.hpp"

namespace devreset::io {
namespace {

TEST(Utf8, AcceptsWellFormedAndRejectsMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("j\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x94\x91"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // cut short
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Printable, EscapesControlsAndBadBytesAndCutsLongText) {
  EXPECT_EQ(printable("a\tb\x7f"), "a\\x09b\\x7F");
  EXPECT_EQ(printable("\xFFok"), "\\xFFok");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(printable("j\xC3\xBCrgen"), "j\xC3\xBCrgen");
  EXPECT_EQ(printable(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
}

// Issue 22: nothing a tenant says reaches a terminal raw: C1 controls (U+009B is a CSI),
// bidi overrides and isolates, zero-width and other format characters are escaped.
TEST(Printable, EscapesC1ControlsAndBidiAndFormatCharacters) {
  EXPECT_EQ(printable("a\xC2\x9B"
                      "31mb"),
            "a\\u{009B}31mb");
  EXPECT_EQ(printable("x\xE2\x80\xAEy"), "x\\u{202E}y");
  EXPECT_EQ(printable("\xE2\x81\xA6z\xE2\x81\xA9"), "\\u{2066}z\\u{2069}");
  EXPECT_EQ(printable("\xE2\x80\x8B\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C\xEF\xBB\xBF"),
            "\\u{200B}\\u{200E}\\u{200F}\\u{061C}\\u{FEFF}");
  EXPECT_EQ(printable("\xE2\x80\xA8"), "\\u{2028}") << "a line separator";
  // Letters of any script stay as they are.
  EXPECT_EQ(printable("Zoë ünïcödé 日本 ש"), "Zoë ünïcödé 日本 ש");
}

TEST(FormatUtc, WritesIsoTimestampsWithMilliseconds) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1795881600123)};  // 2026-11-28T16:00:00.123Z
  EXPECT_EQ(format_utc(t), "2026-11-28T16:00:00.123Z");
  EXPECT_EQ(format_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace devreset::io
