// The ledger's run and summary records: their JSON, field by field where it has rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "io/run_records.hpp"

namespace devreset::io {
namespace {

namespace json = boost::json;

TEST(RunRecords, ARunRecordSaysNullForWhatWasNotGiven) {
  run_record r;
  r.run_id = "r1";
  r.mode = "reset";
  auto o = to_json(r);
  EXPECT_EQ(o.at("record"), "run");
  EXPECT_TRUE(o.at("proxy").is_null());
  EXPECT_TRUE(o.at("delimiter").is_null());
  EXPECT_TRUE(o.at("shard").is_null());
  EXPECT_FALSE(o.contains("demo"));
  EXPECT_FALSE(o.contains("plan"));
  r.shard = "2/4";
  r.plan = run_record::plan_ref{"p1", "/x/plan.jsonl", "2026-12-01T00:00:00Z", "ab", true};
  o = to_json(r);
  EXPECT_EQ(o.at("shard"), "2/4");
  EXPECT_EQ(o.at("plan").at("strict"), true);
}

TEST(RunRecords, ASummaryLeavesOutZerosAndRoundsToATenth) {
  summary_record s;
  s.run_id = "r1";
  s.end = "finished";
  s.users[static_cast<std::size_t>(user_status::ok)] = 3;
  s.types[index(device_type::push)][static_cast<std::size_t>(result_status::ok)] = 3;
  s.devices_removed[index(device_type::push)] = 4;
  s.latency_ms.p50 = 12.345;
  s.requests_per_s = 99.96;
  auto o = to_json(s);
  EXPECT_EQ(o.at("users").at("ok"), 3);
  EXPECT_EQ(o.at("users").at("failed"), 0) << "every status is said, zero or not";
  ASSERT_TRUE(o.at("types").as_object().contains("push"));
  EXPECT_FALSE(o.at("types").as_object().contains("oath")) << "a type nothing happened to";
  EXPECT_EQ(o.at("types").at("push").at("devices_removed"), 4);
  EXPECT_FALSE(o.at("types").at("push").as_object().contains("failed"));
  EXPECT_DOUBLE_EQ(o.at("latency_ms").at("p50").as_double(), 12.3);
  EXPECT_DOUBLE_EQ(o.at("requests_per_s").as_double(), 100.0);
  EXPECT_FALSE(o.contains("reason"));
  EXPECT_FALSE(o.contains("plan"));
  s.reason = "interrupted";
  s.plan = summary_record::plan_outcome{"p1", 1, 2, 3, 4, 5};
  o = to_json(s);
  EXPECT_EQ(o.at("reason"), "interrupted");
  EXPECT_EQ(o.at("plan").at("users_outside_types"), 5);
}

}  // namespace
}  // namespace devreset::io
