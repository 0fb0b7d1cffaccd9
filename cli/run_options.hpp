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
#include "io/plan_file.hpp"

namespace devreset::cli {

/// The credential the options name; nothing is read until open_request().
struct credential_source {
  enum class kind { none, service_account, token_file, environment, am_session };
  kind what = kind::none;
  std::string sa_id;
  std::filesystem::path file;  ///< the service account's key, the token file, the AM password file
  std::string scope;           ///< the service account's
  bool scope_defaulted = true;
  std::string token;  ///< environment: DEVRESET_TOKEN's value (a secret), taken out of it
  /// am_session: the administrator, where and how it signs in; its password from `file`, or
  /// from DEVRESET_AM_PASSWORD (then in `token`, taken out of the environment)
  std::string am_user;
  std::string auth_realm = "/realms/root";
  std::string auth_tree;
};

struct run_request {
  const char* name = "run";  ///< the sub-command, for messages
  engine::run_config cfg;
  std::filesystem::path input;
  std::filesystem::path ledger;
  std::optional<io::input_format> format;
  io::reader_options rows;                       ///< default realm and types of rows that name none
  credential_source credential;                  ///< what the options name
  std::unique_ptr<engine::token_source> tokens;  ///< made by open_request()
  /// run --plan: the plan ledger; whether --realm and --types were given (they must agree
  /// with it, and may narrow its types); its greatest age
  std::filesystem::path plan;
  std::optional<io::plan_info> opened_plan;  ///< the plan, opened once by open_request()
  std::string plan_error;                    ///< why it could not be (told before anything is sent)
  bool plan_realm = false;
  bool plan_types = false;
  std::chrono::milliseconds plan_max_age{24 * 3600 * 1000};
  bool resume = false;
  bool yes = false;
  progress_mode progress = progress_mode::automatic;
  std::chrono::milliseconds progress_interval{10000};  ///< between plain progress lines
  bool log_json = false;                               ///< --log-format json
  std::string summary_json;                ///< --summary-json: a file, "-" for stdout, empty: none
  std::string metrics_file;                ///< --metrics-file: Prometheus text format (empty: none)
  bool not_found_ok = false;               ///< not_found users do not make the exit code 1
  std::chrono::milliseconds grace{10000};  ///< after Ctrl-C, for users in flight
};

/// `devreset probe`: a run's tenant, token, users and limits, and the steps to take.
struct probe_request {
  run_request run;  ///< mode plan; no ledger
  std::filesystem::path out;
  std::chrono::milliseconds max_duration{120000};
  std::chrono::milliseconds step{5000};
  double start_rate = 10;
  std::uint64_t users = 0;  ///< for the estimate (0: the input's)
};

/// Reads and checks the options, opening no file but the config file (the plan, the key, the
/// token and the input are open_request()'s). Returns the exit code when the command ends
/// here (0 for --help, 2 for a usage error, already explained on stderr), nothing when it
/// goes on.
std::optional<int> parse_run_request(int argc, char** argv, engine::run_mode mode,
                                     run_request& out);
std::optional<int> parse_probe_request(int argc, char** argv, probe_request& out);

/// Opens what the options name, once, before anything is sent: the plan (its error kept for
/// the plan's checks), the credential (a service account's key, a token file; the input's
/// rows read for a service account's default scope). The exit code 2, told on stderr, when
/// the credential cannot be had; nothing when the command goes on.
std::optional<int> open_request(run_request& r);

}  // namespace devreset::cli
