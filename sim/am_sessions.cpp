// A self-managed AM's sessions: sign-in, journeys with callbacks, ends, sign-out.
#include "sim/am_sessions.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "sim/crest.hpp"

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

// The path's segments after "<am>/json" (nothing when the target is not under it), and its
// query parameters.
struct am_target {
  std::vector<std::string> segs;
  std::vector<std::pair<std::string, std::string>> params;
};

std::optional<am_target> under_json(std::string_view raw, const std::string& am_prefix) {
  auto parsed = urls::parse_origin_form(raw);
  if (!parsed) return std::nullopt;
  am_target t;
  for (auto s : parsed->segments())
    t.segs.emplace_back(s);
  std::size_t skip = am_prefix.empty() ? 1 : 2;
  if (t.segs.size() < skip || (!am_prefix.empty() && t.segs[0] != am_prefix) ||
      t.segs[skip - 1] != "json") {
    return std::nullopt;
  }
  t.segs.erase(t.segs.begin(), t.segs.begin() + static_cast<std::ptrdiff_t>(skip));
  if (!t.segs.empty() && t.segs.back().empty()) t.segs.pop_back();  // "sessions/"
  for (auto p : parsed->params())
    t.params.emplace_back(p.key, p.has_value ? std::string(p.value) : std::string());
  return t;
}

// The realm a path names ("/", "/alpha") and where its route begins, or nothing.
std::optional<std::pair<std::string, std::size_t>> realm_of(const std::vector<std::string>& s) {
  if (s.size() < 2 || s[0] != "realms" || s[1] != "root") return std::nullopt;
  std::string realm;
  std::size_t i = 2;
  while (i + 1 < s.size() && s[i] == "realms") {
    realm += "/" + s[i + 1];
    i += 2;
  }
  return std::pair{realm.empty() ? std::string("/") : realm, i};
}

std::string param(const am_target& t, std::string_view key) {
  for (const auto& [k, v] : t.params)
    if (k == key) return v;
  return {};
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
  auto t = under_json(req.target, prefix_);
  auto realm = t ? realm_of(t->segs) : std::nullopt;
  return realm && realm->second + 1 == t->segs.size() && t->segs.back() == "authenticate";
}

bool am_sessions::is_sign_out(const request_view& req) const {
  if (!enabled() || req.method != "POST") return false;
  auto t = under_json(req.target, prefix_);
  auto realm = t ? realm_of(t->segs) : std::nullopt;
  return realm && realm->second + 1 == t->segs.size() && t->segs.back() == "sessions" &&
         param(*t, "_action") == "logout";
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
  auto t = under_json(req.target, prefix_);
  const auto realm = realm_of(t->segs)->first;
  const auto tree = param(*t, "authIndexValue");
  if (param(*t, "authIndexType") == "service" &&
      std::find(opts_.callback_trees.begin(), opts_.callback_trees.end(), tree) !=
          opts_.callback_trees.end()) {
    ++callbacks_;
    return callbacks_answer();
  }
  const bool admin = req.am_username == opts_.am_admin;
  const bool known =
      admin || (!opts_.am_non_admin.empty() && req.am_username == opts_.am_non_admin);
  if (!known || req.am_password != opts_.am_password || opts_.am_password.empty()) {
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
