// The sim's CREST query filter parser: the grammar, precedence, escapes, errors, and the
// equality keys it looks up in its index.
#include <gtest/gtest.h>

#include <map>

#include "sim/idm_filter.hpp"

namespace devreset::sim {
namespace {

// Whether a filter matches an object with these attributes.
bool match(std::string_view filter, const std::map<std::string, std::string>& attrs) {
  auto f = parse_filter(filter);
  if (auto* why = std::get_if<std::string>(&f)) {
    ADD_FAILURE() << filter << ": " << *why;
    return false;
  }
  return matches(std::get<filter_node>(f),
                 [&](std::string_view a) -> std::optional<std::string_view> {
                   auto it = attrs.find(std::string(a));
                   if (it == attrs.end()) return std::nullopt;
                   return it->second;
                 });
}

std::string error_of(std::string_view filter) {
  auto f = parse_filter(filter);
  auto* why = std::get_if<std::string>(&f);
  return why ? *why : "";
}

const std::map<std::string, std::string> alice{{"userName", "alice"},
                                               {"mail", "Alice@Example.com"}};

TEST(IdmFilter, ComparesAsTheDirectoryDoes) {
  EXPECT_TRUE(match(R"(userName eq "alice")", alice));
  EXPECT_TRUE(match(R"(userName eq "ALICE")", alice)) << "case ignored";
  EXPECT_TRUE(match(R"(/userName eq "alice")", alice)) << "a JSON pointer";
  EXPECT_FALSE(match(R"(userName eq "alic")", alice));
  EXPECT_TRUE(match(R"(mail co "example")", alice));
  EXPECT_TRUE(match(R"(mail sw "alice@")", alice));
  EXPECT_TRUE(match(R"(userName gt "aaa" and userName lt "b")", alice));
  EXPECT_TRUE(match("mail pr", alice));
  EXPECT_FALSE(match("givenName pr", alice));
  EXPECT_FALSE(match(R"(givenName eq "alice")", alice)) << "no such attribute: no match";
  EXPECT_TRUE(match("true", alice));
  EXPECT_FALSE(match("false", alice));
  EXPECT_FALSE(match("userName eq 5", alice)) << "a number never equals a string";
}

TEST(IdmFilter, AndBindsTighterThanOrAndNotTighterStill) {
  EXPECT_TRUE(match(R"(userName eq "bob" or userName eq "alice" and mail pr)", alice));
  EXPECT_FALSE(match(R"((userName eq "bob" or userName eq "alice") and givenName pr)", alice));
  EXPECT_TRUE(match(R"(!userName eq "bob")", alice));
  EXPECT_FALSE(match(R"(!(userName eq "alice" or false))", alice));
  EXPECT_TRUE(match(R"(userName EQ "alice" AND true)", alice)) << "keywords in any case";
}

TEST(IdmFilter, ABackslashKeepsTheNextCharacterSoNoValueWidensTheFilter) {
  const std::map<std::string, std::string> odd{{"userName", R"(x" or true or userName eq ")"}};
  EXPECT_TRUE(match(R"(userName eq "x\" or true or userName eq \"")", odd));
  EXPECT_FALSE(match(R"(userName eq "x\" or true or userName eq \"")", alice))
      << "the escaped quotes are part of the value, not the filter";
  const std::map<std::string, std::string> slash{{"userName", R"(a\b)"}};
  EXPECT_TRUE(match(R"(userName eq "a\\b")", slash));
  EXPECT_FALSE(match(R"(userName eq "a\\b")", alice));
}

TEST(IdmFilter, ErrorsSayWhatAndWhere) {
  EXPECT_NE(error_of(R"(userName eq "alice)").find("unterminated string"), std::string::npos);
  EXPECT_NE(error_of(R"(userName equals "x")").find("expected an operator"), std::string::npos);
  EXPECT_NE(error_of(R"((userName eq "x")").find("expected ')'"), std::string::npos);
  EXPECT_NE(error_of(R"(userName eq "x" "y")").find("unexpected text at position 17"),
            std::string::npos);
  EXPECT_NE(error_of("userName eq").find("expected a value"), std::string::npos);
  EXPECT_NE(error_of("").find("expected a field"), std::string::npos);
  EXPECT_NE(error_of(std::string(1000, '(') + "true" + std::string(1000, ')')).find("too deep"),
            std::string::npos)
      << "a hostile nesting is refused, not a stack overflow";
}

TEST(IdmFilter, EqualityKeysNameTheCandidates) {
  auto keys = [](std::string_view filter) {
    return equality_keys(std::get<filter_node>(parse_filter(filter)));
  };
  auto k = keys(R"(userName eq "a" or userName eq "b" or mail eq "c")");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->size(), 3u);
  EXPECT_EQ((*k)[2], (std::pair<std::string, std::string>{"mail", "c"}));
  EXPECT_TRUE(keys(R"(userName eq "a" and mail co "x")"));
  EXPECT_FALSE(keys(R"(userName eq "a" or mail co "x")")) << "one part needs a scan";
  EXPECT_FALSE(keys("true"));
  EXPECT_FALSE(keys(R"(!userName eq "a")"));
}

}  // namespace
}  // namespace devreset::sim
