// The engine against the simulated tenant over real TLS on 127.0.0.1: every type reset and
// the sim's state proving it, paging, binding's fallback, faults retried to success,
// Retry-After honoured, unknown users, wrong tokens, resume, hostile ids, certificates,
// and secrets kept out of the ledger.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "engine/runner.hpp"
#include "engine/service_account.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/tenant_path.hpp"
#include "sim/server.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::engine {
namespace {

namespace json = boost::json;
using io::device_type;

struct harness {
  explicit harness(sim::options o = {}) : opts(with_defaults(std::move(o))), srv(opts) {
    srv.start();
    ca = dir / "ca.pem";
    test::write_file(ca, srv.ca_pem());
    ledger = dir / "ledger.jsonl";
  }

  static sim::options with_defaults(sim::options o) {
    if (o.token.empty()) o.token = "engine-token";
    return o;
  }

  run_config config() const {
    run_config c;
    c.host = "127.0.0.1";
    c.port = std::to_string(srv.port());
    c.tls.ca_file = ca.string();
    c.concurrency = 8;
    c.run_id = "test-run";
    c.retry.backoff_base = std::chrono::milliseconds(5);
    c.retry.backoff_cap = std::chrono::milliseconds(50);
    c.timeout = std::chrono::milliseconds(5000);
    return c;
  }

  // Writes the ids as JSON Lines (any id survives that) and runs them.
  run_result run(const std::vector<std::string>& ids, run_config c, io::type_set types,
                 bool resume = false, std::string token = {}, run_observer* observer = nullptr) {
    auto input = dir / "input.jsonl";
    std::string text;
    for (const auto& id : ids)
      text += json::serialize(json::value(id)) + "\n";
    test::write_file(input, text);
    io::reader_options ro;
    ro.default_types = types;
    ro.default_realm = srv.realm_path();
    auto reader = io::open_job_reader(input, std::nullopt, ro);
    io::resume_index index;
    if (resume) index = io::load_resume_index(ledger, io::tenant_url(c.host, c.port, c.am_path));
    io::ledger_writer writer(ledger, resume ? io::ledger_mode::resume : io::ledger_mode::create);
    auto tokens = make_static_token(token.empty() ? srv.token() : token, "test token");
    return engine::run(c, *reader, writer, resume ? &index.done : nullptr, *tokens, nullptr,
                       observer);
  }

  json::value stats() const { return json::parse(srv.stats_json()); }

  std::vector<json::object> user_records() const {
    std::vector<json::object> out;
    if (!std::filesystem::exists(ledger)) return out;  // a failed preflight removes its ledger
    io::scan_ledger(ledger, [&](const json::object& o, std::uint64_t) {
      if (o.at("record") == "user") out.push_back(o);
    });
    return out;
  }

  test::temp_dir dir;
  sim::options opts;
  sim::server srv;
  std::filesystem::path ca;
  std::filesystem::path ledger;
};

sim::options users(std::uint64_t n) {
  sim::options o;
  o.users = n;
  return o;
}

const io::type_set all_six{device_type::oath,    device_type::push,    device_type::webauthn,
                           device_type::binding, device_type::profile, device_type::trusted};

TEST(Engine, EveryTypeResetsAndTheSimsStateShowsIt) {
  harness h(users(60));
  auto r = h.run(h.srv.user_ids(), h.config(), all_six);
  EXPECT_EQ(r.end, run_end::finished) << r.reason;
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), 60u);
  auto s = h.stats();
  for (auto t : io::all_device_types) {
    EXPECT_EQ(s.at("devices_left").at(io::to_string(t)), 0) << io::to_string(t);
  }
  EXPECT_EQ(s.at("resets_per_user").at("2+"), 0) << "nothing done twice";
  auto records = h.user_records();
  ASSERT_EQ(records.size(), 60u);
  for (const auto& rec : records) {
    EXPECT_EQ(rec.at("status"), "ok");
    EXPECT_EQ(rec.at("results").as_array().size(), 6u);
  }
}

TEST(Engine, WebauthnWithSeveralDevicesFollowsPaging) {
  harness h(users(0));
  h.srv.add_user(h.srv.realm_path(), "five-keys", {0, 0, 5, 0, 0, 0});
  auto c = h.config();
  c.page_size = 2;
  auto r = h.run({"five-keys"}, c, {device_type::webauthn});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  auto rec = h.user_records().at(0);
  const auto& res = rec.at("results").as_array().at(0);
  EXPECT_EQ(res.at("action"), "list+delete");
  EXPECT_EQ(res.at("found"), 5);
  EXPECT_EQ(res.at("deleted"), 5);
  auto s = h.stats();
  EXPECT_EQ(s.at("by_endpoint").at("query:webauthn").at("200"), 4) << "preflight + 3 pages";
  EXPECT_EQ(s.at("by_endpoint").at("delete:webauthn").at("200"), 5);
  EXPECT_EQ(s.at("devices_left").at("webauthn"), 0);
}

TEST(Engine, BindingFallsBackToListAndDeleteOnATenantWithoutTheAction) {
  sim::options o = users(0);
  o.binding_reset = false;
  harness h(o);
  h.srv.add_user(h.srv.realm_path(), "bound", {0, 0, 0, 2, 0, 0});
  auto r = h.run({"bound"}, h.config(), {device_type::binding});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  auto res = h.user_records().at(0).at("results").as_array().at(0);
  EXPECT_EQ(res.at("action"), "reset->list+delete");
  EXPECT_EQ(res.at("deleted"), 2);
  EXPECT_EQ(h.stats().at("devices_left").at("binding"), 0);
}

// Issue 15: a tenant that refused binding's reset action once has no such action: the rest
// of the run goes straight to list + delete (one refused POST, not one per user).
TEST(Engine, ATenantWithoutBindingsResetIsAskedOnceARun) {
  sim::options o = users(0);
  o.binding_reset = false;
  harness h(o);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back("bound-" + std::to_string(i));
    h.srv.add_user(h.srv.realm_path(), ids.back(), {0, 0, 0, 1, 0, 0});
  }
  auto c = h.config();
  c.concurrency = 1;
  auto r = h.run(ids, c, {device_type::binding});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_EQ(h.stats().at("by_endpoint").at("reset:binding").at("400"), 1);
  EXPECT_EQ(h.stats().at("devices_left").at("binding"), 0);
  auto records = h.user_records();
  EXPECT_EQ(records.at(0).at("results").at(0).at("action"), "reset->list+delete");
  EXPECT_EQ(records.at(1).at("results").at(0).at("action"), "list+delete");
}

TEST(Engine, FaultsAreRetriedToSuccessAndResumeTlsSessions) {
  sim::options o = users(80);
  o.fail_rate = 0.15;
  o.drop_rate = 0.1;
  o.slow_rate = 0.03;
  o.slow_delay = std::chrono::milliseconds(8000);
  o.seed = 3;
  harness h(o);
  auto c = h.config();
  // Below the slow answers' 8 s, far above what a loaded machine takes for a normal one (a
  // normal answer timed out would be a reset sent twice).
  c.timeout = std::chrono::milliseconds(4000);
  c.retry.max_attempts = 12;
  auto r = h.run(h.srv.user_ids(), c, {device_type::oath, device_type::webauthn});
  EXPECT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), 80u);
  EXPECT_GT(r.stats.retries, 10u);
  EXPECT_GT(r.resumed_sessions, 0u) << "reconnects after drops resume the TLS session";
  int retried = 0;
  for (const auto& rec : h.user_records()) {
    for (const auto& res : rec.at("results").as_array()) {
      if (res.at("attempts").as_int64() > 1) ++retried;
    }
  }
  EXPECT_GT(retried, 5) << "attempts > 1 show in the ledger";
  auto s = h.stats();
  EXPECT_EQ(s.at("devices_left").at("oath"), 0);
  EXPECT_EQ(s.at("devices_left").at("webauthn"), 0);
  EXPECT_EQ(s.at("resets_per_user").at("2+"), 0);
}

TEST(Engine, HonoursRetryAfterAndLowersItsRate) {
  sim::options o = users(60);
  o.rate_limit = 40;
  harness h(o);
  auto c = h.config();
  c.concurrency = 16;
  c.retry.max_attempts = 20;
  // The limiter's rate, as the progress display sees it.
  c.progress_interval = std::chrono::milliseconds(20);
  struct watch final : run_observer {
    double lowest = 1e9;
    bool lowered = false;
    void on_progress(const run_stats&, double rate, bool low) override {
      lowered |= low;
      if (rate > 0) lowest = std::min(lowest, rate);
    }
  } seen;
  auto r = h.run(h.srv.user_ids(), c, {device_type::oath}, false, {}, &seen);
  const bool lowered = seen.lowered;
  const double lowest = seen.lowest;
  EXPECT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_GT(r.stats.throttled, 0u);
  EXPECT_TRUE(lowered) << "429s must lower the rate";
  EXPECT_LT(lowest, 100) << "the tenant takes 40/s: the rate came down to its order";
  auto s = h.stats();
  EXPECT_GT(s.at("faults").at("rate_limited").as_int64(), 0);
  EXPECT_EQ(s.at("early_requests"), 0) << "no request for a user before its Retry-After";
  EXPECT_EQ(s.at("devices_left").at("oath"), 0);
}

// The ceiling holds: the tenant never sees more than rate x time + burst (+ the preflight's
// two reads). A bound a slow machine cannot break: slower only means more time.
TEST(Engine, NeverSendsFasterThanTheCeiling) {
  harness h(users(120));
  auto c = h.config();
  c.rate = 60;
  c.concurrency = 16;
  auto r = h.run(h.srv.user_ids(), c, {device_type::oath});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  auto sent = h.stats().at("requests").as_int64();
  const double burst = std::max(1.0, c.rate / 100);
  EXPECT_LE(static_cast<double>(sent), c.rate * r.elapsed_s + burst + 2)
      << sent << " requests in " << r.elapsed_s << " s at --rate " << c.rate;
  EXPECT_GE(r.elapsed_s, (120 - 1 - burst) / c.rate) << "120 resets cannot take less";
}

// Issue 25: the tenant acts, then its answer is lost (the connection closes, or a 503
// comes). A retried DELETE meets AM's 404 for the device: gone already, counted as such; a
// retried reset resets again, harmlessly. Every user ends ok, nothing is left.
TEST(Engine, LostAnswersAfterTheChangeEndOkAndAreCounted) {
  sim::options o = users(80);
  o.lost_answer_rate = 0.2;
  o.late_5xx_rate = 0.1;
  harness h(o);
  auto c = h.config();
  c.retry.max_attempts = 10;
  auto r = h.run(h.srv.user_ids(), c, all_six);
  EXPECT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), 80u);
  auto s = h.stats();
  for (auto t : io::all_device_types) {
    EXPECT_EQ(s.at("devices_left").at(io::to_string(t)), 0) << io::to_string(t);
  }
  const auto& faults = s.at("faults");
  EXPECT_GT(faults.at("lost_answer").as_int64(), 0);
  EXPECT_GT(faults.at("late_5xx").as_int64(), 0);
  // Only a reset whose answer was lost is done twice.
  EXPECT_GT(s.at("resets_per_user").at("2+").as_int64(), 0) << "the lost resets were retried";
  EXPECT_LE(s.at("resets_per_user").at("2+").as_int64(), faults.at("lost_on_reset").as_int64());
  int gone = 0, deleted = 0, found = 0;
  for (const auto& rec : h.user_records()) {
    for (const auto& t : rec.at("results").as_array()) {
      const auto& x = t.as_object();
      if (const auto* g = x.if_contains("already_gone")) gone += static_cast<int>(g->as_int64());
      if (const auto* d = x.if_contains("deleted")) deleted += static_cast<int>(d->as_int64());
      if (const auto* f = x.if_contains("found")) found += static_cast<int>(f->as_int64());
    }
  }
  EXPECT_GT(gone, 0) << "some retried DELETEs met a device already gone";
  EXPECT_EQ(deleted, found) << "every listed device is counted deleted, once";
}

TEST(Engine, UnknownUserIsNotFoundAndExitIsOne) {
  harness h(users(3));
  auto ids = h.srv.user_ids();
  ids.push_back("00000000-0000-4000-8000-000000000000");
  auto r = h.run(ids, h.config(), {device_type::oath});
  EXPECT_EQ(r.end, run_end::finished);
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.stats.user_count(io::user_status::not_found), 1u);
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), 3u);
}

TEST(Engine, WrongTokenAbortsAtPreflightAfterAHandfulOfRequests) {
  harness h(users(50));
  auto r = h.run(h.srv.user_ids(), h.config(), {device_type::oath}, false, "not-the-token");
  EXPECT_EQ(r.end, run_end::aborted);
  EXPECT_EQ(r.exit_code(), 2) << "the preflight proved the token wrong: fix the command";
  EXPECT_NE(r.reason.find("refused the token"), std::string::npos) << r.reason;
  EXPECT_LE(h.stats().at("requests").as_int64(), 3);
  EXPECT_EQ(h.stats().at("resets_per_user").at("1"), 0);
  EXPECT_TRUE(h.user_records().empty());
}

TEST(Engine, ResumeSkipsUsersAlreadyOk) {
  harness h(users(40));
  auto ids = h.srv.user_ids();
  std::vector<std::string> first(ids.begin(), ids.begin() + 25);
  auto r1 = h.run(first, h.config(), {device_type::oath, device_type::push});
  ASSERT_EQ(r1.exit_code(), 0) << r1.reason;
  auto r2 = h.run(ids, h.config(), {device_type::oath, device_type::push}, /*resume=*/true);
  ASSERT_EQ(r2.exit_code(), 0) << r2.reason;
  EXPECT_EQ(r2.stats.skipped_done, 25u);
  EXPECT_EQ(r2.stats.user_count(io::user_status::ok), 15u);
  auto s = h.stats();
  EXPECT_EQ(s.at("resets_per_user").at("2+"), 0) << "no user reset twice";
  EXPECT_EQ(s.at("resets_per_user").at("0").as_int64(), 0) << "every seeded user was reset once";
  EXPECT_EQ(h.user_records().size(), 40u);
}

TEST(Engine, HostileIdsReachExactlyTheirOwnPath) {
  harness h(users(5));
  std::vector<std::string> hostile = {"../x", "a?_action=delete", "a#b",           "a b",
                                      "100%", "j\xC3\xBCrgen",    "x/../../admin", "a;b=c&d"};
  for (const auto& id : hostile)
    h.srv.add_user(h.srv.realm_path(), id, {1, 0, 0, 0, 0, 0});
  auto r = h.run(hostile, h.config(), {device_type::oath});
  EXPECT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), hostile.size());
  auto s = h.stats();
  EXPECT_EQ(s.at("resets_per_user").at("1").as_int64(), static_cast<std::int64_t>(hostile.size()));
  EXPECT_EQ(s.at("resets_per_user").at("0"), 5) << "the seeded users were not touched";
}

TEST(Engine, UntrustedCertificateFailsWithoutTheCaFile) {
  harness h(users(3));
  auto c = h.config();
  c.tls.ca_file.clear();  // the system store does not know the sim's CA
  auto r = h.run(h.srv.user_ids(), c, {device_type::oath});
  EXPECT_EQ(r.end, run_end::aborted);
  EXPECT_NE(r.reason.find("certificate verification failed"), std::string::npos) << r.reason;
  EXPECT_EQ(h.stats().at("requests"), 0);
}

TEST(Engine, SecretsInDeleteAnswersNeverReachTheLedger) {
  harness h(users(0));
  h.srv.add_user(h.srv.realm_path(), "secretive", {0, 0, 3, 2, 0, 0});
  auto c = h.config();
  auto r = h.run({"secretive"}, c, {device_type::webauthn, device_type::profile});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_GT(h.stats().at("deletes").as_int64(), 0);
  auto ledger = test::read_file(h.ledger);
  EXPECT_EQ(ledger.find("sim-secret"), std::string::npos);
  EXPECT_EQ(ledger.find("recoveryCodes"), std::string::npos);
  EXPECT_EQ(ledger.find(h.srv.token()), std::string::npos) << "nor the token";
}

TEST(Engine, PlanChangesNothingAndRecordsWhatARunWouldRemove) {
  harness h(users(0));
  h.srv.add_user(h.srv.realm_path(), "planned", {1, 0, 2, 0, 0, 0});
  auto before = h.stats().at("devices_left");
  auto c = h.config();
  c.mode = run_mode::plan;
  auto r = h.run({"planned"}, c, {device_type::oath, device_type::webauthn});
  ASSERT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_EQ(h.stats().at("devices_left"), before);
  auto rec = h.user_records().at(0);
  EXPECT_EQ(rec.at("status"), "planned");
  const auto& wa = rec.at("results").as_array().at(1);
  EXPECT_EQ(wa.at("found"), 2);
  EXPECT_EQ(wa.at("device_ids").as_array().size(), 2u);
  EXPECT_EQ(json::serialize(rec).find("Security Key"), std::string::npos) << "no device names";
}

}  // namespace
}  // namespace devreset::engine

namespace devreset::engine {
namespace {

const std::string sample_key = test::private_sample_key();

// Every seeded user's oath reset, with tokens from the service account `sa_id`.
run_result run_with_service_account(harness& h, const std::string& sa_id, int concurrency) {
  auto input = h.dir / "input.txt";
  std::string text;
  for (const auto& id : h.srv.user_ids())
    text += id + "\n";
  test::write_file(input, text);
  io::reader_options ro;
  ro.default_types = {device_type::oath};
  ro.default_realm = h.srv.realm_path();
  auto reader = io::open_job_reader(input, std::nullopt, ro);
  io::ledger_writer writer(h.ledger, io::ledger_mode::create);
  auto tokens = make_service_account_token({sa_id, sample_key, "fr:am:*"});
  auto c = h.config();
  c.concurrency = concurrency;
  auto r = engine::run(c, *reader, writer, nullptr, *tokens);
  writer.close();
  return r;
}

TEST(EngineServiceAccount, ARunLongerThanManyTokenLifetimesFinishesWithEveryUserOk) {
  sim::options o = users(900);
  o.sa_id = "sa-e2e";
  o.sa_jwk_file = sample_key;
  o.token_ttl = std::chrono::seconds(5);  // renewed at 4 s: a second's margin on a loaded machine
  o.latency = std::chrono::milliseconds(40);
  harness h(o);
  auto r = run_with_service_account(h, "sa-e2e", 3);
  EXPECT_EQ(r.exit_code(), 0) << r.reason;
  EXPECT_GT(r.elapsed_s, 10.0);
  EXPECT_EQ(r.stats.user_count(io::user_status::ok), 900u);
  auto s = h.stats();
  EXPECT_GE(s.at("tokens_issued").as_int64(), 3) << "renewed ahead of every expiry";
  EXPECT_EQ(r.stats.auth_failures, 0u) << "no request refused for an expired token";
  // One driver counts every attempt alike: the preflight's read, the device calls and the
  // token endpoint's exchanges are all in the run's requests and its latency.
  EXPECT_EQ(r.stats.requests, s.at("requests").to_number<std::uint64_t>());
  EXPECT_EQ(r.stats.latency.count(), r.stats.requests);
  auto ledger = test::read_file(h.ledger);
  EXPECT_EQ(ledger.find("sim-"), std::string::npos) << "no token in the ledger";
}

// Issue 12: a renewal that fails in the background (the account was disabled mid-run)
// reaches the run: it stops with the tenant's words, before the token expires and every
// request fails; what was done is in the ledger.
TEST(EngineServiceAccount, ABackgroundRenewalThatFailsStopsTheRunWithTheTenantsWords) {
  sim::options o = users(400);
  o.sa_id = "sa-e2e";
  o.sa_jwk_file = sample_key;
  o.token_ttl = std::chrono::seconds(5);
  o.sa_max_tokens = 1;
  o.latency = std::chrono::milliseconds(40);
  harness h(o);
  auto r = run_with_service_account(h, "sa-e2e", 2);
  EXPECT_EQ(r.end, run_end::aborted);
  EXPECT_EQ(r.error, make_error_code(run_error::no_token));
  EXPECT_NE(r.reason.find("cannot get a token: the token endpoint answered 401 Unauthorized "
                          "(invalid_client: the service account is disabled)"),
            std::string::npos)
      << r.reason;
  EXPECT_GT(r.stats.user_count(io::user_status::ok), 0u) << "users done before the renewal";
  EXPECT_LT(r.stats.user_count(io::user_status::ok), 400u);
  // The one 401 the run saw is the token endpoint's (every attempt of every kind of request
  // is counted alike): no device call was refused.
  EXPECT_EQ(r.stats.auth_failures, 1u) << "stopped before the token expired";
  const auto sim_stats = h.stats();
  for (const auto& [endpoint, statuses] : sim_stats.at("by_endpoint").as_object()) {
    if (endpoint != "token") {
      EXPECT_FALSE(statuses.as_object().contains("401")) << endpoint;
    }
  }
  // The run stopped on the background renewal's own answer: the endpoint was asked once
  // more after the first token, not again in the foreground at the token's expiry.
  auto token_calls = h.stats().at("by_endpoint").at("token").as_object();
  EXPECT_EQ(token_calls.at("200"), 1);
  EXPECT_EQ(token_calls.at("401"), 1) << json::serialize(token_calls);
}

TEST(EngineServiceAccount, AnUnknownAccountFailsThePreflightWithTheTenantsWords) {
  sim::options o = users(5);
  o.sa_id = "sa-real";
  o.sa_jwk_file = sample_key;
  harness h(o);
  auto input = h.dir / "input.txt";
  test::write_file(input, h.srv.user_ids().at(0) + "\n");
  io::reader_options ro;
  ro.default_realm = h.srv.realm_path();
  auto reader = io::open_job_reader(input, std::nullopt, ro);
  io::ledger_writer writer(h.ledger, io::ledger_mode::create);
  auto tokens = make_service_account_token({"sa-typo", sample_key, "fr:am:*"});
  auto r = engine::run(h.config(), *reader, writer, nullptr, *tokens);
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_NE(r.reason.find("preflight: cannot get a token: the token endpoint answered 401 "
                          "Unauthorized (invalid_client: unknown service account (iss/sub))"),
            std::string::npos)
      << r.reason;
  EXPECT_EQ(h.stats().at("resets_per_user").at("1"), 0);
}

}  // namespace
}  // namespace devreset::engine
