// Service-account tokens: assertion, exchange, renewal ahead of expiry, single flight.
#include "engine/service_account.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <optional>

#include "engine/https_client.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string token_endpoint_audience(const std::string& host, const std::string& port,
                                    const std::string& am_path) {
  return fmt::format("https://{}:{}{}/oauth2/access_token", host, port, am_path);
}

json::object assertion_claims(const std::string& id, const std::string& audience,
                              std::chrono::system_clock::time_point now) {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  std::string jti;
  for (unsigned char b : raw)
    jti += fmt::format("{:02x}", b);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return json::object{{"iss", id},         {"sub", id},   {"aud", audience},
                      {"exp", secs + 180}, {"iat", secs}, {"jti", jti}};
}

namespace {

std::string form_value(std::string_view v) {
  return boost::urls::encode(v, boost::urls::unreserved_chars);
}

class service_account_token final : public token_source {
 public:
  service_account_token(service_account sa, io::rsa_key key)
      : sa_(std::move(sa)), key_(std::move(key)) {}

  const std::string& token() override { return token_; }
  bool refresh() override { return false; }
  std::string describe() const override {
    return fmt::format("service account {}", io::printable(sa_.id, 80));
  }

  void detach() override {
    conn_.reset();
    done_.reset();
  }

  asio::awaitable<std::string> ensure(token_context* ctx, std::string rejected) override {
    auto now = steady::now();
    if (rejected.empty()) {
      if (!token_.empty() && now < renew_at_) co_return std::string();
      if (!token_.empty() && now < expires_at_) {
        // Still good: renew in the background, nobody waits.
        if (!in_flight_) {
          asio::co_spawn(ctx->executor, renew(ctx), [](std::exception_ptr, std::string) {});
        }
        co_return std::string();
      }
    } else if (rejected != token_) {
      co_return std::string();  // already renewed since that request went out
    }
    if (in_flight_) co_return co_await wait_for_renewal();
    co_return co_await renew(ctx);
  }

 private:
  asio::awaitable<std::string> wait_for_renewal() {
    co_await done_->async_wait(use_tuple);  // cancelled when the renewal ends
    co_return last_error_;
  }

  // One renewal at a time; the others wait on `done_`.
  asio::awaitable<std::string> renew(token_context* ctx) {
    if (!done_) done_.emplace(ctx->executor);
    if (!conn_) conn_.emplace(ctx->executor, *ctx->host);
    in_flight_ = true;
    done_->expires_at(steady::time_point::max());
    std::string error = co_await fetch(ctx);
    in_flight_ = false;
    last_error_ = error;
    done_->cancel();
    co_return error;
  }

  asio::awaitable<std::string> fetch(token_context* ctx) {
    const auto target = ctx->am_path + "/oauth2/access_token";
    const auto audience = token_endpoint_audience(ctx->host_name, ctx->port, ctx->am_path);
    asio::steady_timer backoff(ctx->executor);
    std::string last;
    for (int attempt = 1; attempt <= 5; ++attempt) {
      if (attempt > 1) {
        backoff.expires_after(std::chrono::milliseconds(250) * (1 << (attempt - 2)));
        co_await backoff.async_wait(use_tuple);
      }
      auto jwt = io::sign_jwt_rs256(
          assertion_claims(sa_.id, audience, std::chrono::system_clock::now()), key_);
      std::string form = "client_id=service-account&grant_type=" +
                         form_value("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                         "&assertion=" + jwt + "&scope=" + form_value(sa_.scope);
      auto sent = steady::now();
      auto a = co_await conn_->post_form(target, std::move(form), ctx->timeout);
      if (a.how != transport::ok) {
        last = fmt::format("the token endpoint: {}", io::printable(a.detail, 200));
        continue;
      }
      boost::system::error_code ec;
      auto body = json::parse(a.body, ec);
      const json::object* o = ec ? nullptr : body.if_object();
      if (a.status == 200 && o != nullptr) {
        const auto* tok = o->if_contains("access_token");
        const auto* ttl = o->if_contains("expires_in");
        if (tok != nullptr && tok->is_string() && !tok->get_string().empty() && ttl != nullptr &&
            ttl->is_number()) {
          double secs = ttl->to_number<double>();
          token_.assign(tok->get_string());
          expires_at_ = sent + std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000));
          renew_at_ = sent + std::chrono::milliseconds(static_cast<std::int64_t>(secs * 800));
          co_return std::string();
        }
        last = "the token endpoint's answer has no access_token and expires_in";
        continue;
      }
      // The tenant's own words (invalid_client, invalid_scope...), never our secrets.
      std::string said;
      if (o != nullptr) {
        if (const auto* e = o->if_contains("error"); e && e->is_string()) said = e->get_string();
        if (const auto* d = o->if_contains("error_description"); d && d->is_string()) {
          said += fmt::format("{}{}", said.empty() ? "" : ": ", std::string_view(d->get_string()));
        }
      }
      last = fmt::format("the token endpoint answered {}{}",
                         engine::describe(attempt_result{transport::ok, a.status, {}}),
                         said.empty() ? "" : " (" + io::printable(said, 200) + ")");
      bool passing = a.status == 429 || a.status >= 500;
      if (!passing) co_return last;  // a refused key or scope does not get better
    }
    co_return last;
  }

  service_account sa_;
  io::rsa_key key_;
  std::string token_;
  steady::time_point expires_at_{};
  steady::time_point renew_at_{};
  bool in_flight_ = false;
  std::string last_error_;
  std::optional<asio::steady_timer> done_;
  std::optional<https_connection> conn_;
};

}  // namespace

std::unique_ptr<token_source> make_service_account_token(service_account sa) {
  auto key = io::rsa_key::from_jwk_file(sa.key_file, /*need_private=*/true);
  return std::make_unique<service_account_token>(std::move(sa), std::move(key));
}

}  // namespace devreset::engine
