// The sub-commands of devreset. Each takes its own argv (argv[0] is the sub-command's
// name) and returns the process exit code (DESIGN.md, "Exit codes").
#pragma once

#include "engine/device_plan.hpp"

namespace devreset::cli {

int sim_command(int argc, char** argv);
int run_command(int argc, char** argv, engine::run_mode mode);

}  // namespace devreset::cli
