// The ledger: writing records, reading them back, torn last lines, the resume index,
// refusing to overwrite, and file safety.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <boost/json.hpp>

#include <csignal>

#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/tenant_path.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::io {
namespace {

namespace json = boost::json;
const std::string tenant_a = "https://a.example/am";

user_record sample_user(std::string id, std::vector<type_result> results, user_status status) {
  user_record r;
  r.run_id = "run-1";
  r.line = 12;
  r.user_id = std::move(id);
  r.realm = "/realms/root/realms/alpha";
  r.status = status;
  r.results = std::move(results);
  r.elapsed_ms = 17.25;
  r.finished_at = std::chrono::system_clock::time_point{std::chrono::milliseconds(1795881600123)};
  return r;
}

type_result ok_reset(device_type t) {
  type_result x;
  x.type = t;
  x.action = "reset";
  x.status = result_status::ok;
  x.http_status = 200;
  x.attempts = 1;
  x.elapsed_ms = 8.14;
  return x;
}

type_result failed(device_type t) {
  type_result x = ok_reset(t);
  x.status = result_status::failed;
  x.http_status = 503;
  x.attempts = 5;
  x.error = "503 Service Unavailable after 5 attempts";
  return x;
}

std::vector<json::object> read_records(const std::filesystem::path& p,
                                       ledger_scan* scan = nullptr) {
  std::vector<json::object> out;
  auto s = scan_ledger(p, [&](const json::object& o, std::uint64_t) { out.push_back(o); });
  if (scan) *scan = s;
  return out;
}

TEST(LedgerRecord, UserRecordHasTheDocumentedShape) {
  type_result wa;
  wa.type = device_type::webauthn;
  wa.action = "list+delete";
  wa.status = result_status::ok;
  wa.found = 2;
  wa.deleted = 2;
  wa.http_status = 200;
  wa.attempts = 1;
  wa.elapsed_ms = 14.0;
  auto r = sample_user("014c54bd", {ok_reset(device_type::oath), wa}, user_status::ok);
  EXPECT_EQ(
      json::serialize(to_json(r)),
      R"({"record":"user","run_id":"run-1","line":12,"user_id":"014c54bd",)"
      R"("realm":"/realms/root/realms/alpha","status":"ok","results":[)"
      R"({"type":"oath","action":"reset","status":"ok","http_status":200,"attempts":1,"retries":0,"elapsed_ms":8.1E0},)"
      R"({"type":"webauthn","action":"list+delete","status":"ok","found":2,"deleted":2,"http_status":200,"attempts":1,"retries":0,"elapsed_ms":1.4E1}],)"
      R"("elapsed_ms":1.73E1,"finished_at":"2026-11-28T16:00:00.123Z"})");
}

TEST(Ledger, WriteThenReadRoundTripsEveryRecordKind) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  {
    ledger_writer w(path, ledger_mode::create);
    w.write(json::object{{"record", "run"}, {"run_id", "run-1"}, {"tenant_url", tenant_a}});
    w.write(sample_user("u1", {ok_reset(device_type::oath), failed(device_type::push)},
                        user_status::partial));
    user_record bad = sample_user("a\tb", {}, user_status::invalid);
    bad.reason = "user id contains a control character";
    w.write(bad);
    w.write(json::object{{"record", "summary"}, {"run_id", "run-1"}, {"users", 2}});
    EXPECT_EQ(w.records_written(), 4u);
  }
  ledger_scan scan;
  auto records = read_records(path, &scan);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(scan.records, 4u);
  EXPECT_FALSE(scan.torn_tail);
  EXPECT_TRUE(scan.bad_lines.empty());
  EXPECT_EQ(records[0].at("record"), "run");
  EXPECT_EQ(records[3].at("record"), "summary");

  auto u = user_record_from_json(records[1]);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->user_id, "u1");
  EXPECT_EQ(u->status, user_status::partial);
  ASSERT_EQ(u->results.size(), 2u);
  EXPECT_EQ(u->results[1].type, device_type::push);
  EXPECT_EQ(u->results[1].status, result_status::failed);
  EXPECT_EQ(u->results[1].attempts, 5);
  EXPECT_EQ(u->results[1].error, "503 Service Unavailable after 5 attempts");

  auto drift = ok_reset(device_type::webauthn);
  drift.added_since_plan = {"d9"};
  drift.gone_since_plan = {"d1", "d2"};
  auto back = user_record_from_json(to_json(sample_user("u2", {drift}, user_status::ok)));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->results[0].added_since_plan, drift.added_since_plan);
  EXPECT_EQ(back->results[0].gone_since_plan, drift.gone_since_plan);

  auto cleanup = ok_reset(device_type::push);  // a cleanup by age: what it kept, and why
  cleanup.kept_recent = 3;
  cleanup.kept_undated = 1;
  cleanup.selected = {{"p1", 1700000000000, 1710000000000}, {"p2", std::nullopt, 1711000000000}};
  auto aged = user_record_from_json(to_json(sample_user("u3", {cleanup}, user_status::ok)));
  ASSERT_TRUE(aged.has_value());
  EXPECT_EQ(aged->results[0].kept_recent, 3);
  EXPECT_EQ(aged->results[0].kept_undated, 1);
  ASSERT_EQ(aged->results[0].selected.size(), 2u);
  EXPECT_EQ(aged->results[0].selected[0].created_ms, 1700000000000);
  EXPECT_EQ(aged->results[0].selected[1].id, "p2");
  EXPECT_FALSE(aged->results[0].selected[1].created_ms);
  EXPECT_EQ(aged->results[0].selected[1].last_used_ms, 1711000000000);

  auto v = user_record_from_json(records[2]);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->user_id, "a\tb");  // JSON escapes it; the line stays one line
  EXPECT_EQ(v->reason, "user id contains a control character");
}

TEST(Ledger, ReaderToleratesATornLastLine) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  {
    ledger_writer w(path, ledger_mode::create);
    w.write(sample_user("u1", {ok_reset(device_type::oath)}, user_status::ok));
    w.write(sample_user("u2", {ok_reset(device_type::oath)}, user_status::ok));
  }
  auto whole = test::read_file(path);
  test::write_file(path, whole + R"({"record":"user","run_id":"run-1","user_id":"u3","sta)");
  ledger_scan scan;
  auto records = read_records(path, &scan);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_TRUE(scan.torn_tail);
  EXPECT_TRUE(scan.bad_lines.empty());
  EXPECT_EQ(scan.valid_bytes, whole.size());
}

TEST(Ledger, ReaderReportsCorruptMiddleLinesAndKeepsGoing) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  test::write_file(path, "{\"record\":\"run\"}\nnot json\n[1]\n{\"record\":\"summary\"}\n");
  ledger_scan scan;
  auto records = read_records(path, &scan);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(scan.bad_lines, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_FALSE(scan.torn_tail);
}

TEST(Ledger, RefusesToOverwriteAnExistingLedgerAndLeavesItByteIdentical) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  const std::string before = "{\"record\":\"run\",\"run_id\":\"old\"}\n";
  test::write_file(path, before);
  try {
    ledger_writer w(path, ledger_mode::create);
    FAIL() << "expected ledger_error";
  } catch (const ledger_error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists: pass --resume"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
  }
  EXPECT_EQ(test::read_file(path), before);
}

// Issue 22: a new ledger is created by its run (O_EXCL), never a file someone made first
// (an empty 0666 file in a shared folder could be fed planted "ok" records); an existing
// ledger is resumed only when it is this user's alone.
TEST(Ledger, ANewLedgerIsNeverAFileThatExistedAndAResumedOneIsTheUsersAlone) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  test::write_file(path, "");
  EXPECT_THROW(ledger_writer(path, ledger_mode::create), ledger_error) << "even empty";
  std::filesystem::permissions(path, std::filesystem::perms::all);  // 0777: others can write
  try {
    ledger_writer w(path, ledger_mode::resume);
    FAIL() << "a ledger others can change was resumed";
  } catch (const ledger_error& e) {
    EXPECT_NE(std::string(e.what()).find("others can read or change it (mode 777)"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NO_THROW(ledger_writer(path, ledger_mode::resume));
}

TEST(Ledger, DiscardingWhatARunWroteRemovesTheFileItCreatedAndCutsOneItResumed) {
  test::temp_dir dir;
  auto made = dir / "new.jsonl";
  {
    ledger_writer w(made, ledger_mode::create);
    w.write(json::object{{"record", "run"}});
    w.discard_written();
  }
  EXPECT_FALSE(std::filesystem::exists(made)) << "the same command can create it again";
  auto kept = dir / "kept.jsonl";
  test::write_file(kept, "{\"record\":\"run\",\"run_id\":\"old\"}\n");
  {
    ledger_writer w(kept, ledger_mode::resume);
    w.write(json::object{{"record", "run"}, {"run_id", "new"}});
    w.discard_written();
  }
  EXPECT_EQ(test::read_file(kept), "{\"record\":\"run\",\"run_id\":\"old\"}\n");
}

TEST(Ledger, ResumeAppendsAndCutsATornLastLine) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  {
    ledger_writer w(path, ledger_mode::create);
    w.write(sample_user("u1", {ok_reset(device_type::oath)}, user_status::ok));
  }
  auto whole = test::read_file(path);
  test::write_file(path, whole + "{\"record\":\"user\",\"user_id\":\"u2\",\"resu");
  {
    ledger_writer w(path, ledger_mode::resume);
    EXPECT_GT(w.torn_bytes_dropped(), 0u);
    w.write(sample_user("u2", {ok_reset(device_type::oath)}, user_status::ok));
  }
  ledger_scan scan;
  auto records = read_records(path, &scan);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(scan.torn_tail);
  EXPECT_TRUE(scan.bad_lines.empty());
  EXPECT_EQ(records[1].at("user_id"), "u2");
}

TEST(Ledger, ResumeKeepsAWholeRecordThatOnlyLacksItsNewline) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  test::write_file(path, "{\"record\":\"run\"}\n{\"record\":\"user\",\"user_id\":\"u1\"}");
  {
    ledger_writer w(path, ledger_mode::resume);
    EXPECT_EQ(w.torn_bytes_dropped(), 0u);
    w.write(json::object{{"record", "summary"}});
  }
  EXPECT_EQ(test::read_file(path),
            "{\"record\":\"run\"}\n{\"record\":\"user\",\"user_id\":\"u1\"}\n"
            "{\"record\":\"summary\"}\n");
}

TEST(Ledger, ResumeIndexHoldsOnlyTheOkPairs) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  {
    ledger_writer w(path, ledger_mode::create);
    w.write(json::object{{"record", "run"}, {"run_id", "run-1"}, {"tenant_url", tenant_a}});
    w.write(sample_user("u1", {ok_reset(device_type::oath), ok_reset(device_type::push)},
                        user_status::ok));
    w.write(sample_user("u2", {ok_reset(device_type::oath), failed(device_type::push)},
                        user_status::partial));
    w.write(sample_user("u3", {failed(device_type::oath)}, user_status::failed));
    auto nf = sample_user("u4", {failed(device_type::oath)}, user_status::not_found);
    nf.results[0].status = result_status::not_found;
    w.write(nf);
  }
  // A later run (after a resume) completes u2's push.
  {
    ledger_writer w(path, ledger_mode::resume);
    w.write(json::object{{"record", "run"}, {"run_id", "run-2"}, {"tenant_url", tenant_a}});
    auto u2 = sample_user("u2", {ok_reset(device_type::push)}, user_status::ok);
    u2.run_id = "run-2";
    w.write(u2);
  }
  auto index = load_resume_index(path, tenant_a);
  const std::string_view alpha = "/realms/root/realms/alpha";
  EXPECT_EQ(index.done.get(alpha, "u1"), (type_set{device_type::oath, device_type::push}));
  EXPECT_EQ(index.done.get(alpha, "u2"), (type_set{device_type::oath, device_type::push}));
  EXPECT_TRUE(index.done.get(alpha, "u3").empty());
  EXPECT_TRUE(index.done.get(alpha, "u4").empty());
  EXPECT_TRUE(index.done.get("/realms/root", "u1").empty()) << "realms are kept apart";
  EXPECT_EQ(index.done.size(), 2u) << "only users with done types take memory";
  EXPECT_EQ(index.scan.records, 7u);
  EXPECT_EQ(index.runs, 2u);
  EXPECT_EQ(index.runs_here, 2u);
}

// Issue 20: a ledger of tenant A must not make a run on tenant B skip anyone.
TEST(Ledger, ResumeIndexCountsOnlyTheRunsOnTheSameTenant) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  const std::string tenant_b = "https://b.example:8443/am";
  {
    ledger_writer w(path, ledger_mode::create);
    w.write(json::object{{"record", "run"}, {"run_id", "run-1"}, {"tenant_url", tenant_a}});
    w.write(sample_user("u1", {ok_reset(device_type::oath)}, user_status::ok));
    w.write(json::object{{"record", "run"}, {"run_id", "run-2"}, {"tenant_url", tenant_b}});
    auto u2 = sample_user("u2", {ok_reset(device_type::oath)}, user_status::ok);
    u2.run_id = "run-2";
    w.write(u2);
    auto stray = sample_user("u3", {ok_reset(device_type::oath)}, user_status::ok);
    stray.run_id = "no-such-run";  // a user record no run record announced
    w.write(stray);
  }
  const std::string_view alpha = "/realms/root/realms/alpha";
  auto on_a = load_resume_index(path, tenant_a);
  EXPECT_EQ(on_a.done.get(alpha, "u1"), type_set{device_type::oath});
  EXPECT_TRUE(on_a.done.get(alpha, "u2").empty()) << "u2 was reset on B, not on A";
  EXPECT_TRUE(on_a.done.get(alpha, "u3").empty()) << "a record of no known run counts nowhere";
  EXPECT_EQ(on_a.runs, 2u);
  EXPECT_EQ(on_a.runs_here, 1u);
  EXPECT_EQ(on_a.users_elsewhere, 2u);
  EXPECT_EQ(on_a.other_tenants, std::vector<std::string>{tenant_b});

  auto on_c = load_resume_index(path, "https://c.example/am");
  EXPECT_EQ(on_c.done.size(), 0u);
  EXPECT_EQ(on_c.runs_here, 0u);
  EXPECT_EQ(on_c.other_tenants, (std::vector<std::string>{tenant_a, tenant_b}));
  // The AM path is part of the tenant: /openam on the same host is another tenant.
  EXPECT_EQ(load_resume_index(path, "https://a.example/openam").done.size(), 0u);
}

TEST(Ledger, RunTenantOfTheFirstLedgersFormHasPortAndAmPath) {
  EXPECT_EQ(run_tenant(json::object{{"tenant", "a.example"}}), "https://a.example/am");
  EXPECT_EQ(run_tenant(json::object{{"tenant", "127.0.0.1:9445"}, {"am_path", "/openam"}}),
            "https://127.0.0.1:9445/openam");
  EXPECT_EQ(run_tenant(json::object{{"tenant_url", "https://x.example/am"}, {"tenant", "y"}}),
            "https://x.example/am");
  EXPECT_EQ(run_tenant(json::object{{"record", "run"}}), "");
  EXPECT_EQ(tenant_url("a.example", "443", "am/"), "https://a.example/am");
  EXPECT_EQ(tenant_url("::1", "8443", "/am"), "https://[::1]:8443/am");
}

TEST(Ledger, ResumeIndexOfAMissingLedgerIsEmpty) {
  test::temp_dir dir;
  auto index = load_resume_index(dir / "none.jsonl", tenant_a);
  EXPECT_EQ(index.done.size(), 0u);
  EXPECT_EQ(index.scan.records, 0u);
}

TEST(Ledger, IsCreatedOwnerReadableOnly) {
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  ledger_writer w(path, ledger_mode::create);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Ledger, RefusesSymbolicLinksAndNonRegularFiles) {
  test::temp_dir dir;
  test::write_file(dir / "target.jsonl", "");
  std::filesystem::create_symlink(dir / "target.jsonl", dir / "link.jsonl");
  EXPECT_THROW(ledger_writer(dir / "link.jsonl", ledger_mode::resume), ledger_error);
  std::filesystem::create_directory(dir / "adir");
  EXPECT_THROW(ledger_writer(dir / "adir", ledger_mode::create), ledger_error);
  EXPECT_EQ(test::read_file(dir / "target.jsonl"), "");
}

TEST(Ledger, WritingAfterCloseIsAnError) {
  test::temp_dir dir;
  ledger_writer w(dir / "l.jsonl", ledger_mode::create);
  w.close();
  EXPECT_THROW(w.write(json::object{{"record", "run"}}), ledger_error);
}

TEST(Ledger, FullDiskIsAClearErrorAndLeavesNoPartialLine) {
  // A file size limit makes write(2) fail part-way through a record, as a full disk does.
  test::temp_dir dir;
  auto path = dir / "ledger.jsonl";
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  std::string error;
  std::uint64_t written = 0;
  {
    ledger_writer w(path, ledger_mode::create);
    struct rlimit small = old;
    small.rlim_cur = 1000;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    try {
      for (int i = 0; i < 100; ++i) {
        w.write(sample_user("user-" + std::to_string(i), {ok_reset(device_type::oath)},
                            user_status::ok));
        ++written;
      }
    } catch (const ledger_error& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
  }
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(error.empty()) << "the limit was never hit";
  EXPECT_NE(error.find(path.string() + ": cannot write: File too large"), std::string::npos)
      << error;
  ledger_scan scan;
  auto records = read_records(path, &scan);
  EXPECT_EQ(records.size(), written);
  EXPECT_FALSE(scan.torn_tail) << "the partial record was removed";
  EXPECT_TRUE(scan.bad_lines.empty());
}

}  // namespace
}  // namespace devreset::io
