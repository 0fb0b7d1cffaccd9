// AM administrator sessions: cookie name, sign-in, one renewal for all, sign-out.
#include "engine/am_session.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "engine/answer.hpp"
#include "engine/token_channel.hpp"
#include "io/secret_file.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace json = boost::json;

std::string sign_in_target(std::string_view am_path, const am_account& a) {
  auto target = fmt::format("{}/json{}/authenticate", am_path, a.realm_path);
  if (!a.tree.empty()) {
    target += "?authIndexType=service&authIndexValue=" +
              boost::urls::encode(a.tree, boost::urls::unreserved_chars);
  }
  return target;
}

std::string openam_header_value(std::string_view v) {
  // Spaces at either end would be trimmed from a header value: encoded too.
  const bool plain = !v.starts_with("=?") && !v.starts_with(' ') && !v.ends_with(' ') &&
                     std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (plain) return std::string(v);
  constexpr std::string_view open = "=?UTF-8?B?", close = "?=";
  const std::size_t encoded = 4 * ((v.size() + 2) / 3);
  std::string word;  // one buffer, never grown: no unwiped copy of a password left behind
  word.reserve(open.size() + encoded + 1 + close.size());
  word.append(open).append(encoded + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(word.data() + open.size()),
                      reinterpret_cast<const unsigned char*>(v.data()), static_cast<int>(v.size()));
  word.resize(open.size() + static_cast<std::size_t>(n));
  word.append(close);
  return word;
}

namespace {

// A session token fit for a header value: visible ASCII only (AM's hold '*' and '.', which a
// bearer token cannot; nothing in it can end the header line).
bool header_safe(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string journey_words(const am_account& a) {
  return a.tree.empty() ? std::string("the realm's default journey")
                        : fmt::format("the journey '{}'", io::printable(a.tree, 100));
}

// The callbacks a journey asks for ("NameCallback, ChoiceCallback").
std::string callback_types(const json::array& callbacks) {
  std::string out;
  for (const auto& cb : callbacks) {
    const auto* o = cb.if_object();
    const auto* type = o != nullptr ? o->if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string()) continue;
    if (!out.empty()) out += ", ";
    out += io::printable(type->get_string(), 60);
  }
  return out.empty() ? std::string("callbacks") : out;
}

}  // namespace

sign_in_result read_sign_in(const am_account& a, std::string_view target,
                            const http_answer& answer) {
  const auto who = fmt::format("'{}'", io::printable(a.user, 100));
  if (answer.how != transport::ok) {
    return {{},
            {answer.how == transport::certificate ? run_error::certificate : run_error::unreachable,
             fmt::format("the sign-in of {} could not reach AM: {}", who,
                         io::printable(answer.detail, 200))}};
  }
  if (answer.status == 401) {
    return {{},
            {run_error::no_token,
             fmt::format("AM refused the sign-in of {} with {} (401 Unauthorized{}): check "
                         "--am-user and the password",
                         who, journey_words(a), answer_words(answer))}};
  }
  if (answer.status == 404) {
    return {{},
            {run_error::wrong_address,
             fmt::format("nothing signs in at {} (404 Not Found{}): is --am-path right? (a "
                         "self-managed AM is often at /openam or /sso; is --auth-realm?)",
                         io::printable(target, 300), answer_words(answer))}};
  }
  boost::system::error_code ec;
  const auto body = json::parse(answer.body, ec);
  const auto* o = ec ? nullptr : body.if_object();
  if (answer.status / 100 != 2 || o == nullptr) {
    return {{},
            {run_error::no_token, fmt::format("the sign-in of {} answered {}{}", who,
                                              describe(outcome_of(answer)), answer_words(answer))}};
  }
  if (const auto* cbs = o->if_contains("callbacks"); cbs != nullptr && cbs->is_array()) {
    return {{},
            {run_error::no_token,
             fmt::format("{} asks for more than a user name and password ({}): use --auth-tree "
                         "with one that takes both (the sign-in of {})",
                         journey_words(a), callback_types(cbs->get_array()), who)}};
  }
  const auto* token = o->if_contains("tokenId");
  if (token == nullptr || !token->is_string() || !header_safe(token->get_string())) {
    return {{},
            {run_error::no_token,
             fmt::format("the sign-in of {} answered without a usable tokenId", who)}};
  }
  return {std::string(token->get_string()), {}};
}

namespace {

// One request of the session's own (serverinfo, sign-in, sign-out), sent as it is.
struct plain_request {
  http_method method = http_method::get;
  std::string target;
  std::vector<header_field> headers;
  std::string_view body;
};

// A session refused this soon after its sign-in was never taken (a wrong header), not ended:
// far shorter than any session AM keeps (minutes), and than the sim's shortest in the tests.
constexpr auto refused_at_once = std::chrono::milliseconds(250);

class am_session final : public token_source {
 public:
  explicit am_session(am_account a) : account_(std::move(a)) {}
  ~am_session() override {
    io::wipe(account_.password);
    io::wipe(token_);
  }

  const std::string& token() override { return token_; }
  bool refresh() override { return false; }
  std::string describe() const override {
    return fmt::format("the AM session of '{}'", io::printable(account_.user, 100));
  }
  std::string_view header_name() const override {
    return cookie_.empty() ? default_cookie_name : std::string_view(cookie_);
  }
  bool ends_unannounced() const override { return true; }
  bool ready() const override { return !token_.empty(); }
  void cancel() override { channel_.cancel(); }
  void detach() override { channel_.detach(); }

  asio::awaitable<problem> ensure(token_context* ctx, std::string rejected) override {
    if (error_) co_return error_;
    if (!token_.empty() && (rejected.empty() || rejected != token_)) co_return problem{};
    if (!token_.empty() && std::chrono::steady_clock::now() - signed_in_at_ < refused_at_once) {
      // Refused at once: no session end, but a session AM does not take where it is sent (a
      // cookie name serverinfo did not tell): signing in again would only open more.
      error_ = {run_error::token_refused,
                fmt::format("AM refused {} the moment it was opened: is the session sent in the "
                            "header AM reads ('{}', from serverinfo)?",
                            describe(), io::printable(header_name(), 80))};
      co_return error_;
    }
    if (channel_.in_flight()) {
      co_await channel_.wait();
    } else {
      co_await sign_in(ctx);
    }
    if (error_) co_return error_;
    if (token_.empty()) co_return problem{run_error::interrupted, "stopped"};
    co_return problem{};
  }

  asio::awaitable<std::string> end_session(token_context* ctx,
                                           std::chrono::milliseconds timeout) override;

 private:
  asio::awaitable<void> sign_in(token_context* ctx);
  asio::awaitable<void> read_cookie_name(token_context* ctx);
  asio::awaitable<driven> exchange(token_context* ctx, const plain_request& req,
                                   const retry_config& retry) {
    return channel_.exchange(ctx, retry, req.method, [this, ctx, &req] {
      return channel_.conn().send_plain(req.method, req.target, req.headers, req.body,
                                        ctx->timeout);
    });
  }

  am_account account_;
  std::string token_;
  std::string cookie_;        // from serverinfo (empty: not read yet, or not said)
  bool cookie_read_ = false;  // serverinfo asked once
  problem error_;             // why no session can be had: the run stops
  std::chrono::steady_clock::time_point signed_in_at_{};
  token_channel channel_;
};

// serverinfo/* (public): the name of AM's session cookie, which is the session's header.
asio::awaitable<void> am_session::read_cookie_name(token_context* ctx) {
  plain_request req{http_method::get,
                    ctx->am_path + "/json/serverinfo/*",
                    {{"Accept-API-Version", "resource=1.1"}},
                    {}};
  auto d = co_await exchange(ctx, req, ctx->retry);
  if (d.how != driven::end::answered || d.answer.what != final_answer::kind::ok) co_return;
  cookie_read_ = true;  // a definite answer (asked again at the next sign-in otherwise)
  boost::system::error_code ec;
  const auto body = json::parse(d.last.body, ec);  // the exchange's reader is gone
  const auto* o = ec ? nullptr : body.if_object();
  const auto* name = o != nullptr ? o->if_contains("cookieName") : nullptr;
  if (name != nullptr && name->is_string() && io::is_bearer_token(name->get_string()) &&
      name->get_string().find_first_of("/+=~") == json::string::npos) {
    cookie_.assign(name->get_string());  // a header name: a token of letters, digits, - _ .
  }
}

// One sign-in at a time; the others wait on the channel.
asio::awaitable<void> am_session::sign_in(token_context* ctx) {
  channel_.begin(ctx);
  if (!cookie_read_) co_await read_cookie_name(ctx);
  const auto target = sign_in_target(ctx->am_path, account_);
  const auto user = openam_header_value(account_.user);
  const io::wiped_string password(openam_header_value(account_.password));
  plain_request req{http_method::post,
                    target,
                    {{"X-OpenAM-Username", user},
                     {"X-OpenAM-Password", password.str()},
                     {"Accept-API-Version", "resource=2.0, protocol=1.0"}},
                    "{}"};
  auto d = co_await exchange(ctx, req, ctx->retry);
  if (d.how == driven::end::answered) {
    auto r = read_sign_in(account_, target, d.last);
    io::wipe(token_);
    token_ = std::move(r.token);
    error_ = std::move(r.trouble);
    signed_in_at_ = std::chrono::steady_clock::now();
    if (ctx->stats != nullptr && !error_) ++ctx->stats->sign_ins;
  } else if (d.how == driven::end::aborted) {
    error_ = {d.error, "the sign-in: " + d.reason};
  }
  channel_.end();
}

// POST <am>/json/realms/root/sessions/?_action=logout with the session: once, briefly (a
// run that was interrupted should not wait long for it).
asio::awaitable<std::string> am_session::end_session(token_context* ctx,
                                                     std::chrono::milliseconds timeout) {
  if (token_.empty()) co_return std::string();
  channel_.resume();  // a hard stop ended the run's requests, not this one
  plain_request req{http_method::post,
                    ctx->am_path + "/json/realms/root/sessions/?_action=logout",
                    {{header_name(), token_}, {"Accept-API-Version", "resource=3.1, protocol=1.0"}},
                    "{}"};
  retry_config once = ctx->retry;
  once.max_attempts = 1;
  token_context brief = *ctx;
  brief.timeout = std::min(timeout, ctx->timeout);
  auto d = co_await exchange(&brief, req, once);
  io::wipe(token_);
  token_.clear();
  if (d.how == driven::end::answered && d.answer.what == final_answer::kind::ok) {
    co_return fmt::format("signed out of AM ({})", describe());
  }
  co_return fmt::format(
      "could not sign out of AM ({}: {}); the session ends by itself when it "
      "idles out",
      describe(),
      d.last.how != transport::ok ? io::printable(d.last.detail, 200)
                                  : engine::describe(outcome_of(d.last)));
}

}  // namespace

std::unique_ptr<token_source> make_am_session(am_account account) {
  return std::make_unique<am_session>(std::move(account));
}

}  // namespace devreset::engine
