// devreset's entry point: global options and the sub-command table.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <boost/program_options.hpp>
#include <boost/version.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/log.hpp"
#include "cli/options.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* usage_text =
    R"(devreset: reset users' registered MFA devices (OATH, push, WebAuthn, bound
devices) on a PingOne Advanced Identity Cloud or PingAM tenant, in bulk.

Usage:
  devreset <command> [options]     (devreset <command> --help for its options)
  devreset --help | --version

Commands:
  run      reset the devices of the users in an input file, with a ledger
  plan     list what a run would remove, changing nothing
  probe    measure how fast the tenant takes requests, changing nothing
  report   summarize a ledger; --failed-out writes the users still to do
  sim      start a simulated tenant on this machine (HTTPS, seeded users, faults)
  demo     reset samples/users.csv on an in-process simulated tenant (no setup)

Options:)";

}  // namespace

namespace {

// Tokens and keys live in this process's memory: no core dump of it, no ptrace by others.
void guard_secrets() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct rlimit none {
    0, 0
  };
  ::setrlimit(RLIMIT_CORE, &none);
}

int dispatch(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  guard_secrets();
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& e) {
    // A bug, not an operator's mistake: say so, leave whole what was written, exit 3.
    devreset::cli::tell(fmt::format("devreset: internal error: {}\n", e.what()));
  } catch (...) {
    devreset::cli::tell("devreset: internal error\n");
  }
  return 3;
}

namespace {

int dispatch(int argc, char** argv) {
  // A closed stdin, stdout or stderr (`2>&-`) would hand its number to the next file opened
  // (the ledger!), and a message meant for stderr would land in it: keep all three open.
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) == -1 && ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) {
      return 2;
    }
  }
  // A file-size limit (ulimit -f) must end a run like a full disk does, with a clear error
  // and a whole ledger (exit 3), not kill the process mid-write.
  std::signal(SIGXFSZ, SIG_IGN);
  // A reader that went away (`| tee` killed by Ctrl-C) must not kill devreset mid-run: a
  // write to it fails instead, and the run still ends with its summary record.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && argv[1][0] != '-') {
    std::string_view command = argv[1];
    if (command == "sim") return devreset::cli::sim_command(argc - 1, argv + 1);
    if (command == "run") {
      return devreset::cli::run_command(argc - 1, argv + 1, devreset::engine::run_mode::reset);
    }
    if (command == "plan") {
      return devreset::cli::run_command(argc - 1, argv + 1, devreset::engine::run_mode::plan);
    }
    if (command == "report") return devreset::cli::report_command(argc - 1, argv + 1);
    if (command == "demo") return devreset::cli::demo_command(argc - 1, argv + 1);
    if (command == "probe") return devreset::cli::probe_command(argc - 1, argv + 1);
    auto guess = devreset::cli::closest(std::string(command),
                                        {"run", "plan", "probe", "sim", "demo", "report"});
    fmt::print(stderr, "devreset: unknown command '{}'{} (see devreset --help)\n", command,
               guess.empty() ? std::string() : fmt::format(": did you mean '{}'?", guess));
    return 2;
  }
  po::options_description opts;
  opts.add_options()("help,h", "show this help")("version", "show the version");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "devreset: {} (see devreset --help)\n", e.what());
    return 2;
  }
  if (vm.count("version")) {
    fmt::print("devreset {} (Boost {}.{}.{}, {})\n", DEVRESET_VERSION_STRING,
               BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
               OpenSSL_version(OPENSSL_VERSION));
    return 0;
  }
  if (vm.count("help")) {
    std::cout << usage_text << '\n' << opts << '\n';
    return 0;
  }
  std::cerr << usage_text << '\n' << opts << '\n';
  return 2;
}

}  // namespace
