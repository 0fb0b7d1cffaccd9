// The options of `devreset run` and `devreset plan` (command line, environment, config
// file), checked and turned into what a run needs: the engine's config, the input, the
// ledger, the token source and how to show progress.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/progress.hpp"
#include "engine/runner.hpp"
#include "engine/token_source.hpp"
#include "io/job_reader.hpp"

namespace devreset::cli {

struct run_request {
  const char* name = "run";  ///< the sub-command, for messages
  engine::run_config cfg;
  std::filesystem::path input;
  std::filesystem::path ledger;
  std::optional<io::input_format> format;
  io::reader_options rows;  ///< default realm and types of rows that name none
  std::unique_ptr<engine::token_source> tokens;
  bool resume = false;
  bool yes = false;
  progress_mode progress = progress_mode::automatic;
  std::chrono::milliseconds grace{10000};  ///< after Ctrl-C, for users in flight
};

/// Reads and checks the options. Returns the exit code when the command ends here (0 for
/// --help, 2 for a usage error, already explained on stderr), nothing when it goes on.
std::optional<int> parse_run_request(int argc, char** argv, engine::run_mode mode,
                                     run_request& out);

}  // namespace devreset::cli
