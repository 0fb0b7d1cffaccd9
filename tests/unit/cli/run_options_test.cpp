// The options of `run` and `probe`, parsed in-process: what they become, the usage errors
// they say, and that parsing opens no file (the plan, the key, the token and the input are
// open_request()'s).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "cli/run_options.hpp"

namespace devreset::cli {
namespace {

// An argv for a command line, and what parsing it said on stderr.
struct parsed {
  std::optional<int> code;
  std::string said;
};

parsed parse_run(std::vector<std::string> args, run_request& r,
                 engine::run_mode mode = engine::run_mode::reset) {
  args.insert(args.begin(), "run");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStderr();
  parsed out;
  out.code = parse_run_request(static_cast<int>(args.size()), argv.data(), mode, r);
  out.said = testing::internal::GetCapturedStderr();
  return out;
}

// The environment a test starts from: no token, no option set by DEVRESET_*.
class RunOptions : public testing::Test {
 protected:
  void SetUp() override {
    for (char** e = environ; *e != nullptr;) {
      std::string entry(*e);
      if (entry.rfind("DEVRESET_", 0) == 0) {
        ::unsetenv(entry.substr(0, entry.find('=')).c_str());
        continue;  // environ changed under us: read it again from where we are
      }
      ++e;
    }
  }
  const std::vector<std::string> base = {
      "--tenant", "https://tenant.example.com", "--realm",  "alpha",
      "--input",  "/nonexistent/users.csv",     "--ledger", "/nonexistent/ledger.jsonl"};
};

TEST_F(RunOptions, ACommandLineBecomesTheRunsConfigAndOpensNothing) {
  ::setenv("DEVRESET_TOKEN", "tok-123", 1);
  run_request r;
  auto args = base;
  args.insert(args.end(), {"--types", "oath,push", "--concurrency", "8"});
  auto p = parse_run(args, r);
  ASSERT_FALSE(p.code) << p.said;
  EXPECT_EQ(r.cfg.host, "tenant.example.com");
  EXPECT_EQ(r.cfg.port, "443");
  EXPECT_EQ(r.rows.default_realm, "/realms/root/realms/alpha");
  EXPECT_TRUE(r.rows.default_types.contains(io::device_type::oath));
  EXPECT_TRUE(r.rows.default_types.contains(io::device_type::push));
  EXPECT_FALSE(r.rows.default_types.contains(io::device_type::webauthn));
  EXPECT_EQ(r.cfg.concurrency, 8);
  EXPECT_EQ(r.credential.what, credential_source::kind::environment);
  EXPECT_EQ(std::getenv("DEVRESET_TOKEN"), nullptr) << "taken out of the environment";
  EXPECT_EQ(r.tokens, nullptr) << "no token source before open_request()";
  EXPECT_EQ(open_request(r), std::nullopt);
  ASSERT_NE(r.tokens, nullptr);
  EXPECT_EQ(r.tokens->token(), "tok-123");
}

TEST_F(RunOptions, AnAmAdministratorsPasswordLeavesTheEnvironmentAndNamesGoInThePath) {
  ::setenv("DEVRESET_AM_PASSWORD", "pw-123", 1);
  run_request r;
  auto args = base;
  args.insert(args.end(),
              {"--am-user", "amadmin", "--auth-tree", "adminOnly", "--auth-realm", "alpha"});
  auto p = parse_run(args, r);
  ASSERT_FALSE(p.code) << p.said;
  EXPECT_EQ(r.credential.what, credential_source::kind::am_session);
  EXPECT_EQ(r.credential.am_user, "amadmin");
  EXPECT_EQ(r.credential.auth_tree, "adminOnly");
  EXPECT_EQ(r.credential.auth_realm, "/realms/root/realms/alpha");
  EXPECT_EQ(std::getenv("DEVRESET_AM_PASSWORD"), nullptr) << "taken out of the environment";
  EXPECT_TRUE(r.cfg.directory.am_users);
  EXPECT_TRUE(r.cfg.directory.names_in_path) << "a self-managed AM's default";
  EXPECT_EQ(open_request(r), std::nullopt);
  ASSERT_NE(r.tokens, nullptr);
  EXPECT_EQ(r.tokens->describe(), "the AM session of 'amadmin'");
  EXPECT_EQ(r.tokens->header_name(), "iPlanetDirectoryPro") << "until serverinfo says";

  run_request ids;
  args.insert(args.end(), {"--user-path", "id"});
  ::setenv("DEVRESET_AM_PASSWORD", "pw-123", 1);
  ASSERT_FALSE(parse_run(args, ids).code);
  EXPECT_FALSE(ids.cfg.directory.names_in_path);
}

TEST_F(RunOptions, AnAmAdministratorNeedsOnePasswordAndNoIdmOption) {
  struct bad {
    std::vector<std::string> extra;
    const char* says;
  };
  for (const auto& b :
       std::vector<bad>{{{"--am-user", "amadmin"}, "--am-user needs its password"},
                        {{"--am-password-file", "/x"}, "--am-password-file goes with --am-user"},
                        {{"--am-user", "a", "--am-password-file", "/x", "--token-file", "/t"},
                         "two credentials given"},
                        {{"--am-user", "a", "--am-password-file", "/x", "--user-path", "uuid"},
                         "--user-path is name or id"},
                        {{"--am-user", "a", "--am-password-file", "/x", "--idm-path", "/idm"},
                         "--idm-path: with --am-user"}}) {
    run_request r;
    auto args = base;
    args.insert(args.end(), b.extra.begin(), b.extra.end());
    auto p = parse_run(args, r);
    EXPECT_EQ(p.code, 2) << b.says;
    EXPECT_NE(p.said.find(b.says), std::string::npos) << p.said;
  }
  run_request group;
  auto p = parse_run({"--tenant", "https://t.example", "--realm", "alpha", "--group", "staff",
                      "--ledger", "/nonexistent/l", "--am-user", "a", "--am-password-file", "/x"},
                     group);
  EXPECT_EQ(p.code, 2);
  EXPECT_NE(p.said.find("--group reads IDM's groups"), std::string::npos) << p.said;
}

TEST_F(RunOptions, AKeyThatIsNotThereIsOpenRequestsErrorNotTheParsers) {
  run_request r;
  auto args = base;
  args.insert(args.end(), {"--sa-id", "sa-1", "--sa-key", "/nonexistent/key.jwk"});
  auto p = parse_run(args, r);
  ASSERT_FALSE(p.code) << p.said;
  EXPECT_EQ(r.credential.what, credential_source::kind::service_account);
  EXPECT_EQ(r.credential.file, "/nonexistent/key.jwk");
  testing::internal::CaptureStderr();
  EXPECT_EQ(open_request(r), 2);
  const auto said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("--sa-key"), std::string::npos) << said;
}

TEST_F(RunOptions, APlanIsOpenedByOpenRequestOnly) {
  ::setenv("DEVRESET_TOKEN", "tok-123", 1);
  run_request r;
  auto p = parse_run({"--tenant", "https://tenant.example.com", "--plan", "/nonexistent/plan.jsonl",
                      "--ledger", "/nonexistent/ledger.jsonl"},
                     r);
  ASSERT_FALSE(p.code) << p.said;
  EXPECT_FALSE(r.opened_plan);
  EXPECT_TRUE(r.plan_error.empty()) << "the parser did not try";
  EXPECT_EQ(open_request(r), std::nullopt);
  EXPECT_FALSE(r.plan_error.empty()) << "open_request() tried, and kept why for the plan's checks";
}

TEST_F(RunOptions, UsageErrorsExitTwoSayingWhatIsWrong) {
  struct bad {
    std::vector<std::string> args;
    std::string said;
  };
  const std::string t = "https://tenant.example.com";
  const std::vector<bad> cases = {
      {{"--realm", "alpha", "--input", "u.csv", "--ledger", "l.jsonl"}, "--tenant is required"},
      {{"--tenant", "http://tenant.example.com", "--realm", "alpha", "--input", "u.csv", "--ledger",
        "l.jsonl"},
       "is not https"},
      {{"--tenant", t, "--input", "u.csv", "--ledger", "l.jsonl"}, "--realm is required"},
      {{"--tenant", t, "--realm", "alpha", "--input", "u.csv", "--ledger", "l.jsonl", "--types",
        "oath,sms"},
       "--types:"},
      {{"--tenant", t, "--plan", "p.jsonl", "--input", "u.csv", "--ledger", "l.jsonl"},
       "--plan takes the place of --input"},
      {{"--tenant", t, "--realm", "alpha", "--input", "u.csv", "--ledger", "u.csv"},
       "is the file of --input"},
      {{"--tenant", t, "--realm", "alpha", "--input", "u.csv", "--ledger", "l.jsonl"}, "no token"},
      {{"--tenant", t, "--realm", "alpha", "--input", "u.csv", "--ledger", "l.jsonl",
        "--token-file", "/run/t", "--sa-id", "x", "--sa-key", "k.jwk"},
       "two credentials given"},
  };
  for (const auto& c : cases) {
    run_request r;
    auto p = parse_run(c.args, r);
    EXPECT_EQ(p.code, 2) << c.said;
    EXPECT_NE(p.said.find(c.said), std::string::npos) << "wanted '" << c.said << "' in: " << p.said;
  }
}

}  // namespace
}  // namespace devreset::cli
