// The dispatcher: invalid rows recorded, duplicates done once, resumed work skipped, and
// rows pulled one at a time (nothing read ahead).
#include <gtest/gtest.h>

#include <sstream>

#include "engine/dispatcher.hpp"
#include "engine/run_stats.hpp"
#include "io/job_reader.hpp"

namespace devreset::engine {
namespace {

using io::device_type;

// A reader that counts how many rows were asked of it.
class counting_reader final : public io::job_reader {
 public:
  explicit counting_reader(std::unique_ptr<io::job_reader> inner) : inner_(std::move(inner)) {}
  std::optional<io::input_row> next() override {
    ++pulled;
    return inner_->next();
  }
  std::uint64_t bytes_read() const override { return inner_->bytes_read(); }
  int pulled = 0;

 private:
  std::unique_ptr<io::job_reader> inner_;
};

counting_reader reader_of(const std::string& csv) {
  return counting_reader(io::make_job_reader(std::make_unique<std::istringstream>(csv),
                                             io::input_format::csv, {}, "in.csv"));
}

TEST(Dispatcher, PullsOneRowAtATime) {
  auto reader = reader_of("user_id\nu1\nu2\nu3\n");
  run_stats stats;
  dispatcher d(
      reader, nullptr, stats, [](const io::user_record&) {}, "r");
  ASSERT_TRUE(d.next().has_value());
  EXPECT_EQ(reader.pulled, 1) << "nothing is read ahead of the workers";
  ASSERT_TRUE(d.next().has_value());
  EXPECT_EQ(reader.pulled, 2);
}

TEST(Dispatcher, ABudgetBoundsTheRowsReadInOneCall) {
  std::string csv = "user_id\n";
  for (int i = 0; i < 100; ++i)
    csv += "dup\n";
  csv += "last\n";
  auto reader = reader_of(csv);
  run_stats stats;
  dispatcher d(
      reader, nullptr, stats, [](const io::user_record&) {}, "r");
  ASSERT_EQ(d.next(10)->user_id, "dup");
  int calls = 0;
  std::optional<io::job> j;
  while (!(j = d.next(10)) && !d.ended())
    ++calls;
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->user_id, "last");
  EXPECT_EQ(calls, 9) << "99 duplicates, at most 10 rows a call";
  EXPECT_EQ(stats.duplicates, 99u);
  EXPECT_FALSE(d.next(10).has_value());
  EXPECT_TRUE(d.ended());
}

TEST(Dispatcher, RecordsInvalidRowsAndGoesOn) {
  auto reader = reader_of("user_id,types\nu1,oath\n,oath\nu2,bogus\nu3,push\n");
  run_stats stats;
  std::vector<io::user_record> invalid;
  dispatcher d(
      reader, nullptr, stats, [&](const io::user_record& r) { invalid.push_back(r); }, "r");
  std::vector<std::string> ids;
  while (auto j = d.next())
    ids.push_back(j->user_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"u1", "u3"}));
  ASSERT_EQ(invalid.size(), 2u);
  EXPECT_EQ(invalid[0].line, 3u);
  EXPECT_EQ(invalid[0].status, io::user_status::invalid);
  EXPECT_EQ(invalid[0].reason, "empty user id");
  EXPECT_EQ(invalid[1].user_id, "u2");
  EXPECT_EQ(invalid[1].run_id, "r");
  EXPECT_EQ(stats.user_count(io::user_status::invalid), 2u);
  EXPECT_EQ(stats.rows_read, 4u);
}

TEST(Dispatcher, DoesEachUserAndTypeOnce) {
  auto reader = reader_of("user_id,types\nu1,oath\nu1,oath\nu1,oath;push\nu2,oath\n");
  run_stats stats;
  dispatcher d(
      reader, nullptr, stats, [](const io::user_record&) {}, "r");
  auto a = d.next();
  EXPECT_EQ(a->types, io::type_set{device_type::oath});
  auto b = d.next();
  EXPECT_EQ(b->user_id, "u1");
  EXPECT_EQ(b->types, io::type_set{device_type::push}) << "only what is new";
  EXPECT_EQ(d.next()->user_id, "u2");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_EQ(stats.duplicates, 1u);
}

// The same id in two realms is two users: each is done, each gets its record.
TEST(Dispatcher, TheSameIdInTwoRealmsIsTwoUsers) {
  auto reader = reader_of("user_id,types,realm\nu1,oath,alpha\nu1,oath,bravo\nu1,oath,alpha\n");
  run_stats stats;
  dispatcher d(
      reader, nullptr, stats, [](const io::user_record&) {}, "r");
  auto a = d.next();
  auto b = d.next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->realm, "/realms/root/realms/alpha");
  EXPECT_EQ(b->user_id, "u1");
  EXPECT_EQ(b->realm, "/realms/root/realms/bravo");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_EQ(stats.duplicates, 1u) << "only the third row, alpha again, is a duplicate";
}

TEST(Dispatcher, SkipsWhatTheResumeIndexSaysIsDone) {
  auto reader = reader_of("user_id,types\nu1,oath;push\nu2,oath\nu3,oath\n");
  io::user_type_map done;
  done.add("/realms/root", "u1", {device_type::oath});
  done.add("/realms/root", "u2", {device_type::oath});
  run_stats stats;
  dispatcher d(
      reader, &done, stats, [](const io::user_record&) {}, "r");
  auto a = d.next();
  EXPECT_EQ(a->user_id, "u1");
  EXPECT_EQ(a->types, io::type_set{device_type::push});
  EXPECT_EQ(d.next()->user_id, "u3");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_EQ(stats.skipped_done, 1u);
}

TEST(Dispatcher, StopsAtAFatalInputError) {
  auto reader = counting_reader(io::make_job_reader(
      std::make_unique<std::istringstream>("[\"u1\", \"u2\""), io::input_format::json, {}, "x"));
  run_stats stats;
  dispatcher d(
      reader, nullptr, stats, [](const io::user_record&) {}, "r");
  EXPECT_EQ(d.next()->user_id, "u1");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_NE(d.fatal_reason().find("not closed"), std::string::npos);
}

// Issue 24: percentiles precise enough to measure a tenant (within 1%), the maximum exact.
TEST(LatencyHistogram, PercentilesWithinOnePercentAndTheExactMaximum) {
  latency_histogram h;
  for (int i = 1; i <= 1000; ++i)
    h.record(std::chrono::microseconds(i * 100));  // 0.1..100 ms
  auto ms = [&](double q) {
    return std::chrono::duration<double, std::milli>(h.percentile(q)).count();
  };
  EXPECT_NEAR(ms(0.5), 50, 50 * 0.01);
  EXPECT_NEAR(ms(0.9), 90, 90 * 0.01);
  EXPECT_NEAR(ms(0.99), 99, 99 * 0.01);
  EXPECT_NEAR(ms(0.999), 99.9, 99.9 * 0.01);
  EXPECT_EQ(h.max(), std::chrono::microseconds(100000));
  // A tenant with a fixed 50 ms latency reads as 50 ms, not as its bucket's upper edge.
  latency_histogram fixed;
  for (int i = 0; i < 100; ++i)
    fixed.record(std::chrono::microseconds(50000 + i));
  const double fixed_p50 = std::chrono::duration<double, std::milli>(fixed.percentile(0.5)).count();
  EXPECT_NEAR(fixed_p50, 50, 1);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(latency_histogram{}.percentile(0.5).count(), 0);
}

}  // namespace
}  // namespace devreset::engine
