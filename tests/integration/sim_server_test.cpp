// The simulated tenant over real TLS on 127.0.0.1: verified connections, keep-alive, the
// API's answers on the wire, rate limiting headers, dropped connections, stats.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>

#include "io/tenant_path.hpp"
#include "sim/server.hpp"
#include "tests/integration/test_client.hpp"

namespace devreset::sim {
namespace {

namespace json = boost::json;
using io::device_type;
using test::test_client;

options small(std::uint64_t users = 10) {
  options o;
  o.users = users;
  o.token = "integration-token";
  return o;
}

TEST(SimServer, AnswersTheResetCallOverVerifiedTls) {
  server srv(small());
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  auto user = srv.user_ids().at(0);
  auto r = c.post(paths.reset(srv.realm_path(), user, device_type::oath), srv.token());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"result":true})");
  EXPECT_EQ(r.content_type, "application/json");
}

TEST(SimServer, VerifiesAsLocalhostToo) {
  server srv(small());
  srv.start();
  test_client c(srv.port(), srv.ca_pem(), "localhost");
  EXPECT_EQ(c.get("/sim/stats").status, 200);
}

TEST(SimServer, KeepsOneConnectionAliveForManyRequestsAndChangesState) {
  server srv(small(30));
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  auto users = srv.user_ids();
  for (const auto& u : users) {
    for (auto t : {device_type::oath, device_type::push, device_type::binding}) {
      ASSERT_EQ(c.post(paths.reset(srv.realm_path(), u, t), srv.token()).status, 200);
    }
  }
  for (const auto& u : users) {
    auto q = c.get(paths.query(srv.realm_path(), u, device_type::oath), srv.token());
    ASSERT_EQ(q.status, 200);
    EXPECT_EQ(json::parse(q.body).at("resultCount"), 0);
  }
  auto stats = json::parse(srv.stats_json());
  EXPECT_EQ(stats.at("devices_left").at("oath"), 0);
  EXPECT_EQ(stats.at("devices_left").at("push"), 0);
  EXPECT_EQ(stats.at("devices_left").at("binding"), 0);
  EXPECT_EQ(stats.at("resets_per_user").at("1"), 30);
  EXPECT_EQ(stats.at("by_endpoint").at("reset:oath").at("200"), 30);
}

TEST(SimServer, WebauthnListThenDeleteEmptiesTheCollection) {
  server srv(small());
  srv.add_user("/realms/root/realms/alpha", "many-keys", {0, 0, 4, 0, 0, 0});
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  const std::string realm = srv.realm_path();
  auto list =
      json::parse(c.get(paths.query(realm, "many-keys", device_type::webauthn), srv.token()).body);
  ASSERT_EQ(list.at("resultCount"), 4);
  for (const auto& d : list.at("result").as_array()) {
    auto r = c.del(paths.device(realm, "many-keys", device_type::webauthn,
                                std::string(d.at("_id").as_string())),
                   srv.token());
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"key\""), std::string::npos);
  }
  auto after =
      json::parse(c.get(paths.query(realm, "many-keys", device_type::webauthn), srv.token()).body);
  EXPECT_EQ(after.at("resultCount"), 0);
  EXPECT_EQ(json::parse(srv.stats_json()).at("deletes"), 4);
}

TEST(SimServer, ErrorsCarryTheDocumentedBodies) {
  server srv(small());
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  auto target = paths.reset(srv.realm_path(), srv.user_ids().at(0), device_type::oath);
  auto unauth = c.post(target, "wrong-token");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(unauth.body, R"({"code":401,"reason":"Unauthorized","message":"Access Denied"})");
  auto missing = c.send(test::http::verb::post, target, "", "{}");
  EXPECT_EQ(missing.status, 401);
  auto unknown = c.post(paths.reset(srv.realm_path(), "ghost", device_type::oath), srv.token());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body).at("code"), 404);
  EXPECT_EQ(json::parse(unknown.body).at("reason"), "Not Found");
}

TEST(SimServer, RateLimitSends429WithRetryAfterHeader) {
  auto o = small();
  o.rate_limit = 5;
  server srv(o);
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  auto target = paths.reset(srv.realm_path(), srv.user_ids().at(0), device_type::oath);
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 10; ++i) {
    auto r = c.post(target, srv.token());
    if (r.status == 429) {
      ++limited;
      retry_after = r.retry_after;
    }
  }
  EXPECT_GT(limited, 0);
  EXPECT_EQ(retry_after, "1");
}

TEST(SimServer, DroppedRequestClosesTheConnectionWithoutAnAnswer) {
  auto o = small();
  o.drop_rate = 1.0;
  server srv(o);
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  EXPECT_THROW(
      c.post(paths.reset(srv.realm_path(), srv.user_ids().at(0), device_type::oath), srv.token()),
      boost::system::system_error);
  EXPECT_EQ(json::parse(srv.stats_json()).at("faults").at("dropped"), 1);
}

TEST(SimServer, SlowAnswerComesAfterTheSlowDelayAndChangesNothing) {
  auto o = small();
  o.slow_rate = 1.0;
  o.slow_delay = std::chrono::milliseconds(300);
  server srv(o);
  srv.start();
  test_client c(srv.port(), srv.ca_pem());
  io::tenant_paths paths;
  auto start = std::chrono::steady_clock::now();
  auto r =
      c.post(paths.reset(srv.realm_path(), srv.user_ids().at(0), device_type::oath), srv.token());
  EXPECT_EQ(r.status, 504);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(json::parse(srv.stats_json()).at("resets_per_user").at("1"), 0);
}

TEST(SimServer, ServesManyConcurrentConnections) {
  server srv(small(64));
  srv.start();
  io::tenant_paths paths;
  auto users = srv.user_ids();
  std::vector<std::unique_ptr<test_client>> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(std::make_unique<test_client>(srv.port(), srv.ca_pem()));
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto r =
        clients[i]->post(paths.reset(srv.realm_path(), users[i], device_type::push), srv.token());
    EXPECT_EQ(r.status, 200);
  }
  EXPECT_EQ(json::parse(srv.stats_json()).at("devices_left").at("push"), 0);
}

TEST(SimServer, UntrustedCertificateFailsVerification) {
  server srv(small());
  server other(small());  // another CA
  srv.start();
  EXPECT_THROW(test_client(srv.port(), other.ca_pem()), boost::system::system_error);
  EXPECT_THROW(test_client(srv.port(), srv.ca_pem(), "tenant.example"), boost::system::system_error)
      << "the name must match the certificate";
}

}  // namespace
}  // namespace devreset::sim
