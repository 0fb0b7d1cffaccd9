// `devreset run` / `plan` options: layered parsing, then each group checked on its own.
#include "cli/run_options.hpp"

#include "cli/log.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <boost/program_options.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "cli/options.hpp"
#include "engine/am_session.hpp"
#include "engine/https_client.hpp"
#include "engine/service_account.hpp"
#include "io/duration.hpp"
#include "io/plan_file.hpp"
#include "io/realm_path.hpp"
#include "io/secret_file.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// The ceiling of a run or a plan unless told otherwise: a production tenant's own users log
// in meanwhile (`--rate 0` removes it; the adaptive controller works below it).
constexpr double default_rate = 50;

constexpr const char* run_usage =
    R"(Usage: devreset run --tenant URL --realm REALM --input FILE --ledger FILE [options]

Resets the registered MFA devices of every user in FILE, writing one ledger record per
user. Tokens come from a service account (--sa-id, --sa-key: devreset renews them), a
--token-file, or DEVRESET_TOKEN (never a bare command-line argument).
Every option can also be set in a --config file (INI: "concurrency = 32") or as
DEVRESET_<NAME> in the environment; the command line wins, then the environment.

Examples:
  devreset run --tenant https://tenant.example.com --realm alpha --input users.csv \
               --ledger reset.jsonl --sa-id 8a1d...-service-account-id --sa-key sa.jwk.json
  devreset run --tenant https://tenant.example.com --realm alpha --input users.csv \
               --ledger reset.jsonl --token-file token.txt
  devreset run --config devreset.conf --input users.csv --ledger reset.jsonl --yes
  devreset run ... --ledger reset.jsonl --resume      # after Ctrl-C or a crash
  devreset run --tenant https://tenant.example.com --plan plan.jsonl \
               --ledger reset.jsonl ...            # apply a reviewed plan (devreset plan)

Options)";

constexpr const char* plan_usage =
    R"(Usage: devreset plan --tenant URL --realm REALM --input FILE --ledger FILE [options]

Changes nothing: lists each user's devices of the chosen types and records, per user and
type, how many devices a run would remove and their ids (never names or secrets).

Examples:
  devreset plan --tenant https://tenant.example.com --realm alpha --input users.csv \
                --ledger plan.jsonl --token-file token.txt --types webauthn,oath

Options)";

// Where the tenant is and how to authenticate: every command that talks to one.
po::options_description tenant_options() {
  po::options_description desc("Tenant", help_columns, help_columns / 2);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "read options from this INI file")
    ("show-options", po::bool_switch(), "print every option's value and where it came from (command line, environment, config file, default), then exit")
    ("tenant", po::value<std::string>(), "tenant URL, e.g. https://openam-acme.forgeblocks.com")
    ("realm", po::value<std::string>(), "realm: alpha, /alpha, alpha/emea or /realms/root/realms/alpha")
    ("sa-id", po::value<std::string>(), "service account id: devreset gets and renews its own tokens")
    ("sa-key", po::value<std::string>(), "the service account's private key (JWK JSON file)")
    ("scope", po::value<std::string>()->default_value("fr:am:*"), "scope of service-account tokens (default fr:am:*, and fr:idm:* when the input names users by user_name or mail)")
    ("token-file", po::value<std::string>(), "file holding the bearer token (re-read when it changes)")
    ("am-user", po::value<std::string>(), "a self-managed PingAM: sign in as this administrator (password from --am-password-file or DEVRESET_AM_PASSWORD); users are then found at AM's users endpoint, not IDM")
    ("am-password-file", po::value<std::string>(), "the --am-user's password: a file only you can read (0600)")
    ("auth-tree", po::value<std::string>(), "the journey (authentication tree) --am-user signs in with (default: the realm's)")
    ("auth-realm", po::value<std::string>(), "the realm --am-user signs in to (default: root)")
    ("user-path", po::value<std::string>(), "how device paths name a user: name (its user name, as given: a self-managed AM's default) or id (its _id: AIC's default)")
    ("am-path", po::value<std::string>(), "AM context path (default /am, or the tenant URL's path)")
    ("idm-path", po::value<std::string>()->default_value("/openidm"), "IDM context path (users named by user_name or mail are looked up there)")
    ("managed-user", po::value<std::string>(), "IDM managed user object (default: <realm>_user, e.g. alpha_user; a self-managed PingIDM: user)")
    ("managed-group", po::value<std::string>(), "IDM managed group object, for --group (default: <realm>_group; a self-managed PingIDM: group)")
    ("ca-file", po::value<std::string>(), "PEM CA bundle to verify the tenant with (default: system store)")
    ("insecure", po::bool_switch(), "do not verify the tenant's certificate (never do this in production)")
    ("proxy", po::value<std::string>(), "HTTP proxy: http://[user:password@]host:port (default: HTTPS_PROXY, then ALL_PROXY; '' for none). Credentials on the command line show in ps: prefer the environment or the config file")
    ("no-proxy", po::value<std::string>(), "hosts reached directly: example.com,.corp,10.0.0.0/8,* (default: NO_PROXY)")
    ("proxy-ca-file", po::value<std::string>(), "PEM CA bundle for an https:// proxy's certificate (default: system store)");
  // clang-format on
  return desc;
}

// Who: the input and the device types.
po::options_description input_options() {
  po::options_description desc("Users", help_columns, help_columns / 2);
  static const std::string types_help = "device types: " + io::device_type_names();
  // clang-format off
  desc.add_options()
    ("input", po::value<std::string>(), "users to reset: .csv, .txt, .json, .jsonl")
    ("query", po::value<std::string>(), "instead of --input: the users an IDM managed-user _queryFilter matches (with --am-user: AM's users endpoint), read page by page (e.g. 'accountStatus eq \"inactive\"')")
    ("group", po::value<std::string>(), "instead of --input: the members of this IDM group (its name)")
    ("input-format", po::value<std::string>(), "csv, json or jsonl (default: from the extension)")
    ("delimiter", po::value<std::string>(), "CSV field separator: ',', ';' or 'tab' (default: found from the header row)")
    ("id-column", po::value<std::string>(), "the identifier to use when rows give several: user_id, user_name or mail (default: user_id, else user_name, else mail)")
    ("types", po::value<std::string>()->default_value(io::type_set::defaults().to_string(',')), types_help.c_str())
    ("shard", po::value<std::string>(), "K/N: only the users whose identifier hashes to shard K (from 0) of N, so that N processes with the same input do each user once (K: Kubernetes' JOB_COMPLETION_INDEX)")
    ("page-size", po::value<int>()->default_value(0), "_pageSize of device lists (0: the tenant's) and of --query/--group pages (0: 1000)");
  // clang-format on
  return desc;
}

// How hard to push the tenant, and when to give up.
po::options_description limit_options(int concurrency, double rate) {
  po::options_description desc("Limits", help_columns, help_columns / 2);
  // clang-format off
  desc.add_options()
    ("concurrency", po::value<int>()->default_value(concurrency), "requests in flight")
    ("rate", po::value<double>()->default_value(rate), rate > 0
        ? "requests per second ceiling, never exceeded: a production tenant's real users log in meanwhile (0: none; under it, devreset paces at what the tenant allows)"
        : "requests per second ceiling, never exceeded (0: none; under it, devreset paces at what the tenant allows)")
    ("burst", po::value<double>()->default_value(0), "requests at once under --rate (0: 10 ms worth)")
    ("max-attempts", po::value<int>()->default_value(5), "attempts per request before a type fails")
    ("timeout", po::value<std::string>()->default_value("30s"), "deadline of each request")
    ("backoff-base", po::value<std::string>()->default_value("200ms"), "first retry waits up to this (doubling, full jitter)")
    ("backoff-cap", po::value<std::string>()->default_value("10s"), "longest wait between attempts")
    ("max-retry-after", po::value<std::string>()->default_value("5m"), "longest Retry-After honoured (a tenant asking for more waits this long)")
    ("max-auth-failures", po::value<int>()->default_value(5), "consecutive 401/403 answers that abort the run")
    ("max-transport-failures", po::value<int>()->default_value(0), "requests in a row with no answer at all (refused, dropped, timed out) that abort the run: the tenant went away (0: 64 or 2 x concurrency, the larger)")
    ("not-found-guard", po::value<int>()->default_value(20), "abort when the first N users are all not found: a wrong tenant or realm (0: off, for lists of leavers)");
  // clang-format on
  return desc;
}

constexpr const char* probe_usage =
    R"(Usage: devreset probe --tenant URL --realm REALM --input FILE [--rate MAX] [options]

Measures how fast this tenant can take devreset, changing nothing: it sends only the reads
that `plan` sends (device lists of the users in FILE), at a rate that grows in steps
(--start-rate, then 1.5 times more each --step-duration), and stops on the tenant's signs,
each seen twice: 429 answers at one rate (asked again), or a latency knee (the median twice
the first step's, two steps in a row); on this machine's own ceiling (two steps that sent
under 80% of their rate, nothing refused, the median as it was); at --rate; or at
--max-duration. It prints a table of the steps, the sustainable rate, and how long
resetting the users would take at it. --out: the steps and the result as JSON Lines
("stopped_by": 429s, latency, client, ceiling or max_duration).

Examples:
  devreset probe --tenant https://tenant.example.com --realm alpha --input users.csv \
                 --token-file token.txt --rate 500 --out probe.jsonl
  devreset probe ... --input sample.csv --users 100000      # the estimate for 100,000 users

Options)";

po::options_description run_options(engine::run_mode mode) {
  po::options_description desc(mode == engine::run_mode::plan ? plan_usage : run_usage,
                               help_columns, help_columns / 2);
  po::options_description run("Run", help_columns, help_columns / 2);
  // clang-format off
  run.add_options()
    ("ledger", po::value<std::string>(), "the ledger (JSON Lines) to write")
    ("resume", po::bool_switch(), "continue the ledger: skip every (user, type) already ok")
    ("yes", po::bool_switch(), "do not ask for confirmation")
    ("verify", po::bool_switch(), "after each user's resets, list each type again and record what remains; a type with devices left fails (costs one more GET per type and user)")
    ("grace", po::value<std::string>()->default_value("10s"), "after Ctrl-C, time for users in flight")
    ("progress", po::value<std::string>()->default_value("auto"), "auto, bar, plain or none (auto: a bar on a terminal, else plain: lines stamped with the time)")
    ("progress-interval", po::value<std::string>()->default_value("10s"), "time between plain progress lines")
    ("log-format", po::value<std::string>()->default_value("text"), "text, or json: each line of stderr one JSON object (time, run_id, message), for log shippers")
    ("summary-json", po::value<std::string>(), "also write the summary as one JSON object (every figure of it) to FILE, or - for stdout")
    ("metrics-file", po::value<std::string>(), "write the run's figures in Prometheus' text format to FILE (node_exporter's textfile collector), whole, every --progress-interval and at the end")
    ("not-found-ok", po::bool_switch(), "users the tenant does not know (a stale list) do not make the exit code 1");
  po::options_description plan("Apply a plan (run only)", help_columns, help_columns / 2);
  plan.add_options()
    ("plan", po::value<std::string>(), "instead of --input: the ledger of a finished `devreset plan`; its users, realms and types, and the devices it found; every type of every user is listed again (one request per user and type, those the plan found empty too), and devices registered since are removed too and recorded")
    ("plan-strict", po::bool_switch(), "remove only the device ids the plan listed; record the rest")
    ("plan-max-age", po::value<std::string>()->default_value("24h"), "refuse a plan older than this");
  po::options_description age("Cleanup by age: remove only stale devices", help_columns,
                              help_columns / 2);
  age.add_options()
    ("unused-for", po::value<std::string>(), "remove only devices nobody has used for this long (their last use, lastAccessDate, or lastSelectedDate for profiles, before the run's start minus this): e.g. 180d. Every type is then listed and each such device deleted alone: never the reset action")
    ("registered-before", po::value<std::string>(), "remove only devices registered (createdDate) before this date (2025-01-31, 2025-01-31T12:00:00Z) or this long ago (365d); with --unused-for, both must hold")
    ("undated", po::value<std::string>()->default_value("keep"), "a device without the date a rule needs: keep (counted as undated) or remove");
  // clang-format on
  desc.add(tenant_options()).add(input_options()).add(run).add(age);
  if (mode == engine::run_mode::reset) desc.add(plan);
  desc.add(limit_options(16, default_rate));
  return desc;
}

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The proxy, as curl chooses it (io/proxy.hpp). Its credentials are never shown.
void read_proxy(const po::variables_map& vm, engine::run_config& cfg) {
  auto opt = [&](const char* name) -> std::optional<std::string> {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
  };
  auto choice = io::choose_proxy(cfg.host, opt("proxy"), opt("no-proxy"));
  if (!choice.error.empty()) throw usage_error(choice.error);
  cfg.proxy = std::move(choice.proxy);
  if (vm.count("proxy-ca-file")) {
    cfg.tls.proxy_ca_file = vm["proxy-ca-file"].as<std::string>();
    if (auto why = engine::ca_file_problem(cfg.tls.proxy_ca_file)) {
      throw usage_error(fmt::format("--proxy-ca-file {}: {}", cfg.tls.proxy_ca_file, *why));
    }
  }
}

// Where IDM is: its path and managed objects (checked: they go into request paths).
void read_idm(const po::variables_map& vm, engine::run_config& cfg) {
  cfg.idm_path = vm["idm-path"].as<std::string>();
  if (auto why = io::am_path_problem(cfg.idm_path)) {
    throw usage_error(fmt::format("--idm-path '{}': {}", io::printable(cfg.idm_path, 100), *why));
  }
  for (auto [option, out] : {std::pair{"managed-user", &cfg.managed_user},
                             std::pair{"managed-group", &cfg.managed_group}}) {
    if (!vm.count(option)) continue;
    *out = vm[option].as<std::string>();
    const bool plain = !out->empty() && std::all_of(out->begin(), out->end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    if (!plain) {
      throw usage_error(fmt::format("--{} is a managed object's name: letters, digits, _", option));
    }
  }
}

// The tenant: https only; a host name or address, no user, query or fragment; its path,
// if any, is the AM context path (unless --am-path). Every part is taken as it is spelled,
// never percent-decoded: nothing in it can change the request line or the host reached.
void read_tenant(const po::variables_map& vm, engine::run_config& cfg) {
  auto url_text = vm["tenant"].as<std::string>();
  auto url = boost::urls::parse_absolute_uri(url_text);
  const auto shown = io::printable(url_text, 100);
  if (!url || !url->has_authority() || url->encoded_host().empty()) {
    throw usage_error(
        fmt::format("--tenant '{}' is not a URL such as https://tenant.example.com", shown));
  }
  if (url->scheme() != "https") {
    throw usage_error(
        fmt::format("--tenant '{}' is not https: devreset only talks to tenants over TLS", shown));
  }
  if (url->has_userinfo() || url->has_query() || url->has_fragment()) {
    throw usage_error("--tenant: a tenant URL has no user, password, query or fragment");
  }
  using ht = boost::urls::host_type;
  if (url->host_type() == ht::name) {
    if (auto why = io::host_problem(url->encoded_host())) {
      throw usage_error(fmt::format("--tenant '{}': {}", shown, *why));
    }
  } else if (url->host_type() != ht::ipv4 && url->host_type() != ht::ipv6) {
    throw usage_error(fmt::format("--tenant '{}': the host is not a name or an address", shown));
  }
  cfg.host = url->host_type() == ht::name ? std::string(url->encoded_host()) : url->host_address();
  cfg.port = url->has_port() ? std::string(url->port()) : "443";
  std::string url_path(url->encoded_path());
  if (vm.count("am-path")) {
    cfg.am_path = vm["am-path"].as<std::string>();
    if (auto why = io::am_path_problem(cfg.am_path)) {
      throw usage_error(fmt::format("--am-path '{}': {}", io::printable(cfg.am_path, 100), *why));
    }
  } else if (!url_path.empty() && url_path != "/") {
    if (auto why = io::am_path_problem(url_path)) {
      throw usage_error(fmt::format("--tenant '{}': its path (the AM path) {}", shown, *why));
    }
    cfg.am_path = url_path;
  }
  read_idm(vm, cfg);
  read_proxy(vm, cfg);
  cfg.tls.insecure = vm["insecure"].as<bool>();
  if (vm.count("ca-file")) {
    if (cfg.tls.insecure) {
      throw usage_error("--insecure and --ca-file together: --insecure would ignore the CA");
    }
    cfg.tls.ca_file = vm["ca-file"].as<std::string>();
    if (auto why = engine::ca_file_problem(cfg.tls.ca_file)) {
      throw usage_error(fmt::format("--ca-file {}: {}", cfg.tls.ca_file, *why));
    }
  }
}

// How hard to push the tenant, and when to give up.
void read_limits(const po::variables_map& vm, engine::run_config& cfg) {
  cfg.concurrency = vm["concurrency"].as<int>();
  if (cfg.concurrency < 1 || cfg.concurrency > 4096)
    throw usage_error("--concurrency is 1 to 4096");
  cfg.rate = vm["rate"].as<double>();
  cfg.burst = vm["burst"].as<double>();
  if (cfg.rate < 0 || cfg.burst < 0) throw usage_error("--rate and --burst cannot be negative");
  cfg.retry.max_attempts = vm["max-attempts"].as<int>();
  if (cfg.retry.max_attempts < 1) throw usage_error("--max-attempts is at least 1");
  cfg.retry.backoff_base = duration_value(vm, "backoff-base");
  cfg.retry.backoff_cap = duration_value(vm, "backoff-cap");
  cfg.retry.retry_after_cap = duration_value(vm, "max-retry-after");
  cfg.timeout = duration_value(vm, "timeout");
  if (cfg.timeout.count() <= 0) throw usage_error("--timeout must be more than 0");
  cfg.max_auth_failures = vm["max-auth-failures"].as<int>();
  cfg.max_transport_failures = vm["max-transport-failures"].as<int>();
  cfg.not_found_guard = vm["not-found-guard"].as<int>();
  if (cfg.max_transport_failures < 0 || cfg.not_found_guard < 0) {
    throw usage_error("--max-transport-failures and --not-found-guard cannot be negative");
  }
  cfg.page_size = vm["page-size"].as<int>();
}

// --delimiter and --id-column.
void read_csv_choices(const po::variables_map& vm, io::reader_options& o) {
  if (vm.count("delimiter")) {
    const auto d = vm["delimiter"].as<std::string>();
    if (d == "," || d == ";") {
      o.delimiter = d[0];
    } else if (d == "tab" || d == "\\t" || d == "\t") {
      o.delimiter = '\t';
    } else {
      throw usage_error("--delimiter is ',', ';' or 'tab'");
    }
  }
  if (vm.count("id-column")) {
    const auto c = vm["id-column"].as<std::string>();
    for (auto k : {io::id_kind::user_id, io::id_kind::user_name, io::id_kind::mail}) {
      if (c == io::to_string(k)) o.id_column = k;
    }
    if (!o.id_column) throw usage_error("--id-column is user_id, user_name or mail");
  }
}

// Who: the realm and types of rows that name none, and the input.
void read_users(const po::variables_map& vm, run_request& r) {
  if (vm.count("realm")) {
    auto realm = io::realm_path(vm["realm"].as<std::string>());
    if (auto* err = std::get_if<io::realm_error>(&realm))
      throw usage_error("--realm: " + err->reason);
    r.rows.default_realm = std::get<std::string>(realm);
  }
  io::type_list_error terr;
  auto types = io::parse_type_list(vm["types"].as<std::string>(), terr, /*allow_comma=*/true);
  if (!types) throw usage_error("--types: " + terr.reason);
  if (types->empty()) throw usage_error("--types names no device type");
  r.rows.default_types = *types;
  if (vm.count("shard")) {
    std::string why;
    auto shard = io::parse_shard(vm["shard"].as<std::string>(), why);
    if (!shard) throw usage_error("--shard " + why);
    r.cfg.shard = *shard;
  }
  const auto given = vm.count("input") + vm.count("query") + vm.count("group");
  if (vm.count("plan")) {
    if (given != 0) throw usage_error("--plan takes the place of --input, --query and --group");
    r.plan = vm["plan"].as<std::string>();
    r.plan_realm = vm.count("realm") > 0;
    r.plan_types = !vm["types"].defaulted();
    r.cfg.plan_strict = vm["plan-strict"].as<bool>();
    r.plan_max_age = duration_value(vm, "plan-max-age");
    return;
  }
  if (!vm.count("realm")) throw usage_error("--realm is required");
  if (given != 1) {
    throw usage_error(given == 0 ? "--input, --query or --group is required: who to reset"
                                 : "give one of --input, --query and --group");
  }
  if (!vm.count("input")) {
    auto& q = r.cfg.source;
    q.what =
        vm.count("query") ? engine::tenant_query::kind::filter : engine::tenant_query::kind::group;
    q.text = vm[vm.count("query") ? "query" : "group"].as<std::string>();
    if (q.text.empty()) throw usage_error("--query and --group cannot be empty");
    q.page_size = vm["page-size"].as<int>() > 0 ? vm["page-size"].as<int>() : 1000;
    return;
  }
  r.input = vm["input"].as<std::string>();
  read_csv_choices(vm, r.rows);
  if (vm.count("input-format")) {
    r.format = io::parse_input_format(vm["input-format"].as<std::string>());
    if (!r.format) throw usage_error("--input-format is csv, json or jsonl");
  }
}

// --registered-before: a date (midnight UTC), a time (format_utc's form), or a duration ago
// (kept as a duration: a resume cuts it from the first run's "now").
void read_registered_before(const std::string& text, engine::device_selection& sel) {
  if (auto d = io::parse_duration(text)) {
    if (d->count() <= 0) throw usage_error("--registered-before is more than 0 (e.g. 365d)");
    sel.registered_ago = *d;
    return;
  }
  auto t = io::parse_utc(text.size() == 10 ? text + "T00:00:00Z" : text);
  if (!t) {
    throw usage_error(fmt::format(
        "--registered-before '{}' is neither a date (2025-01-31, 2025-01-31T12:00:00Z) nor a "
        "duration (365d)",
        io::printable(text, 60)));
  }
  sel.registered_before_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

// A cleanup by age: its rules, cut from now (a resume or a plan's run takes its ledger's now).
void read_selection(const po::variables_map& vm, run_request& r) {
  auto& sel = r.cfg.selection;
  sel.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  if (vm.count("unused-for")) {
    sel.unused_for = duration_value(vm, "unused-for");
    if (sel.unused_for->count() <= 0) throw usage_error("--unused-for is more than 0 (e.g. 180d)");
  }
  if (vm.count("registered-before")) {
    read_registered_before(vm["registered-before"].as<std::string>(), sel);
  }
  const auto undated = vm["undated"].as<std::string>();
  if (undated != "keep" && undated != "remove") throw usage_error("--undated is keep or remove");
  sel.remove_undated = undated == "remove";
  if (!sel && !vm["undated"].defaulted()) {
    throw usage_error("--undated goes with --unused-for or --registered-before");
  }
  if (sel && vm.count("plan")) {
    throw usage_error(
        "--plan applies the plan's own selection (its cut-offs): give --unused-for and "
        "--registered-before to `devreset plan`");
  }
}

// The ledger and the display.
void read_work(const po::variables_map& vm, run_request& r) {
  read_selection(vm, r);
  r.ledger = vm["ledger"].as<std::string>();
  r.resume = vm["resume"].as<bool>();
  r.yes = vm["yes"].as<bool>();
  r.cfg.verify = vm["verify"].as<bool>() && r.cfg.mode == engine::run_mode::reset;
  r.grace = duration_value(vm, "grace");
  r.progress_interval = duration_value(vm, "progress-interval");
  if (r.progress_interval.count() <= 0)
    throw usage_error("--progress-interval must be more than 0");
  r.not_found_ok = vm["not-found-ok"].as<bool>();
  if (vm.count("summary-json")) r.summary_json = vm["summary-json"].as<std::string>();
  if (vm.count("metrics-file")) r.metrics_file = vm["metrics-file"].as<std::string>();
  const auto lf = vm["log-format"].as<std::string>();
  if (lf != "text" && lf != "json") throw usage_error("--log-format is text or json");
  r.log_json = lf == "json";
  const auto p = vm["progress"].as<std::string>();
  if (p == "auto")
    r.progress = progress_mode::automatic;
  else if (p == "bar")
    r.progress = progress_mode::bar;
  else if (p == "plain")
    r.progress = progress_mode::plain;
  else if (p == "none")
    r.progress = progress_mode::none;
  else
    throw usage_error("--progress is auto, bar, plain or none");
}

// Where users named otherwise are found and how paths name them: AIC's IDM and `_id`s, or a
// self-managed AM's users endpoint and user names (--am-user); --user-path chooses.
void read_directory(const po::variables_map& vm, run_request& r) {
  const bool am = vm.count("am-user") > 0;
  auto& d = r.cfg.directory;
  d.am_users = am;
  d.names_in_path = am;
  if (vm.count("user-path")) {
    const auto v = vm["user-path"].as<std::string>();
    if (v != "name" && v != "id") throw usage_error("--user-path is name or id");
    d.names_in_path = v == "name";
  }
  if (am && vm.count("group")) {
    throw usage_error(
        "--group reads IDM's groups, which an AM session cannot: use --query (AM's users "
        "endpoint) or --input");
  }
  if (am && !vm["idm-path"].defaulted()) {
    throw usage_error(
        "--idm-path: with --am-user, users are found at AM's own users endpoint (an AM session "
        "cannot read IDM)");
  }
}

// Whether the input names a user by user name or mail (read up to the first that does; a
// file that cannot be read says so later, when the run opens it).
bool names_users_otherwise(const run_request& r) {
  if (r.cfg.source) return true;  // the users come from IDM
  if (!r.plan.empty())            // users the plan could not resolve are looked up again
    return r.opened_plan && r.opened_plan->users_unresolved > 0;
  if (r.input == "-") return false;  // read once, by the run
  try {
    auto reader = io::open_job_reader(r.input, r.format, r.rows);
    while (auto row = reader->next()) {
      const auto* j = std::get_if<io::job>(&*row);
      if (j != nullptr && j->kind != io::id_kind::user_id) return true;
    }
  } catch (const io::input_error&) {
  }
  return false;
}

// A self-managed AM's administrator: who, where and how it signs in, and where its password
// is (a file, or DEVRESET_AM_PASSWORD: taken out of the environment here, never an argument).
credential_source am_credential(const po::variables_map& vm) {
  credential_source c;
  c.what = credential_source::kind::am_session;
  c.am_user = vm["am-user"].as<std::string>();
  if (c.am_user.empty()) throw usage_error("--am-user cannot be empty");
  if (vm.count("auth-tree")) {
    c.auth_tree = vm["auth-tree"].as<std::string>();
    if (c.auth_tree.empty()) throw usage_error("--auth-tree cannot be empty");
  }
  if (vm.count("auth-realm")) {
    auto realm = io::realm_path(vm["auth-realm"].as<std::string>());
    if (auto* err = std::get_if<io::realm_error>(&realm))
      throw usage_error("--auth-realm: " + err->reason);
    c.auth_realm = std::get<std::string>(realm);
  }
  char* env = std::getenv("DEVRESET_AM_PASSWORD");
  const bool in_env = env != nullptr && *env != '\0';
  if (vm.count("am-password-file") && in_env) {
    throw usage_error(
        "two passwords given (--am-password-file and DEVRESET_AM_PASSWORD): give one");
  }
  if (vm.count("am-password-file")) {
    c.file = vm["am-password-file"].as<std::string>();
  } else if (in_env) {
    c.token = env;
    OPENSSL_cleanse(env, c.token.size());  // as DEVRESET_TOKEN: wiped where exec put it
    ::unsetenv("DEVRESET_AM_PASSWORD");
  } else {
    throw usage_error(
        "--am-user needs its password: --am-password-file FILE (yours alone, 0600) or "
        "DEVRESET_AM_PASSWORD");
  }
  return c;
}

// The credential: a service account, a file, or the environment; never a bare argument.
// Only named here: open_token() reads it.
credential_source read_credential(const po::variables_map& vm) {
  for (const char* o : {"am-password-file", "auth-tree", "auth-realm"}) {
    if (vm.count(o) && !vm.count("am-user"))
      throw usage_error(fmt::format("--{} goes with --am-user", o));
  }
  // One credential per run: two sources (whether flags, environment or config) is a mistake
  // to point out, never a silent choice.
  std::vector<std::string> given;
  if (vm.count("sa-id") || vm.count("sa-key")) given.emplace_back("--sa-id/--sa-key");
  if (vm.count("token-file")) given.emplace_back("--token-file");
  if (vm.count("am-user")) given.emplace_back("--am-user");
  if (const char* env = std::getenv("DEVRESET_TOKEN"); env != nullptr && *env != '\0') {
    given.emplace_back("DEVRESET_TOKEN");
  }
  if (given.size() > 1) {
    throw usage_error(
        fmt::format("two credentials given ({} and {}): give one (in the command "
                    "line, the environment or the config file)",
                    given[0], given[1]));
  }
  if (vm.count("am-user")) return am_credential(vm);
  credential_source c;
  if (vm.count("sa-id") || vm.count("sa-key")) {
    if (!vm.count("sa-id") || !vm.count("sa-key"))
      throw usage_error("--sa-id and --sa-key go together");
    c.what = credential_source::kind::service_account;
    c.sa_id = vm["sa-id"].as<std::string>();
    c.file = vm["sa-key"].as<std::string>();
    c.scope = vm["scope"].as<std::string>();
    c.scope_defaulted = vm["scope"].defaulted();
  } else if (vm.count("token-file")) {
    c.what = credential_source::kind::token_file;
    c.file = vm["token-file"].as<std::string>();
  } else if (char* env = std::getenv("DEVRESET_TOKEN"); env != nullptr && *env != '\0') {
    c.what = credential_source::kind::environment;
    c.token = env;
    // Read once, then wiped where exec put it (/proc/PID/environ shows that memory) and
    // removed, so that nothing this process starts inherits it.
    OPENSSL_cleanse(env, c.token.size());
    ::unsetenv("DEVRESET_TOKEN");
  } else {
    throw usage_error(
        "no token: give --sa-id and --sa-key, or --token-file FILE, or set DEVRESET_TOKEN (a "
        "self-managed AM: --am-user)");
  }
  return c;
}

// The AM administrator's password: the file's first line (a trailing newline is no part of
// it), or what DEVRESET_AM_PASSWORD held. The copies are wiped.
std::string am_password(credential_source& c) {
  std::string text;
  if (c.file.empty()) {
    text = std::move(c.token);
  } else {
    try {
      text = io::read_secret_file(c.file, 4096, "AM password file");
    } catch (const io::secret_file_error& e) {
      throw usage_error(fmt::format("--am-password-file: {}", e.what()));
    }
  }
  io::wipe(c.token);
  const auto end = text.find_first_of("\r\n");
  std::string password = text.substr(0, end);
  io::wipe(text);
  if (password.empty()) {
    throw usage_error(c.file.empty() ? std::string("DEVRESET_AM_PASSWORD is empty")
                                     : fmt::format("--am-password-file {} is empty",
                                                   io::printable(c.file.string(), 200)));
  }
  return password;
}

// The token source of the credential. A service account's default scope holds fr:idm:* when
// users are looked up in IDM.
std::unique_ptr<engine::token_source> open_token(run_request& r) {
  auto& c = r.credential;
  switch (c.what) {
    case credential_source::kind::service_account:
      try {
        auto scope = c.scope;
        if (c.scope_defaulted && names_users_otherwise(r)) scope += " fr:idm:*";
        return engine::make_service_account_token({c.sa_id, c.file.string(), std::move(scope)});
      } catch (const io::jose_error& e) {
        throw usage_error(fmt::format("--sa-key: {}", e.what()));
      }
    case credential_source::kind::token_file:
      return engine::make_file_token(c.file);
    case credential_source::kind::environment:
      return engine::make_static_token(std::move(c.token), "DEVRESET_TOKEN");
    case credential_source::kind::am_session:
      return engine::make_am_session({c.am_user, am_password(c), c.auth_realm, c.auth_tree});
    case credential_source::kind::none:
      break;
  }
  throw usage_error("no token");
}

// A proxy URL's user info in this process's arguments, overwritten once read: `ps` shows
// "http://*****@proxy:3128" from then on.
void hide_proxy_credentials(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* value = nullptr;
    if (std::string_view(argv[i]).starts_with("--proxy=")) value = argv[i] + 8;
    if (std::string_view(argv[i]) == "--proxy" && i + 1 < argc) value = argv[i + 1];
    if (value == nullptr) continue;
    if (auto span = userinfo_span(value)) std::fill(value + span->first, value + span->second, '*');
  }
}

// No file the run writes (the ledger, --summary-json, --metrics-file, probe's --out) is a
// file it reads (the input, the plan, the key, the token, the config file) or another of
// them: compared as inodes once links are followed, or as paths for files yet to be made.
void check_outputs(const po::variables_map& vm, const std::filesystem::path& probe_out = {}) {
  std::vector<std::pair<std::string, std::filesystem::path>> reads, writes;
  auto option = [&](auto& list, const char* name) {
    if (vm.count(name) && !vm[name].as<std::string>().empty() && vm[name].as<std::string>() != "-")
      list.emplace_back(name, vm[name].as<std::string>());
  };
  for (const char* name : {"input", "plan", "sa-key", "token-file", "config"})
    option(reads, name);
  for (const char* name : {"ledger", "summary-json", "metrics-file"})
    option(writes, name);
  if (!probe_out.empty()) writes.emplace_back("out", probe_out);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& [name, path] = writes[i];
    auto clash = [&](const auto& other) {
      if (!io::same_file(path, other.second)) return;
      throw usage_error(fmt::format(
          "--{} {} is the file of --{}: no file a run writes may be its ledger, its input, the "
          "plan, the key, the token, the config file or another of its outputs",
          name, io::printable(path.string(), 300), other.first));
    };
    std::for_each(reads.begin(), reads.end(), clash);
    std::for_each(writes.begin(), writes.begin() + static_cast<std::ptrdiff_t>(i), clash);
  }
}

// Parses `desc`, shows --help, checks the options every command needs, then `read`s the
// rest: the exit code when the command ends here, nothing when it goes on.
template <class Read>
std::optional<int> parse_command(int argc, char** argv, const char* name,
                                 const po::options_description& desc, run_request& out, Read read) {
  out.name = name;
  try {
    option_sources sources;
    auto vm = parse_layered(argc, argv, desc, {}, &sources);
    hide_proxy_credentials(argc, argv);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    if (vm["show-options"].as<bool>()) {
      std::cout << show_options(desc, vm, sources);
      return 0;
    }
    if (!vm.count("tenant")) throw usage_error("--tenant is required");
    read_tenant(vm, out.cfg);
    read_limits(vm, out.cfg);
    read_users(vm, out);
    read(vm);
    out.credential = read_credential(vm);
    read_directory(vm, out);
    return std::nullopt;
  } catch (const po::error& e) {
    tell(fmt::format("devreset {}: {} (see devreset {} --help)\n", name, e.what(), name));
  } catch (const usage_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
  }
  return 2;
}

}  // namespace

std::optional<int> open_request(run_request& r) {
  if (!r.plan.empty()) {
    try {  // once: the run reads this open file, whatever the path names later
      r.opened_plan = io::read_plan_info(r.plan);
    } catch (const io::input_error& e) {
      r.plan_error = e.what();
    }
  }
  try {
    r.tokens = open_token(r);
    return std::nullopt;
  } catch (const usage_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
  } catch (const engine::token_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
  }
  return 2;
}

std::optional<int> parse_run_request(int argc, char** argv, engine::run_mode mode,
                                     run_request& out) {
  out.cfg.mode = mode;
  return parse_command(argc, argv, mode == engine::run_mode::plan ? "plan" : "run",
                       run_options(mode), out, [&](const po::variables_map& vm) {
                         if (!vm.count("ledger")) throw usage_error("--ledger is required");
                         read_work(vm, out);
                         check_outputs(vm);
                       });
}

std::optional<int> parse_probe_request(int argc, char** argv, probe_request& out) {
  out.run.cfg.mode = engine::run_mode::plan;
  po::options_description desc(probe_usage, help_columns, help_columns / 2);
  po::options_description probe("Probe", help_columns, help_columns / 2);
  // clang-format off
  probe.add_options()
    ("out", po::value<std::string>(), "write each step, then the result, here (JSON Lines; a new file)")
    ("max-duration", po::value<std::string>()->default_value("2m"), "never probe longer than this")
    ("step-duration", po::value<std::string>()->default_value("5s"), "how long each rate is held")
    ("start-rate", po::value<double>()->default_value(10), "requests per second of the first step (each next one 1.5 times more)")
    ("users", po::value<std::uint64_t>()->default_value(0), "users the estimate is for (0: the input's)");
  // clang-format on
  desc.add(tenant_options()).add(input_options()).add(probe).add(limit_options(64, 0));
  return parse_command(argc, argv, "probe", desc, out.run, [&](const po::variables_map& vm) {
    if (vm.count("out")) out.out = vm["out"].as<std::string>();
    out.max_duration = duration_value(vm, "max-duration");
    out.step = duration_value(vm, "step-duration");
    out.start_rate = vm["start-rate"].as<double>();
    out.users = vm["users"].as<std::uint64_t>();
    if (out.step.count() < 500) throw usage_error("--step-duration is at least 500ms");
    if (out.max_duration < out.step) {
      throw usage_error("--max-duration is shorter than one --step-duration");
    }
    if (!(out.start_rate >= 1)) throw usage_error("--start-rate is at least 1");
    out.run.progress = progress_mode::none;
    check_outputs(vm, out.out);
  });
}

}  // namespace devreset::cli
