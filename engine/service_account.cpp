// Service-account tokens: assertion, exchange, renewal ahead of expiry, single flight.
#include "engine/service_account.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <functional>
#include <optional>

#include "engine/answer.hpp"
#include "engine/token_channel.hpp"
#include "io/secret_file.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

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

// The token endpoint's answer: what the tenant said, in its own words (invalid_client...),
// never our secrets.
std::string endpoint_words(const http_answer& a) {
  if (a.how != transport::ok) {
    return fmt::format("the token endpoint: {}", io::printable(a.detail, 200));
  }
  boost::system::error_code ec;
  auto body = json::parse(a.body, ec);
  const json::object* o = ec ? nullptr : body.if_object();
  std::string said;
  if (o != nullptr) {
    if (const auto* e = o->if_contains("error"); e && e->is_string()) said = e->get_string();
    if (const auto* d = o->if_contains("error_description"); d && d->is_string()) {
      said += fmt::format("{}{}", said.empty() ? "" : ": ", std::string_view(d->get_string()));
    }
  }
  return fmt::format("the token endpoint answered {}{}", describe(outcome_of(a)),
                     said.empty() ? "" : " (" + io::printable(said, 200) + ")");
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
  std::string warning() const override { return warning_; }

  bool ready() const override {
    return !token_.empty() && background_error_.empty() && steady::now() < renew_at_;
  }

  void cancel() override { channel_.cancel(); }
  void detach() override { channel_.detach(); }

  asio::awaitable<problem> ensure(token_context* ctx, std::string rejected) override {
    auto why = co_await why_no_token(ctx, std::move(rejected));
    co_return why.empty() ? problem{} : problem{run_error::no_token, std::move(why)};
  }

 private:
  // ensure(), in the words of the token endpoint (empty: a token is there).
  asio::awaitable<std::string> why_no_token(token_context* ctx, std::string rejected) {
    // A renewal that failed in the background reaches the run here: the token will not be
    // renewed, and the run stops with the tenant's words while it can still be resumed.
    if (!background_error_.empty()) co_return background_error_;
    auto now = steady::now();
    if (rejected.empty()) {
      if (!token_.empty() && now < renew_at_) co_return std::string();
      if (!token_.empty() && now < expires_at_) {
        // Still good: renew in the background, nobody waits.
        if (!channel_.in_flight()) asio::co_spawn(ctx->executor, renew(ctx), on_background());
        co_return std::string();
      }
    } else if (rejected != token_) {
      co_return std::string();  // already renewed since that request went out
    }
    if (channel_.in_flight()) {
      co_await channel_.wait();
      co_return last_error_;
    }
    co_return co_await renew(ctx);
  }

  std::function<void(std::exception_ptr, std::string)> on_background() {
    return [this](std::exception_ptr e, std::string error) {
      if (e) {
        background_error_ = "the token renewal failed (internal error)";
      } else if (!error.empty() && !channel_.cancelled()) {
        background_error_ = std::move(error);
      }
    };
  }

  // One renewal at a time; the others wait on the channel.
  asio::awaitable<std::string> renew(token_context* ctx) {
    channel_.begin(ctx);
    std::string error = co_await fetch(ctx);
    last_error_ = error;
    channel_.end();
    co_return error;
  }

  std::string form(const token_context* ctx) {
    const auto audience = token_endpoint_audience(ctx->host_name, ctx->port, ctx->am_path);
    auto jwt = io::sign_jwt_rs256(
        assertion_claims(sa_.id, audience, std::chrono::system_clock::now()), key_);
    return "client_id=service-account&grant_type=" +
           form_value("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + jwt +
           "&scope=" + form_value(sa_.scope);
  }

  // The exchange, driven by the request machine's token-endpoint profile: the run's
  // attempts and backoff, Retry-After honoured, what retries decided by the status table; a
  // fresh assertion for each attempt.
  asio::awaitable<std::string> fetch(token_context* ctx) {
    const auto target = ctx->am_path + "/oauth2/access_token";
    auto d = co_await channel_.exchange(ctx, ctx->retry, http_method::post, [this, ctx, &target] {
      return channel_.conn().post_form(target, form(ctx), ctx->timeout);
    });
    switch (d.how) {
      case driven::end::answered:
        co_return accept(d.answer, d.last, d.sent_at);
      case driven::end::aborted:
        co_return "the token endpoint: " + d.reason;  // not with this profile
      case driven::end::stopped:
        break;
    }
    co_return std::string("stopped");
  }

  // Takes the token from a final answer (its body read again from the last attempt: the
  // exchange's reader is gone); what went wrong otherwise.
  std::string accept(const final_answer& fa, const http_answer& a, steady::time_point sent) {
    if (fa.what != final_answer::kind::ok) return endpoint_words(a);
    boost::system::error_code ec;
    const auto body = json::parse(a.body, ec);
    const json::object* o = ec ? nullptr : body.if_object();
    const auto* tok = o != nullptr ? o->if_contains("access_token") : nullptr;
    const auto* ttl = o != nullptr ? o->if_contains("expires_in") : nullptr;
    if (tok == nullptr || !tok->is_string() || tok->get_string().empty() || ttl == nullptr ||
        !ttl->is_number()) {
      return "the token endpoint's answer has no access_token and expires_in";
    }
    if (!io::is_bearer_token(tok->get_string())) {
      return "the token endpoint's access_token holds characters a bearer token cannot have";
    }
    const double secs = token_lifetime_s(ttl->to_number<double>(), warning_);
    io::wipe(token_);
    token_.assign(tok->get_string());
    expires_at_ = sent + std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000));
    renew_at_ = sent + std::chrono::milliseconds(static_cast<std::int64_t>(secs * 800));
    return {};
  }

  service_account sa_;
  io::rsa_key key_;
  std::string warning_;
  std::string token_;
  steady::time_point expires_at_{};
  steady::time_point renew_at_{};
  std::string last_error_;
  std::string background_error_;
  token_channel channel_;
};

}  // namespace

double token_lifetime_s(double stated_s, std::string& warning) {
  constexpr double min_s = 5, max_s = 24 * 3600;
  if (!(stated_s >= min_s && stated_s <= max_s)) {  // NaN too
    const double held = stated_s > max_s ? max_s : min_s;
    if (warning.empty()) {
      warning = fmt::format(
          "the token endpoint said its tokens last {} s; taken as {} s (devreset holds a token "
          "{} s to {} h)",
          stated_s, held, min_s, max_s / 3600);
    }
    return held;
  }
  return stated_s;
}

std::unique_ptr<token_source> make_service_account_token(service_account sa) {
  auto key = io::rsa_key::from_jwk_file(sa.key_file, /*need_private=*/true);
  return std::make_unique<service_account_token>(std::move(sa), std::move(key));
}

}  // namespace devreset::engine
