// Durations as people write them.
#include <gtest/gtest.h>

#include "io/duration.hpp"

namespace devreset::io {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ReadsMillisecondsSecondsMinutesHours) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3600000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("180d"), milliseconds(180LL * 86400000));
  EXPECT_EQ(parse_duration("26w"), milliseconds(26LL * 7 * 86400000));
}

TEST(Duration, RejectsMissingOrUnknownUnitsWithAReason) {
  std::string error;
  EXPECT_FALSE(parse_duration("30", &error).has_value());
  EXPECT_EQ(error,
            "invalid duration '30': a unit is needed: ms, s, m, h, d or w (e.g. 250ms, 30s, 180d)");
  EXPECT_FALSE(parse_duration("3y", &error).has_value());
  EXPECT_EQ(error, "invalid duration '3y': unknown unit 'y' (ms, s, m, h, d or w)");
  EXPECT_FALSE(parse_duration("fast", &error).has_value());
  EXPECT_FALSE(parse_duration("-1s", &error).has_value());
  EXPECT_FALSE(parse_duration("1e400s", &error).has_value());
}

TEST(Duration, FormatsTheShortestExactForm) {
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(30000)), "30s");
  EXPECT_EQ(format_duration(milliseconds(120000)), "2m");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(24LL * 3600000)), "24h");
  EXPECT_EQ(format_duration(milliseconds(48LL * 3600000)), "2d");
}

}  // namespace
}  // namespace devreset::io
