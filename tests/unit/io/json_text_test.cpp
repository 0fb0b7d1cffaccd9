// JSON as people write it: numbers without exponents where people write none, and every
// number reads back equal.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <limits>

#include "io/json_text.hpp"
#include "io/ledger_record.hpp"

namespace devreset::io {
namespace {

namespace json = boost::json;

TEST(JsonText, NumbersAsPeopleWriteThem) {
  json::object o{{"a", 4.7}, {"b", 0.0}, {"c", 50.0}, {"d", -3}, {"e", 18446744073709551615ull}};
  EXPECT_EQ(json_text(o), R"({"a":4.7,"b":0,"c":50,"d":-3,"e":18446744073709551615})");
}

TEST(JsonText, EveryNumberReadsBackEqual) {
  const double values[] = {4.7,       0.0,    0.1,    1e-7,    123456.789, 1e300,
                           -2.5e-300, 8.14,   17.25,  1.0 / 3, 2.0e15,     99999999.5,
                           1e21,      5e-324, -0.001, 1024.75, 3.6e3};
  for (double v : values) {
    auto text = json_text(json::value(v));
    ASSERT_TRUE(json::parse(text).is_number()) << text;
    // strtod rounds correctly (Boost 1.81's parser is off by an ulp at the extremes).
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
  }
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
}

TEST(JsonText, BytesThatAreNotUtf8StayReadableJson) {
  const auto text = json_text(json::value(json::string("caf\xe9.csv")));  // a Latin-1 name
  auto back = json::parse(text);
  ASSERT_TRUE(back.is_string()) << text;
  EXPECT_EQ(back.get_string(), "caf\\xE9.csv");
}

TEST(JsonText, AUserRecordReadsBackWithTheSameFiguresAndNoExponent) {
  user_record r;
  r.run_id = "r";
  r.user_id = "u\"1\n";  // escaped by Boost.JSON's serializer
  r.realm = "/realms/root";
  r.status = user_status::ok;
  type_result t;
  t.elapsed_ms = 4.7;
  t.status = result_status::ok;
  r.results.push_back(t);
  r.elapsed_ms = 0;
  const auto text = json_text(to_json(r));
  EXPECT_EQ(text.find("E0"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("elapsed_ms":4.7)"), std::string::npos) << text;
  auto back = user_record_from_json(json::parse(text).get_object());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, r.user_id);
  EXPECT_EQ(back->results[0].elapsed_ms, 4.7);
  EXPECT_EQ(back->elapsed_ms, 0);
}

}  // namespace
}  // namespace devreset::io
