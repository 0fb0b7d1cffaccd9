// The sub-commands of devreset. Each takes its own argv (argv[0] is the sub-command's
// name) and returns the process exit code (docs/architecture.md, "Exit codes").
#pragma once

#include <cstdint>

#include "engine/type_task.hpp"

namespace devreset::cli {

int sim_command(int argc, char** argv);
int run_command(int argc, char** argv, engine::run_mode mode);
int report_command(int argc, char** argv);
int demo_command(int argc, char** argv);
int probe_command(int argc, char** argv);

/// The demo's simulated tenant: samples/users.csv lists exactly these seeded users.
inline constexpr std::uint64_t demo_users = 500;
inline constexpr std::uint64_t demo_seed = 2026;

}  // namespace devreset::cli
