// `devreset demo`: the main job with zero setup. Starts the simulated tenant in this
// process (seeded so that its users are the ones samples/users.csv lists), resets them
// with a live progress display, prints the summary and the ledger, then reports on it.
// Nothing leaves this machine.
#include <fmt/format.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/log.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "engine/runner.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"
#include "io/ledger_writer.hpp"
#include "sim/server.hpp"

namespace devreset::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// samples/: DEVRESET_SAMPLES, else beside the sources this binary was built from, else where
// the package installs them beside the binary (<prefix>/share/doc/devreset/samples).
fs::path samples_dir() {
  if (const char* env = std::getenv("DEVRESET_SAMPLES")) return env;
  std::error_code ec;
  if (fs::exists(DEVRESET_SOURCE_DIR "/samples/users.csv", ec))
    return DEVRESET_SOURCE_DIR "/samples";
  return fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "share" / "doc" /
         "devreset" / "samples";
}

// The run itself: the engine against the in-process tenant, with a progress display.
engine::run_result reset_samples(sim::server& tenant, const fs::path& input, const fs::path& ca,
                                 const fs::path& ledger_path) {
  engine::run_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = std::to_string(tenant.port());
  cfg.tls.ca_file = ca.string();
  cfg.concurrency = 16;
  cfg.retry.backoff_base = std::chrono::milliseconds(50);
  cfg.run_id = "demo";
  cfg.progress_interval = std::chrono::milliseconds(100);
  cfg.input = {input.string(),
               input.string(),
               "csv",
               demo_users,
               tenant.realm_path(),
               io::type_set::defaults().to_string(','),
               false,
               true,
               {},
               {}};
  io::reader_options ro;
  ro.default_realm = tenant.realm_path();
  auto reader = io::open_job_reader(input, std::nullopt, ro);
  io::ledger_writer ledger(ledger_path, io::ledger_mode::create);
  auto tokens = engine::make_static_token(tenant.token(), "the simulated tenant's token");
  progress prog(progress_mode::automatic, demo_users);
  auto result = engine::run(cfg, *reader, ledger, nullptr, *tokens, nullptr, &prog);
  prog.finish(result.stats);
  ledger.close();
  return result;
}

// The tenant's own count, before and after, then `devreset report` of the ledger.
void show_outcome(sim::server& tenant, const json::value& before, const fs::path& ledger_path) {
  auto after = json::parse(tenant.stats_json());
  tenant.stop();
  std::string left;
  for (auto t : io::all_device_types) {
    if (!io::type_set::defaults().contains(t)) continue;
    const auto name = io::to_string(t);
    left += fmt::format("  {} {} -> {}", name, before.at("devices_left").at(name).as_int64(),
                        after.at("devices_left").at(name).as_int64());
  }
  tell(
      fmt::format("The tenant's own count of devices:{}\n  (the rows of users.csv that name their "
                  "own types keep the others)\nUsers reset more than once: {}\n\n$ devreset "
                  "report {}\n",
                  left, after.at("resets_per_user").at("2+").as_int64(), ledger_path.string()));
  std::string report_arg = ledger_path.string();
  char report_name[] = "report";
  char* report_argv[] = {report_name, report_arg.data(), nullptr};
  report_command(2, report_argv);
}

std::unique_ptr<sim::server> start_tenant() {
  sim::options so;
  so.users = demo_users;
  so.seed = demo_seed;
  so.latency = std::chrono::milliseconds(8);
  so.jitter = std::chrono::milliseconds(4);
  so.fail_rate = 0.02;  // some trouble, to show retries
  so.drop_rate = 0.01;
  auto tenant = std::make_unique<sim::server>(so);
  tenant->start();
  return tenant;
}

}  // namespace

int demo_command(int argc, char** argv) {
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print(
        "Usage: devreset demo [--keep]\n\nStarts a simulated tenant in this process with the "
        "users that samples/users.csv lists\n(seed {}), resets their devices with a progress "
        "display, prints the summary and the\nledger, then `devreset report` of it. No network "
        "beyond 127.0.0.1. Its folder (the ledger,\nthe sim's CA) is removed at the end; "
        "--keep keeps it and says where.\n\nExample:\n  devreset demo\n",
        demo_seed);
    return 0;
  }
  const bool keep = argc == 2 && std::string_view(argv[1]) == "--keep";
  if (argc > 2 || (argc == 2 && !keep)) {
    tell("devreset demo: takes only --keep (see devreset demo --help)\n");
    return 2;
  }
  auto input = samples_dir() / "users.csv";
  if (!fs::exists(input)) {
    tell(fmt::format("devreset demo: {} not found (set DEVRESET_SAMPLES to the samples folder)\n",
                     input.string()));
    return 2;
  }
  std::unique_ptr<sim::server> tenant;
  try {
    tenant = start_tenant();
  } catch (const std::exception& e) {
    tell(fmt::format("devreset demo: cannot start the simulated tenant: {}\n", e.what()));
    return 3;
  }
  auto dir = fs::temp_directory_path() /
             fmt::format("devreset-demo-{}-{}", ::getpid(), std::time(nullptr));
  fs::create_directories(dir);
  auto ca = dir / "sim-ca.pem";
  auto ledger_path = dir / "ledger.jsonl";
  { std::ofstream(ca) << tenant->ca_pem(); }
  auto before = json::parse(tenant->stats_json());
  tell(fmt::format(
      "devreset demo: a simulated tenant with {} users is up at {} (in this process;\n"
      "  nothing leaves this machine; 2% of answers are 503s and 1% dropped connections).\n"
      "  Resetting the devices (--types {}) of the users in\n  {}\n\n",
      demo_users, tenant->url(), io::type_set::defaults().to_string(','), input.string()));
  auto result = reset_samples(*tenant, input, ca, ledger_path);
  tell(fmt::format("\n{}Ledger: {}\n", summary_text(result.stats, result.elapsed_s),
                   ledger_path.string()));
  show_outcome(*tenant, before, ledger_path);
  std::error_code ec;
  if (keep) {
    tell(fmt::format("\nKept: {} (the ledger and the sim's CA; remove it when done)\n",
                     dir.string()));
  } else {
    fs::remove_all(dir, ec);  // nothing left behind in /tmp
    tell(fmt::format("\n({} removed; devreset demo --keep keeps it)\n", dir.string()));
  }
  return result.exit_code();
}

}  // namespace devreset::cli
