// A self-managed AM's sessions: sign-in, journeys with callbacks, ends, sign-out.
#include "sim/am_sessions.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "io/jose.hpp"
#include "sim/am_route.hpp"
#include "sim/crest.hpp"

namespace devreset::sim {

namespace json = boost::json;

namespace {

// What AM reads from an X-OpenAM-* header: an RFC 2047 encoded word of UTF-8 decoded (its
// way for names and passwords beyond ASCII), any other value as ISO-8859-1 (as a servlet
// reads a header: raw UTF-8 bytes become other characters).
std::string header_text(std::string_view v) {
  constexpr std::string_view open = "=?UTF-8?B?", close = "?=";
  if (v.size() < open.size() + close.size() || !v.starts_with(open) || !v.ends_with(close)) {
    std::string latin1;
    for (unsigned char c : v) {
      if (c < 0x80) {
        latin1 += static_cast<char>(c);
      } else {
        latin1 += static_cast<char>(0xc0 | (c >> 6));
        latin1 += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
    return latin1;
  }
  auto b64 = v.substr(open.size(), v.size() - open.size() - close.size());
  while (b64.ends_with('='))
    b64.remove_suffix(1);
  return io::base64url_decode(b64).value_or(std::string(v));
}

// What AM answers for a journey that wants more than the headers give.
outcome callbacks_answer() {
  static const std::string body = json::serialize(json::object{
      {"authId", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzaW0iOnRydWV9.c2lt"},
      {"callbacks",
       json::array{
           json::object{
               {"type", "NameCallback"},
               {"output", json::array{json::object{{"name", "prompt"}, {"value", "User Name"}}}},
               {"input", json::array{json::object{{"name", "IDToken1"}, {"value", ""}}}},
               {"_id", 0}},
           json::object{
               {"type", "ChoiceCallback"},
               {"output", json::array{json::object{{"name", "prompt"}, {"value", "Send a code"}},
                                      json::object{{"name", "choices"},
                                                   {"value", json::array{"Email", "SMS"}}},
                                      json::object{{"name", "defaultChoice"}, {"value", 0}}}},
               {"input", json::array{json::object{{"name", "IDToken2"}, {"value", 0}}}},
               {"_id", 1}}}}});
  outcome o;
  o.body = body;
  return o;
}

}  // namespace

am_sessions::am_sessions(const options& opts, std::string am_prefix)
    : opts_(opts), prefix_(std::move(am_prefix)), rng_(opts.seed ^ 0xa11ce5e55u) {}

bool am_sessions::is_sign_in(const request_view& req) const {
  if (!enabled() || req.method != "POST") return false;
  auto r = parse_am_route(req.target, prefix_);
  return r && r->under_root() && r->rest_is({"authenticate"});
}

bool am_sessions::is_sign_out(const request_view& req) const {
  if (!enabled() || req.method != "POST") return false;
  auto r = parse_am_route(req.target, prefix_);
  return r && r->under_root() && r->rest_is({"sessions"}) && r->param("_action") == "logout";
}

std::string am_sessions::new_token() {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string t = "AQIC5w";
  for (int i = 0; i < 40; ++i)
    t += alphabet[rng_() % alphabet.size()];
  return t + fmt::format(".*AAJTSQACMDEAAlNLABQt{}AAJTMQAA*", sign_ins_);
}

outcome am_sessions::sign_in(const request_view& req, clock::time_point now) {
  const auto route = parse_am_route(req.target, prefix_);  // is_sign_in: a route
  const auto realm = route->am_realm();
  const auto tree = route->param("authIndexValue").value_or("");
  if (route->param("authIndexType") == "service" &&
      std::find(opts_.callback_trees.begin(), opts_.callback_trees.end(), tree) !=
          opts_.callback_trees.end()) {
    ++callbacks_;
    return callbacks_answer();
  }
  const auto user = header_text(req.am_username);
  const bool admin = user == opts_.am_admin;
  const bool known = admin || (!opts_.am_non_admin.empty() && user == opts_.am_non_admin);
  if (!known || header_text(req.am_password) != opts_.am_password || opts_.am_password.empty()) {
    ++refused_;
    return crest_error(401, "Login failure");
  }
  ++sign_ins_;
  auto token = new_token();
  live_[token] = session{now, now, admin};
  outcome o;
  o.body = json::serialize(
      json::object{{"tokenId", token}, {"successUrl", "/am/console"}, {"realm", realm}});
  return o;
}

bool am_sessions::ended(const session& s, clock::time_point now) const {
  return now - s.used >= opts_.session_idle || now - s.created >= opts_.session_max;
}

am_sessions::access am_sessions::check(const request_view& req, clock::time_point now) {
  auto it = live_.find(std::string(req.session));
  if (it == live_.end()) return access::none;
  if (ended(it->second, now)) {
    ++ended_;
    live_.erase(it);
    return access::none;
  }
  it->second.used = now;
  return it->second.admin ? access::admin : access::not_admin;
}

outcome am_sessions::sign_out(const request_view& req, clock::time_point now) {
  if (check(req, now) == access::none) return crest_error(401, "Access Denied");
  live_.erase(std::string(req.session));
  ++sign_outs_;
  outcome o;
  o.body = R"({"result":"Successfully logged out"})";
  return o;
}

json::object am_sessions::json() const {
  return json::object{{"sign_ins", sign_ins_},   {"refused", refused_}, {"callbacks", callbacks_},
                      {"sign_outs", sign_outs_}, {"ended", ended_},     {"live", live_.size()}};
}

}  // namespace devreset::sim
