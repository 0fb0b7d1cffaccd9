// The preflight: before any user is touched, prove the host, the TLS, the realm, the AM
// path and the token, each with one clear line when it is wrong.
#include <fmt/format.h>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json.hpp>

#include <functional>
#include <stop_token>
#include <variant>

#include "engine/answer.hpp"
#include "engine/detail/run_state.hpp"
#include "engine/idm_lookup.hpp"
#include "engine/request_machine.hpp"
#include "engine/status_table.hpp"
#include "engine/tenant_input.hpp"
#include "io/text.hpp"

namespace devreset::engine::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

// The realm as an operator names it: "/realms/root/realms/alpha/realms/emea" -> "alpha/emea".
std::string realm_name(std::string_view path) {
  constexpr std::string_view root = "/realms/root", level = "/realms/";
  if (path == root) return "root";
  if (path.starts_with(root)) path.remove_prefix(root.size());
  std::string out;
  while (path.starts_with(level)) {
    path.remove_prefix(level.size());
    auto end = path.find('/');
    if (!out.empty()) out += '/';
    out += path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return out.empty() ? std::string(path) : out;
}

struct checked {
  http_answer answer;  // the last one (or how the last attempt failed)
  problem trouble;     // the tenant could not be reached, or no token could be had
};

using preflight_ctx = stoppable_connection;

// One read, by the request machine's preflight profile: retried on dropped connections,
// stalls and passing trouble like any request; an unreadable answer is final (it proves the
// tenant is there); a token is refreshed once on a 401.
asio::awaitable<checked> read(run_state* s, preflight_ctx& p, const std::string& target,
                              bool with_token) {
  const auto profile = request_profile::preflight(s->cfg.retry, with_token);
  request_machine m(profile, s->feedback, http_method::get);
  const planned_request req{http_method::get, target};
  connection_port port(s, &p, /*soft_stop=*/true);
  port.aim(req);
  auto d = co_await drive(m, port, http_method::get);
  checked out;
  out.answer = std::move(d.last);
  if (d.how == driven::end::stopped) {
    out.trouble.what = "stopped";  // the run's stop says why
    co_return out;
  }
  if (d.how == driven::end::aborted) out.trouble = {d.error, std::move(d.reason)};
  const auto& a = out.answer;
  if (!out.trouble && a.how == transport::proxy_refused) {
    out.trouble = {run_error::proxy, io::printable(a.detail, 300)};  // names the proxy
  } else if (!out.trouble && a.how != transport::ok && a.how != transport::bad_answer) {
    out.trouble = {
        a.how == transport::certificate ? run_error::certificate : run_error::unreachable,
        fmt::format("cannot reach the tenant at https://{}:{}{}: {}", s->cfg.host, s->cfg.port,
                    s->host.via(), io::printable(a.detail, 300))};
  }
  co_return out;
}

// The tenant refused the token (a 401 after its refresh, or a 403 on AM's side).
problem token_refusal(run_state* s, const http_answer& a) {
  return {run_error::token_refused,
          fmt::format("the tenant refused the token from {} ({}{})", s->tokens.describe(),
                      describe(outcome_of(a)), answer_words(a))};
}

// Where users are looked up, and the options that say so: IDM's managed users, or a
// self-managed AM's users endpoint (--am-user).
struct users_place {
  std::string url;
  const char* advice;
};
users_place users_at(run_state* s, std::string_view realm) {
  const auto base = io::tenant_url(s->cfg.host, s->cfg.port, "");
  if (s->cfg.directory.am_users) {
    return {base + s->paths.users_endpoint(realm), "check --am-path and --realm"};
  }
  return {fmt::format("{}{}/managed/{}", base, s->paths.idm_path(), s->paths.managed_user(realm)),
          "check --idm-path and --managed-user (AIC: /openidm, <realm>_user)"};
}

// The token may not read `what` in IDM (403: a scope it lacks), or was refused; nothing else.
problem idm_refusal(run_state* s, const http_answer& a, std::string_view what,
                    std::string_view idm) {
  const auto m = meaning_of(outcome_of(a));
  if (m == meaning::forbidden && !s->cfg.directory.am_users) {
    return {run_error::token_refused,
            fmt::format("the token from {} may not read {} at {} (403 Forbidden): it needs the "
                        "fr:idm:* scope",
                        s->tokens.describe(), what, idm)};
  }
  if (is_refusal(m)) return token_refusal(s, a);
  return {};
}

// A 404 that proves the address wrong: a realm AM does not know, or something that is not
// AM's device API answering at the AM path. Nothing when the answer proves nothing wrong.
problem address_problem(run_state* s, const http_answer& a, std::string_view realm) {
  if (meaning_of(outcome_of(a)) != meaning::not_found) return {};
  const auto url = io::tenant_url(s->cfg.host, s->cfg.port, s->paths.am_path());
  switch (what_is_missing(a)) {
    case missing::user:
    case missing::device:
      return {};  // AM answered for this realm: the user may be gone, the address is right
    case missing::realm:
      return {run_error::wrong_realm,
              fmt::format("realm '{}' does not exist on {} (404 Not Found{}): check --realm "
                          "(AIC's realms are alpha and bravo)",
                          io::printable(realm_name(realm), 200), url, answer_words(a))};
    case missing::resource:
    case missing::not_am:
      break;
  }
  return {run_error::wrong_address,
          fmt::format("nothing answers at {}/json{} (404 Not Found{}): is --am-path right? (the "
                      "tenant's AM is usually at /am)",
                      url, realm, answer_words(a))};
}

// After an IDM 404: a realm AM does not know (or a wrong AM path) is the likelier mistake,
// so AM is asked first (`serverinfo/*`, public); nothing when AM knows the realm.
asio::awaitable<problem> am_problem(run_state* s, preflight_ctx& p, std::string_view realm) {
  auto info = co_await read(
      s, p, s->paths.am_path() + "/json" + std::string(realm) + "/serverinfo/*", false);
  if (info.trouble) co_return std::move(info.trouble);
  co_return address_problem(s, info.answer, realm);
}

// The first user is named by user name or mail: one look-up of that name proves the IDM
// path, the managed object and that the token may read users; `serverinfo/*` (public) then
// proves the realm and the AM path.
asio::awaitable<problem> idm_preflight(run_state* s, preflight_ctx& p, const io::job& j) {
  const auto& dir = s->cfg.directory;
  const auto target = s->paths.user_query(j.realm, lookup_filter(j.kind, {j.name}, dir), dir.key());
  auto look = co_await read(s, p, target, true);
  if (look.trouble) co_return std::move(look.trouble);
  const auto place = users_at(s, j.realm);
  if (auto refused = idm_refusal(s, look.answer, "users", place.url)) co_return refused;
  if (meaning_of(outcome_of(look.answer)) == meaning::not_found) {
    if (auto am = co_await am_problem(s, p, j.realm)) co_return am;
    co_return problem{run_error::wrong_address,
                      fmt::format("nothing answers at {} (404 Not Found{}): {}", place.url,
                                  answer_words(look.answer), place.advice)};
  }
  co_return co_await am_problem(s, p, j.realm);
}

// An IDM read's answer that stops the run: the scope, the path, the tenant's refusal.
problem idm_problem(run_state* s, const checked& c, std::string_view what, std::string_view realm) {
  const auto place = users_at(s, realm);
  const auto idm = s->cfg.directory.am_users
                       ? place.url
                       : io::tenant_url(s->cfg.host, s->cfg.port, "") + s->paths.idm_path();
  if (auto refused = idm_refusal(s, c.answer, what, idm)) return refused;
  const auto m = meaning_of(outcome_of(c.answer));
  if (m == meaning::not_found) {
    return {run_error::input, fmt::format("nothing answers for {} at {} (404 Not Found{}): {}",
                                          what, idm, answer_words(c.answer), place.advice)};
  }
  if (m != meaning::success) {
    return {run_error::input, fmt::format("the tenant would not list {} ({}{})", what,
                                          describe(outcome_of(c.answer)), answer_words(c.answer))};
  }
  return {};
}

// A read of the IDM side whose answer must be a query result: its body, or why not.
asio::awaitable<std::variant<json::value, problem>> idm_read(run_state* s, preflight_ctx& p,
                                                             const std::string& target,
                                                             std::string_view what,
                                                             std::string_view realm) {
  auto c = co_await read(s, p, target, true);
  if (c.trouble) co_return std::move(c.trouble);
  if (meaning_of(outcome_of(c.answer)) == meaning::not_found) {
    if (auto am = co_await am_problem(s, p, realm)) co_return am;  // the realm, named first
  }
  if (auto why = idm_problem(s, c, what, realm)) co_return why;
  boost::system::error_code ec;
  auto body = json::parse(c.answer.body, ec);
  if (ec) co_return problem{run_error::input, fmt::format("the list of {} is not JSON", what)};
  co_return body;
}

}  // namespace

asio::awaitable<problem> query_source::preflight() {
  run_state* s = &s_;
  preflight_ctx p(s);
  const auto& q = s->cfg.source;
  const auto& realm = reader_.realm();
  std::string target;
  if (q.what == tenant_query::kind::group) {
    const auto lookup = s->paths.group_query(realm, "name eq " + filter_literal(q.text), "_id");
    auto found = co_await idm_read(s, p, lookup, "groups", realm);
    if (auto* e = std::get_if<problem>(&found)) co_return std::move(*e);
    auto page = read_id_page(std::get<json::value>(found), "_id");
    if (page.ids.size() != 1) {
      co_return problem{run_error::input,
                        page.ids.empty() ? fmt::format("no group named '{}' in realm {}",
                                                       io::printable(q.text, 200), realm)
                                         : fmt::format("{} groups are named '{}'", page.ids.size(),
                                                       io::printable(q.text, 200))};
    }
    group_id_ = page.ids.front();
    target = s->paths.group_members(realm, group_id_, q.page_size);
  } else {
    target = s->paths.user_query(realm, q.text, key(), q.page_size, {}, true);
  }
  auto first = co_await idm_read(s, p, target, members() ? "a group's members" : "users", realm);
  if (auto* e = std::get_if<problem>(&first)) co_return std::move(*e);
  auto page = read_id_page(std::get<json::value>(first), key());
  if (!page.problem.empty()) co_return problem{run_error::input, std::move(page.problem)};
  take(std::move(page));
  co_return problem{};
}

// Resolve, connect, TLS and the token: one authenticated read of the first user's devices.
// Its answer proves the realm and the AM path too, unless it is a 404 that names no user:
// then `serverinfo/*` in the realm (public in AM) tells a wrong realm or path from a user
// that is not there. One round trip when all is well.
asio::awaitable<problem> preflight(run_state* s, const io::job& j) {
  preflight_ctx p(s);
  if (j.kind != io::id_kind::user_id && j.user_id.empty())
    co_return co_await idm_preflight(s, p, j);
  io::device_type first = io::device_type::oath;
  for (auto t : io::all_device_types) {
    if (j.types.contains(t)) {
      first = t;
      break;
    }
  }
  auto dev = co_await read(s, p, s->paths.query(j.realm, j.user_id, first), true);
  if (dev.trouble) co_return std::move(dev.trouble);
  if (is_refusal(meaning_of(outcome_of(dev.answer)))) co_return token_refusal(s, dev.answer);
  if (meaning_of(outcome_of(dev.answer)) != meaning::not_found) co_return problem{};
  const auto m = what_is_missing(dev.answer);
  if (m == missing::user || m == missing::device) co_return problem{};
  if (m == missing::realm) co_return address_problem(s, dev.answer, j.realm);
  co_return co_await am_problem(s, p, j.realm);
}

}  // namespace devreset::engine::detail
