// `devreset sim`: a simulated tenant on this machine, for trying devreset and for tests.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/log.hpp"
#include "cli/options.hpp"
#include "io/duration.hpp"
#include "io/secret_file.hpp"
#include "sim/server.hpp"

namespace devreset::cli {

namespace po = boost::program_options;
namespace json = boost::json;

namespace {

constexpr const char* sim_usage = R"(Usage: devreset sim [options]

Starts a simulated PingOne AIC / PingAM tenant on this machine: HTTPS with a CA of its own,
the device API of the tenant, seeded users with devices, and knobs for latency, rate limits
and faults. Prints a JSON line with its URL, token and CA file, then serves until Ctrl-C.

Examples:
  devreset sim --users 1000 --ca-out /tmp/sim-ca.pem
  devreset sim --listen 127.0.0.1:8443 --latency 20ms --jitter 5ms --rate-limit 200
  devreset sim --latency 20ms --rate-limit 200,100@20s,200@40s --rate-limit-headers
  devreset sim --users 100000 --users-out users.txt --fail-rate 0.02 --drop-rate 0.01
  devreset sim --sa-id test-sa --sa-jwk samples/service-account.jwk.json --token-ttl 2m
  devreset sim --hostile html=0.05 --hostile redirect=0.01 --hostile tls-stall=0.02
  devreset sim --am-admin amadmin --am-password-file pw.txt --session-max 5s

A self-managed PingAM (--am-admin): administrators sign in at <am>/json/realms/root/
authenticate (X-OpenAM-Username, X-OpenAM-Password), send the session as <cookie>: <tokenId>
and sign out at <am>/json/realms/root/sessions/?_action=logout; no bearer token is taken, device
paths name users by user name, and <am>/json/realms/root/realms/<realm>/users answers queries
(uid, username, mail) instead of IDM.

Hostile modes (--hostile MODE[=SHARE], SHARE of requests, 1 when absent; tls-stall: of
connections): huge (a 64 MiB body), chunked (a chunked body that never ends), chunk-ext (a chunk-size line
that never ends), headers (header
lines that never end), tls-stall (a handshake never answered), retry-year (429, Retry-After a
year), retry-garbage (503, Retry-After unreadable), result-false (200 {"result":false}), html
(502 with a gateway's HTML page), bad-json (200, not JSON), redirect (302 to another host),
controls (400 whose message holds a C1 CSI and bidi overrides).

The sim's own endpoints (not a tenant's; the tests and you may call them with curl --cacert):
  GET  /sim/stats     its counters: requests by endpoint and status, devices left by type,
                      users reset once and more, tokens issued, IDM queries, the rate limit,
                      AM sessions (sign-ins, sign-outs, sessions ended)
  POST /sim/devices?realm=alpha&user=<_id>&type=oath
                      registers a device now, as a user would between a plan and its run;
                      the realm as --realm takes it (alpha, or /realms/root/realms/alpha)

Options)";

// The sim's files (its CA, its users, its ready line with the token): created 0600
// through a temporary file in the same folder, never through a planted link.
bool write_file_atomically(const std::filesystem::path& path, const std::string& content,
                           std::string& error) {
  try {
    io::write_new_file(path, content, /*replace=*/true);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

std::chrono::milliseconds duration_option(const po::variables_map& vm, const char* name) {
  std::string error;
  auto d = io::parse_duration(vm[name].as<std::string>(), &error);
  if (!d) throw po::error(fmt::format("--{}: {}", name, error));
  return *d;
}

double rate_option(const po::variables_map& vm, const char* name) {
  double p = vm[name].as<double>();
  if (p < 0 || p > 1) throw po::error(fmt::format("--{} is a share between 0 and 1", name));
  return p;
}

// --rate-limit RATE[,RATE@TIME...]: the first rate from the start, each next one from TIME
// after the first request ("200,100@20s,400@40s").
void read_rate_limit(const std::string& text, sim::options& o) {
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty() || first) {
    const auto comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto at = item.find('@');
    double rate = 0;
    std::size_t used = 0;
    try {
      rate = std::stod(item.substr(0, at), &used);
    } catch (const std::exception&) {
      used = std::string::npos;
    }
    if (used != (at == std::string::npos ? item.size() : at) || !(rate >= 0)) {
      throw po::error(
          fmt::format("--rate-limit: '{}' is not RATE or RATE@TIME (e.g. 100@20s)", item));
    }
    if (first) {
      if (at != std::string::npos) throw po::error("--rate-limit: the first rate has no @TIME");
      o.rate_limit = rate;
      first = false;
      continue;
    }
    std::string error;
    auto when =
        at == std::string::npos ? std::nullopt : io::parse_duration(item.substr(at + 1), &error);
    if (!when)
      throw po::error(fmt::format("--rate-limit: '{}' needs @TIME (e.g. 100@20s) {}", item, error));
    if (!o.rate_changes.empty() && *when <= o.rate_changes.back().at) {
      throw po::error(fmt::format("--rate-limit: '{}' comes before the step it follows", item));
    }
    o.rate_changes.push_back({*when, rate});
  }
}

// --listen HOST:PORT ([v6]:port too).
void read_listen(const po::variables_map& vm, sim::options& o) {
  auto listen = vm["listen"].as<std::string>();
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw po::error("--listen takes HOST:PORT");
  o.listen_host = listen.substr(0, colon);
  if (o.listen_host.size() > 2 && o.listen_host.front() == '[') {
    o.listen_host = o.listen_host.substr(1, o.listen_host.size() - 2);
  }
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port < 0 || port > 65535) throw po::error("--listen: the port is 0 to 65535");
  o.port = static_cast<std::uint16_t>(port);
}

// --device-ages DAYS:SHARE,...,undated:SHARE: shares that add up to 1.
std::vector<sim::options::device_age> read_device_ages(const std::string& spec) {
  std::vector<sim::options::device_age> out;
  double sum = 0;
  std::size_t at = 0;
  while (at <= spec.size()) {
    const auto comma = std::min(spec.find(',', at), spec.size());
    const auto part = spec.substr(at, comma - at);
    const auto colon = part.find(':');
    char* end = nullptr;
    const double share =
        colon == std::string::npos ? -1 : std::strtod(part.c_str() + colon + 1, &end);
    const auto days_text = part.substr(0, colon == std::string::npos ? 0 : colon);
    const int days = days_text == "undated" ? -1 : std::atoi(days_text.c_str());
    if (colon == std::string::npos || end == nullptr || *end != '\0' || !(share >= 0) ||
        (days_text != "undated" &&
         (days_text.empty() || days_text.find_first_not_of("0123456789") != std::string::npos))) {
      throw po::error(fmt::format("--device-ages: '{}' is not DAYS:SHARE or undated:SHARE", part));
    }
    out.push_back({days, share});
    sum += share;
    at = comma + 1;
  }
  if (std::abs(sum - 1) > 1e-6)
    throw po::error(fmt::format("--device-ages: the shares add up to {}, not 1", sum));
  return out;
}

// A self-managed AM: its administrator, password, sessions and journeys.
void read_am(const po::variables_map& vm, sim::options& o) {
  if (vm.count("am-admin") != vm.count("am-password-file")) {
    throw po::error("--am-admin and --am-password-file go together");
  }
  if (vm.count("am-admin")) {
    o.am_admin = vm["am-admin"].as<std::string>();
    std::string text;
    try {
      text =
          io::read_secret_file(vm["am-password-file"].as<std::string>(), 4096, "AM password file");
    } catch (const io::secret_file_error& e) {
      throw po::error(e.what());
    }
    o.am_password = text.substr(0, text.find_first_of("\r\n"));
    io::wipe(text);
    if (o.am_admin.empty() || o.am_password.empty()) {
      throw po::error("--am-admin and its password cannot be empty");
    }
  }
  if (vm.count("am-non-admin")) o.am_non_admin = vm["am-non-admin"].as<std::string>();
  o.cookie_name = vm["cookie-name"].as<std::string>();
  o.session_idle = duration_option(vm, "session-idle");
  o.session_max = duration_option(vm, "session-max");
  if (o.session_idle.count() <= 0 || o.session_max.count() <= 0) {
    throw po::error("--session-idle and --session-max are more than 0");
  }
  if (vm.count("callback-tree"))
    o.callback_trees = vm["callback-tree"].as<std::vector<std::string>>();
}

// Who the tenant is: users, realm, AM path, tokens, service account, certificate.
void read_identity(const po::variables_map& vm, sim::options& o) {
  o.users = vm["users"].as<std::uint64_t>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.realm = vm["realm"].as<std::string>();
  o.am_path = vm["am-path"].as<std::string>();
  o.idm_path = vm["idm-path"].as<std::string>();
  if (vm.count("managed-user")) o.managed_user = vm["managed-user"].as<std::string>();
  o.token_scopes = vm["token-scopes"].as<std::string>();
  if (vm.count("token")) o.token = vm["token"].as<std::string>();
  if (vm.count("next-token")) o.next_token = vm["next-token"].as<std::string>();
  o.token_expires = duration_option(vm, "token-expires");
  if (vm.count("sa-id") != vm.count("sa-jwk")) throw po::error("--sa-id and --sa-jwk go together");
  if (vm.count("sa-id")) {
    o.sa_id = vm["sa-id"].as<std::string>();
    o.sa_jwk_file = vm["sa-jwk"].as<std::string>();
  }
  o.token_ttl = duration_option(vm, "token-ttl");
  if (o.token_ttl.count() < 1000) throw po::error("--token-ttl is at least 1s");
  o.binding_reset = vm.count("no-binding-reset") == 0;
  read_am(vm, o);
  if (vm.count("device-ages"))
    o.device_ages = read_device_ages(vm["device-ages"].as<std::string>());
  if (vm.count("cert") != vm.count("key")) throw po::error("--cert and --key go together");
  if (vm.count("cert")) {
    o.cert_file = vm["cert"].as<std::string>();
    o.key_file = vm["key"].as<std::string>();
  }
}

// How it behaves: latency, rate limit, the ordinary faults and the lost answers.
void read_behaviour(const po::variables_map& vm, sim::options& o) {
  o.latency = duration_option(vm, "latency");
  o.jitter = duration_option(vm, "jitter");
  o.slow_delay = duration_option(vm, "slow-delay");
  read_rate_limit(vm["rate-limit"].as<std::string>(), o);
  o.capacity = vm["capacity"].as<double>();
  if (!(o.capacity >= 0)) throw po::error("--capacity: requests per second, 0 or more");
  o.rate_limit_headers = vm.count("rate-limit-headers") > 0;
  o.rate_limit_per_client = vm.count("rate-limit-per-client") > 0;
  o.fail_rate = rate_option(vm, "fail-rate");
  o.drop_rate = rate_option(vm, "drop-rate");
  o.slow_rate = rate_option(vm, "slow-rate");
  o.lost_answer_rate = rate_option(vm, "lost-answer-rate");
  o.late_5xx_rate = rate_option(vm, "late-5xx-rate");
  o.leave_behind_rate = rate_option(vm, "leave-behind-rate");
  if (o.lost_answer_rate + o.late_5xx_rate > 1) {
    throw po::error("--lost-answer-rate and --late-5xx-rate add up to more than 1");
  }
  if (o.fail_rate + o.drop_rate + o.slow_rate > 1) {
    throw po::error("--fail-rate, --drop-rate and --slow-rate add up to more than 1");
  }
}

// --hostile MODE[=SHARE], repeatable.
void read_hostile(const po::variables_map& vm, sim::options& o) {
  if (!vm.count("hostile")) return;
  double per_request = 0;
  for (const auto& spec : vm["hostile"].as<std::vector<std::string>>()) {
    auto eq = spec.find('=');
    auto name = spec.substr(0, eq);
    auto mode = sim::parse_hostile(name);
    if (!mode) {
      throw po::error(fmt::format("--hostile: unknown mode '{}' (one of: {})", name,
                                  fmt::join(sim::hostile_names, ", ")));
    }
    double share = 1;
    if (eq != std::string::npos) {
      char* end = nullptr;
      share = std::strtod(spec.c_str() + eq + 1, &end);
      if (end == spec.c_str() + eq + 1 || *end != '\0' || !(share >= 0 && share <= 1)) {
        throw po::error(fmt::format("--hostile {}: the share is a number from 0 to 1", spec));
      }
    }
    o.hostile_rate[static_cast<std::size_t>(*mode)] = share;
    if (*mode != sim::hostile::tls_stall) per_request += share;
  }
  if (per_request > 1) throw po::error("--hostile: the shares add up to more than 1");
}

// --extra-user: users whose names no seeded user has (hostile ones), with devices to remove.
void add_extra_users(const po::variables_map& vm, sim::server& srv) {
  if (!vm.count("extra-user")) return;
  sim::device_counts counts{};
  for (auto t : io::all_device_types)
    if (io::type_set::defaults().contains(t)) counts[io::index(t)] = 1;
  std::size_t k = 0;
  for (const auto& name : vm["extra-user"].as<std::vector<std::string>>())
    srv.add_user(srv.realm_path(), fmt::format("extra-{}", k++), counts, name);
}

po::options_description sim_options() {
  po::options_description desc(sim_usage, help_columns, help_columns / 2);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("listen", po::value<std::string>()->default_value("127.0.0.1:0"), "HOST:PORT to listen on (port 0: any free port)")
    ("users", po::value<std::uint64_t>()->default_value(1000), "seeded users")
    ("seed", po::value<std::uint64_t>()->default_value(1), "seed: the same seed gives the same users, devices and faults")
    ("realm", po::value<std::string>()->default_value("alpha"), "realm of the seeded users")
    ("am-path", po::value<std::string>()->default_value("/am"), "AM context path")
    ("idm-path", po::value<std::string>()->default_value("/openidm"), "IDM context path")
    ("managed-user", po::value<std::string>(), "managed user object (default: <realm>_user; its groups: <realm>_group)")
    ("token", po::value<std::string>(), "bearer token to accept (random when absent)")
    ("token-scopes", po::value<std::string>()->default_value("fr:am:* fr:idm:*"), "what --token may do: without fr:idm:* the IDM API answers 403")
    ("token-expires", po::value<std::string>()->default_value("0"), "--token is refused this long after start (0: never), as a token that expires mid-run")
    ("next-token", po::value<std::string>(), "a second bearer token, accepted at any time (what a token refresher would write)")
    ("sa-id", po::value<std::string>(), "serve the token endpoint for this service account")
    ("sa-jwk", po::value<std::string>(), "the service account's JWK file (its public part is used)")
    ("token-ttl", po::value<std::string>()->default_value("15m"), "lifetime of issued tokens")
    ("am-admin", po::value<std::string>(), "be a self-managed PingAM whose administrator is this account (see above)")
    ("am-password-file", po::value<std::string>(), "the administrator's password (a file only you can read)")
    ("am-non-admin", po::value<std::string>(), "an account that signs in with the same password but may not manage devices (403 User not permitted.)")
    ("cookie-name", po::value<std::string>()->default_value("iPlanetDirectoryPro"), "AM's session cookie: the session's header, and serverinfo's cookieName")
    ("session-idle", po::value<std::string>()->default_value("30m"), "an AM session unused this long ends")
    ("session-max", po::value<std::string>()->default_value("120m"), "every AM session ends this long after its sign-in")
    ("extra-user", po::value<std::vector<std::string>>()->composing(), "one more user with this user name (any characters: /, ?, %, spaces...) and a device of each default type, its _id extra-<n> (repeatable)")
    ("device-ages", po::value<std::string>(), "devices' last use, in days before the sim's start, and the share of each: 10:0.4,100:0.3,400:0.2,undated:0.1 (undated: no lastAccessDate); registered 30 days before their last use. Without it, dates of 2023")
    ("callback-tree", po::value<std::vector<std::string>>()->composing(), "a journey that asks for more than a user name and password (answers with callbacks; repeatable)")
    ("latency", po::value<std::string>()->default_value("0"), "added to every answer (e.g. 20ms)")
    ("jitter", po::value<std::string>()->default_value("0"), "latency varies by up to this either way")
    ("rate-limit", po::value<std::string>()->default_value("0"), "requests per second before 429 + Retry-After (0: none); a schedule: 200,100@20s,400@40s (from the first request)")
    ("capacity", po::value<double>()->default_value(0), "requests per second it serves; more wait their turn (latency grows, none refused: a tenant that slows down instead of answering 429); 0: unlimited")
    ("rate-limit-headers", "state the limit in every answer: RateLimit-Policy, RateLimit, X-RateLimit-*")
    ("rate-limit-per-client", "a limit per client address (default: one for all clients)")
    ("fail-rate", po::value<double>()->default_value(0), "share of requests answered 503")
    ("drop-rate", po::value<double>()->default_value(0), "share of connections closed without an answer")
    ("slow-rate", po::value<double>()->default_value(0), "share of requests answered 504 after --slow-delay")
    ("slow-delay", po::value<std::string>()->default_value("30s"), "how late a slow answer comes")
    ("lost-answer-rate", po::value<double>()->default_value(0), "share of device requests applied, then their connection closed (the answer lost)")
    ("late-5xx-rate", po::value<double>()->default_value(0), "share of device requests applied, then answered 503")
    ("leave-behind-rate", po::value<double>()->default_value(0), "share of reset actions answered {\"result\":true} that leave a device in place (what --verify catches)")
    ("hostile", po::value<std::vector<std::string>>()->composing(), "MODE[=SHARE]: answer like a broken tenant (see below; repeatable)")
    ("no-binding-reset", "answer binding's reset action with 400, as a tenant without it does")
    ("cert", po::value<std::string>(), "server certificate chain (PEM) instead of a generated one")
    ("key", po::value<std::string>(), "its private key (PEM)")
    ("ca-out", po::value<std::string>(), "write the generated CA certificate here")
    ("ready-file", po::value<std::string>(), "write {url, token, ca_file} here once listening")
    ("users-out", po::value<std::string>(), "write the seeded user ids here, one per line");
  // clang-format on

  return desc;
}

// Writes what a client needs (the CA, the user ids, the ready line). The CA's file, when it
// is a temporary one; nullopt when a file could not be written.
std::optional<std::string> publish(const po::variables_map& vm, sim::server& srv,
                                   const sim::options& opts, bool& temporary_ca) {
  std::string ca_file, error;
  if (!srv.ca_pem().empty()) {
    temporary_ca = !vm.count("ca-out");
    ca_file = temporary_ca ? (std::filesystem::temp_directory_path() /
                              fmt::format("devreset-sim-{}-ca.pem", srv.port()))
                                 .string()
                           : vm["ca-out"].as<std::string>();
    if (!write_file_atomically(ca_file, srv.ca_pem(), error)) {
      tell(fmt::format("devreset sim: cannot write the CA: {}\n", error));
      return std::nullopt;
    }
  }
  if (vm.count("users-out")) {
    std::string ids;
    for (const auto& id : srv.user_ids())
      ids.append(id).append(1, '\n');
    if (!write_file_atomically(vm["users-out"].as<std::string>(), ids, error)) {
      tell(fmt::format("devreset sim: cannot write the user ids: {}\n", error));
      return std::nullopt;
    }
  }
  json::object ready{{"url", srv.url()},          {"token", srv.token()},    {"ca_file", ca_file},
                     {"realm", srv.realm_path()}, {"am_path", opts.am_path}, {"users", opts.users}};
  auto line = json::serialize(ready);
  fmt::print("{}\n", line);  // first: once the ready file is there, so is this line
  std::fflush(stdout);
  if (vm.count("ready-file") &&
      !write_file_atomically(vm["ready-file"].as<std::string>(), line + "\n", error)) {
    tell(fmt::format("devreset sim: cannot write the ready file: {}\n", error));
    return std::nullopt;
  }
  return ca_file;
}

}  // namespace

int sim_command(int argc, char** argv) {
  auto desc = sim_options();
  sim::options opts;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    read_listen(vm, opts);
    read_identity(vm, opts);
    read_behaviour(vm, opts);
    read_hostile(vm, opts);
  } catch (const po::error& e) {
    tell(fmt::format("devreset sim: {} (see devreset sim --help)\n", e.what()));
    return 2;
  }
  try {
    sim::server srv(opts);
    add_extra_users(vm, srv);
    bool temporary_ca = false;
    auto ca_file = publish(vm, srv, opts, temporary_ca);
    if (!ca_file) return 2;
    tell(fmt::format("devreset sim: {} users in {} at {} (a simulated tenant; Ctrl-C stops it)\n",
                     opts.users, srv.realm_path(), srv.url()));
    srv.run(/*until_signal=*/true);
    if (temporary_ca) std::filesystem::remove(*ca_file);
    tell(fmt::format("devreset sim: stopped\n{}\n", srv.stats_json()));
    return 0;
  } catch (const std::exception& e) {
    tell(fmt::format("devreset sim: {}\n", e.what()));
    return 3;
  }
}

}  // namespace devreset::cli
