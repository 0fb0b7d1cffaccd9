// `devreset run` and `devreset plan`: validate everything, confirm, run the engine with a
// progress display, print the summary, exit with DESIGN.md's codes.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/program_options.hpp>
#include <boost/url/parse.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "engine/runner.hpp"
#include "engine/service_account.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/realm_path.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

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

Options)";

constexpr const char* plan_usage =
    R"(Usage: devreset plan --tenant URL --realm REALM --input FILE --ledger FILE [options]

Changes nothing: lists each user's devices of the chosen types and records, per user and
type, how many devices a run would remove and their ids (never names or secrets).

Examples:
  devreset plan --tenant https://tenant.example.com --realm alpha --input users.csv \
                --ledger plan.jsonl --token-file token.txt --types webauthn,oath

Options)";

po::options_description run_options(engine::run_mode mode) {
  po::options_description desc(mode == engine::run_mode::plan ? plan_usage : run_usage);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "read options from this INI file")
    ("tenant", po::value<std::string>(), "tenant URL, e.g. https://openam-acme.forgeblocks.com")
    ("realm", po::value<std::string>(), "realm: alpha, /alpha, alpha/emea or /realms/root/realms/alpha")
    ("input", po::value<std::string>(), "users to reset: .csv, .txt, .json, .jsonl")
    ("input-format", po::value<std::string>(), "csv, json or jsonl (default: from the extension)")
    ("ledger", po::value<std::string>(), "the ledger (JSON Lines) to write")
    ("types", po::value<std::string>()->default_value("oath,push,webauthn,binding"), "device types: oath, push, webauthn, binding, profile, trusted")
    ("sa-id", po::value<std::string>(), "service account id: devreset gets and renews its own tokens")
    ("sa-key", po::value<std::string>(), "the service account's private key (JWK JSON file)")
    ("scope", po::value<std::string>()->default_value("fr:am:*"), "scope of service-account tokens")
    ("token-file", po::value<std::string>(), "file holding the bearer token (re-read when it changes)")
    ("concurrency", po::value<int>()->default_value(16), "requests in flight")
    ("rate", po::value<double>()->default_value(0), "requests per second ceiling (0: none)")
    ("burst", po::value<double>()->default_value(0), "requests at once under --rate (0: 10 ms worth)")
    ("max-attempts", po::value<int>()->default_value(5), "attempts per request before a type fails")
    ("timeout", po::value<std::string>()->default_value("30s"), "deadline of each request")
    ("backoff-base", po::value<std::string>()->default_value("200ms"), "first retry waits up to this (doubling, full jitter)")
    ("backoff-cap", po::value<std::string>()->default_value("10s"), "longest wait between attempts")
    ("max-retry-after", po::value<std::string>()->default_value("5m"), "longest Retry-After honoured (a tenant asking for more waits this long)")
    ("max-auth-failures", po::value<int>()->default_value(5), "consecutive 401/403 answers that abort the run")
    ("max-transport-failures", po::value<int>()->default_value(0), "requests in a row with no answer at all (refused, dropped, timed out) that abort the run: the tenant went away (0: 64 or 2 x concurrency, the larger)")
    ("not-found-guard", po::value<int>()->default_value(20), "abort when the first N users are all not found: a wrong tenant or realm (0: off, for lists of leavers)")
    ("grace", po::value<std::string>()->default_value("10s"), "after Ctrl-C, time for users in flight")
    ("page-size", po::value<int>()->default_value(0), "_pageSize of device lists (0: the tenant's)")
    ("am-path", po::value<std::string>(), "AM context path (default /am, or the tenant URL's path)")
    ("ca-file", po::value<std::string>(), "PEM CA bundle to verify the tenant with (default: system store)")
    ("insecure", po::bool_switch(), "do not verify the tenant's certificate (never do this in production)")
    ("resume", po::bool_switch(), "continue the ledger: skip every (user, type) already ok")
    ("yes", po::bool_switch(), "do not ask for confirmation")
    ("progress", po::value<std::string>()->default_value("auto"), "auto, bar, plain or none");
  // clang-format on
  return desc;
}

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Rows in the input, when cheap to count (CSV and JSON Lines: lines); 0 when unknown.
std::uint64_t estimate_rows(const fs::path& path, io::input_format format) {
  if (format == io::input_format::json) return 0;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > (1ull << 31)) return 0;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  std::uint64_t lines = 0, comments = 0;
  char last = '\n';
  std::string first_line;
  bool first_done = false, line_start = true, in_comment = false;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      // '#' lines before the first other line are comments (CSV), not rows.
      if (line_start && !first_done && buf[i] == '#' && format == io::input_format::csv) {
        in_comment = true;
      }
      line_start = buf[i] == '\n';
      if (buf[i] == '\n') {
        ++lines;
        if (in_comment) {
          ++comments;
          in_comment = false;
        } else {
          first_done = true;
        }
      } else if (!first_done && !in_comment && first_line.size() < 200) {
        first_line.push_back(buf[i]);
      }
    }
    if (n > 0) last = buf[n - 1];
  }
  if (last != '\n') ++lines;
  lines -= std::min(lines, comments);
  if (format == io::input_format::csv && lines > 0) {
    // A header row names known columns (the reader's own rule); it is not a user.
    std::string_view rest = first_line;
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    for (;;) {
      auto comma = rest.find(',');
      auto name = io::trim_blanks(rest.substr(0, comma));
      while (!name.empty() && (name.back() == '\r' || name.back() == '"'))
        name.remove_suffix(1);
      while (!name.empty() && name.front() == '"')
        name.remove_prefix(1);
      if (io::is_known_csv_column(name)) {
        --lines;
        break;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return lines;
}

std::string new_run_id() {
  std::random_device rd;
  auto now = std::chrono::system_clock::now();
  auto stamp = io::format_utc(now);
  std::string compact;
  for (char c : stamp.substr(0, 19)) {
    if (c != '-' && c != ':') compact.push_back(c);
  }
  return fmt::format("{}-{:08x}", compact, rd());
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./:=,@") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A resume reads only the records of runs on this tenant; a ledger with none is refused.
bool resume_on_this_tenant(const char* name, const fs::path& ledger, const std::string& tenant,
                           const io::resume_index& index) {
  if (index.runs > 0 && index.runs_here == 0) {
    tell(fmt::format("devreset {}: ledger {} records runs on {}; this run is on {}: use a new "
                     "ledger for {} (nothing was sent)\n",
                     name, ledger.string(), fmt::join(index.other_tenants, ", "), tenant,
                     tenant));
    return false;
  }
  if (!index.other_tenants.empty()) {
    tell(fmt::format("devreset {}: note: ledger {} also records runs on {}; only the runs on {} "
                     "count as done here\n",
                     name, ledger.string(), fmt::join(index.other_tenants, ", "), tenant));
  }
  return true;
}

// A `report --failed-out` file names the tenant and realm it came from in its first line;
// a run elsewhere is worth a warning (its rows still carry their own realm).
void warn_if_other_origin(const char* name, const fs::path& input, const std::string& tenant,
                          const std::string& realm) {
  std::error_code ec;
  if (!fs::is_regular_file(input, ec)) return;  // a FIFO is read once, by the reader
  std::ifstream in(input, std::ios::binary);
  std::string first;
  if (!in || !std::getline(in, first)) return;
  auto origin = io::parse_origin_comment(first);
  if (!origin) return;
  if (!origin->tenant.empty() && origin->tenant != tenant) {
    tell(fmt::format("devreset {}: warning: {} was written for {}, and this run is on {}\n", name,
                     input.string(), io::printable(origin->tenant, 200), tenant));
  }
  if (!origin->realm.empty() && origin->realm != realm) {
    tell(fmt::format("devreset {}: warning: {} was written for realm {}, and --realm is {} (its "
                     "rows keep their own realm)\n",
                     name, input.string(), io::printable(origin->realm, 200), realm));
  }
}

std::string users_phrase(std::uint64_t total, const io::resume_index& index) {
  if (total == 0) return "all the users";
  if (index.done.size() == 0) return fmt::format("{} users", total);
  // Users with every type done are skipped; an estimate, as the rows are not read yet.
  auto left = total > index.done.size() ? total - index.done.size() : 0;
  return fmt::format("about {} users ({} of {} already done in the ledger)", left,
                     index.done.size(), total);
}

// Asks on the controlling terminal (not stdin/stderr: `2>run.log` must not hide the
// question); no terminal means no.
bool confirmed(const std::string& what) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    tell(fmt::format("devreset run: refusing to {} without confirmation: no terminal to ask on; "
                     "add --yes\n",
                     what));
    return false;
  }
  auto question = fmt::format("devreset run: about to {}.\nType 'yes' to go on: ", what);
  bool ok = ::write(fd, question.data(), question.size()) ==
            static_cast<ssize_t>(question.size());
  std::string answer;
  char c = 0;
  while (ok && answer.size() < 64 && ::read(fd, &c, 1) == 1 && c != '\n')
    answer.push_back(c);
  ::close(fd);
  if (ok && io::trim_blanks(answer) == "yes") return true;
  tell("devreset run: not confirmed; nothing was sent\n");
  return false;
}

// The summary, the reason a run stopped, and the one command worth running next.
int tell_outcome(const char* name, engine::run_mode mode, const engine::run_result& result,
                 const fs::path& ledger, int argc, char** argv) {
  if (!result.preflight_failed) {
    tell(summary_text(result.stats, result.elapsed_s));
    tell(fmt::format("Ledger: {}\n", ledger.string()));
  }
  if (result.end != engine::run_end::finished) {
    tell(fmt::format("devreset {}: {}: {}\n", name,
                     result.end == engine::run_end::interrupted ? "interrupted" : "aborted",
                     result.reason));
  }
  int code = result.exit_code();
  if (result.preflight_failed) {
    tell(fmt::format("Nothing was sent to any user and the ledger is as it was: fix the problem "
                     "above and run the same command again.\n"));
    return code;
  }
  const auto& st = result.stats;
  const bool retry_helps = code == 3 || st.user_count(io::user_status::failed) > 0 ||
                           st.user_count(io::user_status::partial) > 0;
  if (code == 0 || !retry_helps) return code;
  std::string again = fmt::format("devreset {}", name);
  bool had_resume = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    had_resume |= a == "--resume";
    again += " " + shell_quote(a);
  }
  if (mode == engine::run_mode::plan) {
    tell(fmt::format("To plan the users that could not be read: devreset report {} "
                     "--failed-out todo.csv, then plan todo.csv into a new ledger\n",
                     shell_quote(ledger.string())));
    return code;
  }
  if (!had_resume) again += " --resume";
  tell(fmt::format("To {}: {}\n", code == 3 ? "resume" : "retry the users that are not ok",
                   again));
  return code;
}

}  // namespace

int run_command(int argc, char** argv, engine::run_mode mode) {
  const char* name = mode == engine::run_mode::plan ? "plan" : "run";
  auto desc = run_options(mode);
  engine::run_config cfg;
  cfg.mode = mode;
  fs::path input, ledger_path;
  std::optional<io::input_format> format;
  io::reader_options ropts;
  std::unique_ptr<engine::token_source> tokens;
  bool resume = false, yes = false;
  progress_mode pmode = progress_mode::automatic;
  std::string realm_path;

  try {
    auto vm = parse_layered(argc, argv, desc);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    for (const char* required : {"tenant", "realm", "input", "ledger"}) {
      if (!vm.count(required)) throw usage_error(fmt::format("--{} is required", required));
    }

    // The tenant: https only; its path, if any, is the AM context path.
    auto url_text = vm["tenant"].as<std::string>();
    auto url = boost::urls::parse_absolute_uri(url_text);
    if (!url || !url->has_authority() || url->host().empty()) {
      throw usage_error(fmt::format("--tenant '{}' is not a URL such as https://tenant.example.com",
                                    io::printable(url_text, 100)));
    }
    if (url->scheme() != "https") {
      throw usage_error(fmt::format(
          "--tenant '{}' is not https: devreset only talks to tenants over TLS", url_text));
    }
    cfg.host = url->host_address();
    cfg.port = url->has_port() ? std::string(url->port()) : "443";
    std::string url_path = url->path();
    if (vm.count("am-path")) {
      cfg.am_path = vm["am-path"].as<std::string>();
    } else if (!url_path.empty() && url_path != "/") {
      cfg.am_path = url_path;
    }

    auto realm = io::realm_path(vm["realm"].as<std::string>());
    if (auto* err = std::get_if<io::realm_error>(&realm))
      throw usage_error("--realm: " + err->reason);
    realm_path = std::get<std::string>(realm);

    io::type_list_error terr;
    auto types = io::parse_type_list(vm["types"].as<std::string>(), terr, /*allow_comma=*/true);
    if (!types) throw usage_error("--types: " + terr.reason);
    if (types->empty()) throw usage_error("--types names no device type");

    cfg.concurrency = vm["concurrency"].as<int>();
    if (cfg.concurrency < 1 || cfg.concurrency > 4096) {
      throw usage_error("--concurrency is 1 to 4096");
    }
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
    cfg.grace = duration_value(vm, "grace");
    cfg.max_auth_failures = vm["max-auth-failures"].as<int>();
    cfg.max_transport_failures = vm["max-transport-failures"].as<int>();
    cfg.not_found_guard = vm["not-found-guard"].as<int>();
    if (cfg.max_transport_failures < 0 || cfg.not_found_guard < 0) {
      throw usage_error("--max-transport-failures and --not-found-guard cannot be negative");
    }
    cfg.page_size = vm["page-size"].as<int>();
    cfg.tls.insecure = vm["insecure"].as<bool>();
    if (vm.count("ca-file")) {
      cfg.tls.ca_file = vm["ca-file"].as<std::string>();
      if (!fs::exists(cfg.tls.ca_file)) {
        throw usage_error(fmt::format("--ca-file {}: no such file", cfg.tls.ca_file));
      }
    }
    resume = vm["resume"].as<bool>();
    yes = vm["yes"].as<bool>();
    auto p = vm["progress"].as<std::string>();
    if (p == "auto")
      pmode = progress_mode::automatic;
    else if (p == "bar")
      pmode = progress_mode::bar;
    else if (p == "plain")
      pmode = progress_mode::plain;
    else if (p == "none")
      pmode = progress_mode::none;
    else
      throw usage_error("--progress is auto, bar, plain or none");

    input = vm["input"].as<std::string>();
    if (vm.count("input-format")) {
      format = io::parse_input_format(vm["input-format"].as<std::string>());
      if (!format) throw usage_error("--input-format is csv, json or jsonl");
    }
    ledger_path = vm["ledger"].as<std::string>();
    ropts.default_types = *types;
    ropts.default_realm = realm_path;

    // The token: a service account, a file, or the environment; never a bare argument.
    if (vm.count("sa-id") || vm.count("sa-key")) {
      if (!vm.count("sa-id") || !vm.count("sa-key")) {
        throw usage_error("--sa-id and --sa-key go together");
      }
      auto key_file = vm["sa-key"].as<std::string>();
      struct stat st {};
      if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        fmt::print(stderr,
                   "devreset {}: warning: the key file {} can be read by others (mode {:o}); "
                   "chmod 600 it\n",
                   name, key_file, st.st_mode & 0777);
      }
      try {
        tokens = engine::make_service_account_token(
            {vm["sa-id"].as<std::string>(), key_file, vm["scope"].as<std::string>()});
      } catch (const io::jose_error& e) {
        throw usage_error(fmt::format("--sa-key: {}", e.what()));
      }
    } else if (vm.count("token-file")) {
      tokens = engine::make_file_token(vm["token-file"].as<std::string>());
    } else if (const char* env = std::getenv("DEVRESET_TOKEN"); env != nullptr && *env != '\0') {
      tokens = engine::make_static_token(env, "DEVRESET_TOKEN");
    } else {
      throw usage_error(
          "no token: give --sa-id and --sa-key, or --token-file FILE, or set DEVRESET_TOKEN");
    }
  } catch (const po::error& e) {
    tell(fmt::format("devreset {}: {} (see devreset {} --help)\n", name, e.what(), name));
    return 2;
  } catch (const usage_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
    return 2;
  } catch (const engine::token_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
    return 2;
  }

  // The input opens (and its header reads) before anything else happens.
  std::unique_ptr<io::job_reader> reader;
  try {
    reader = io::open_job_reader(input, format, ropts);
  } catch (const io::input_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
    return 2;
  }
  auto fmt_used = format ? *format : io::format_from_extension(input);
  auto total = estimate_rows(input, fmt_used);

  // The ledger: never overwritten; resumed only when asked, and only on its own tenant.
  const auto tenant = io::tenant_url(cfg.host, cfg.port, cfg.am_path);
  std::error_code fec;
  bool ledger_has_data = fs::exists(ledger_path, fec) && fs::is_regular_file(ledger_path, fec) &&
                         fs::file_size(ledger_path, fec) > 0;
  if (ledger_has_data && !resume) {
    tell(fmt::format("devreset {}: ledger {} already exists and is not empty: pass --resume to "
                     "continue it, or choose another file (it is never overwritten)\n",
                     name, ledger_path.string()));
    return 2;
  }
  io::resume_index index;
  try {
    if (resume) index = io::load_resume_index(ledger_path, tenant);
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
    return 2;
  }
  if (resume && !resume_on_this_tenant(name, ledger_path, tenant, index)) return 2;
  warn_if_other_origin(name, input, tenant, realm_path);

  if (mode == engine::run_mode::reset && !yes &&
      !confirmed(fmt::format("reset the {} devices of {} in realm {} on {}",
                             ropts.default_types.to_string(','), users_phrase(total, index),
                             realm_path, tenant))) {
    return 2;
  }
  if (cfg.tls.insecure) {
    tell(fmt::format("devreset {}: WARNING: --insecure: the tenant's certificate is NOT verified; "
                     "anyone on the path can read the token\n",
                     name));
  }

  std::unique_ptr<io::ledger_writer> ledger;
  try {
    ledger = std::make_unique<io::ledger_writer>(
        ledger_path, resume ? io::ledger_mode::resume : io::ledger_mode::create);
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
    return 2;
  }
  if (ledger->torn_bytes_dropped() > 0) {
    tell(fmt::format("devreset {}: the ledger's last line was torn by a crash ({} bytes): cut\n",
                     name, ledger->torn_bytes_dropped()));
  }

  cfg.run_id = new_run_id();
  cfg.expected_users = total;
  std::error_code aec;
  cfg.run_record = boost::json::object{{"input", input.string()},
                                       {"input_path", fs::absolute(input, aec).string()},
                                       {"input_format", io::to_string(fmt_used)},
                                       {"input_rows", total},
                                       {"realm", realm_path},
                                       {"types", ropts.default_types.to_string(',')},
                                       {"resume", resume}};
  progress prog(pmode, total);
  cfg.on_progress = [&prog](const engine::run_stats& s, double rate, bool lowered) {
    prog.update(s, rate, lowered);
  };

  auto result = engine::run(cfg, *reader, *ledger, resume ? &index.done : nullptr, *tokens);
  prog.finish(result.stats);
  try {
    ledger->close();
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", name, e.what()));
  }
  return tell_outcome(name, mode, result, ledger_path, argc, argv);
}

}  // namespace devreset::cli
