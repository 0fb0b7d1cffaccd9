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

TEST(FormatUtc, WritesIsoTimestampsWithMilliseconds) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1795881600123)};  // 2026-11-28T16:00:00.123Z
  EXPECT_EQ(format_utc(t), "2026-11-28T16:00:00.123Z");
  EXPECT_EQ(format_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace devreset::io
