// The metrics file's text: label values escaped as Prometheus' text format wants them.
#include <gtest/gtest.h>

#include "cli/metrics.hpp"

namespace devreset::cli {
namespace {

TEST(Metrics, LabelValuesAreEscaped) {
  // A backslash, a double quote and a newline in a label value would end it early or break
  // the line: each is escaped (\\, \", \n), nothing else.
  metrics_facts f{"run-1", "https://t.example/am", "/realms/root/realms/a\\b\"c\nd", "reset"};
  const auto text = metrics_text(f, engine::run_stats{}, std::nullopt, 0);
  EXPECT_NE(text.find(R"(realm="/realms/root/realms/a\\b\"c\nd")"), std::string::npos) << text;
  EXPECT_EQ(text.find("a\\b\"c\nd"), std::string::npos) << "the raw value is never written";
  EXPECT_NE(text.find(R"(tenant="https://t.example/am")"), std::string::npos);
}

}  // namespace
}  // namespace devreset::cli
