// `devreset run` and `devreset plan`: read the options, open the input, check the ledger,
// confirm, run the engine with a progress display and Ctrl-C handling, say what happened,
// exit with the documented codes (docs/architecture.md).
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli/commands.hpp"
#include "cli/interrupts.hpp"
#include "cli/log.hpp"
#include "cli/metrics.hpp"
#include "cli/plan_apply.hpp"
#include "cli/progress.hpp"
#include "cli/report_ledger.hpp"
#include "cli/run_options.hpp"
#include "cli/summary.hpp"
#include "cli/terminal.hpp"
#include "engine/runner.hpp"
#include "io/job_reader.hpp"
#include "io/json_text.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"
#include "io/secret_file.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace fs = std::filesystem;

namespace {

// The rows of the input, counted by the reader itself (its own rules for headers, quotes,
// comments and JSON); 0 when unknown (a stream, or too large to read twice cheaply).
// `ignored`: the names the reader ignored over the whole input (a JSON input's keys that name
// no field are known only once read).
std::uint64_t count_rows(const run_request& r, std::vector<std::string>& ignored) {
  if (r.cfg.source || !r.plan.empty()) return 0;  // counted by the tenant, or by the plan
  std::error_code ec;
  if (!fs::is_regular_file(r.input, ec) || fs::file_size(r.input, ec) > (256ull << 20)) return 0;
  try {
    auto reader = io::open_job_reader(r.input, r.format, r.rows);
    std::uint64_t rows = 0;
    while (auto row = reader->next())
      rows += io::in_shard(r.cfg.shard, *row) ? 1 : 0;
    ignored = reader->ignored_columns();
    return rows;
  } catch (const io::input_error&) {
    return 0;  // the run's own reader says why, with the line
  }
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
    tell(
        fmt::format("devreset {}: ledger {} records runs on {}; this run is on {}: use a new "
                    "ledger for {} (nothing was sent)\n",
                    name, ledger.string(), fmt::join(index.other_tenants, ", "), tenant, tenant));
    return false;
  }
  if (!index.other_tenants.empty()) {
    tell(
        fmt::format("devreset {}: note: ledger {} also records runs on {}; only the runs on {} "
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
    tell(
        fmt::format("devreset {}: warning: {} was written for realm {}, and --realm is {} (its "
                    "rows keep their own realm)\n",
                    name, input.string(), io::printable(origin->realm, 200), realm));
  }
}

std::string users_phrase(const run_request& r, std::uint64_t total, const io::resume_index& index) {
  if (r.cfg.source) return fmt::format("the users of {}", r.cfg.source.describe());
  if (total == 0) return "all the users";
  if (index.done.size() == 0) return fmt::format("{} users", total);
  // Users with every type done are skipped; an estimate, as the rows are not read yet.
  auto left = total > index.done.size() ? total - index.done.size() : 0;
  return fmt::format("about {} users ({} of {} already done in the ledger)", left,
                     index.done.size(), total);
}

// Text folded at spaces to fit `columns` (0: as it is), for a terminal that would otherwise
// wrap it mid-word.
std::string wrap(const std::string& text, std::size_t columns) {
  if (columns < 20 || text.size() < columns) return text;
  std::string out;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    auto word = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line > 0 && line + 1 + word.size() >= columns) {
      out += "\n  ";
      line = 2;
    } else if (line > 0) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Asks on the controlling terminal (not stdin/stderr: `2>run.log` must not hide the
// question); no terminal means no.
bool confirmed(const std::string& what) {
  // The rule: a terminal asks before any reset, whatever its size, unless --yes.
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    tell(
        fmt::format("devreset run: refusing to {} without confirmation: no terminal to ask on; "
                    "add --yes\n",
                    what));
    return false;
  }
  auto question =
      fmt::format("{}\nType 'yes' to go on: ",
                  wrap(fmt::format("devreset run: about to {}.", what), terminal_columns(fd)));
  bool ok = ::write(fd, question.data(), question.size()) == static_cast<ssize_t>(question.size());
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
// After Ctrl-C or an abort: the users of the input never reached, counted as `report`
// counts them (the ledger read again, and the input).
void tell_not_reached(const run_request& r) {
  try {
    report_options o;
    o.ledgers = {r.ledger.string()};
    const auto todo = find_still_to_do(o, read_ledgers(o), nullptr);
    for (const auto& u : todo.inputs) {
      if (!u.problem.empty()) {
        tell(fmt::format("Not reached: cannot tell which users of {}: {}\n",
                         io::printable(u.input, 300), io::printable(u.problem, 300)));
      } else if (u.users > 0) {
        tell(fmt::format(
            "Not reached: {} user{} of {} (--resume does them; `devreset report "
            "{} --failed-out FILE` lists them)\n",
            u.users, u.users == 1 ? "" : "s", io::printable(u.input, 300), r.ledger.string()));
      }
    }
  } catch (const std::exception& e) {
    tell(fmt::format("Not reached: cannot tell ({})\n", e.what()));
  }
}

// A run whose input held no user: a list that came out empty upstream (an HR export, a
// script) is a mistake to see, never a success in cron (exit 2); a tenant query that
// matched nobody is an answer (exit 0). Nullopt when users were read.
std::optional<int> no_users_outcome(const run_request& r, const engine::run_result& result) {
  const auto& st = result.stats;  // rows of other shards are rows: this shard may have none
  if (st.rows_read + st.other_shards > 0 || result.end != engine::run_end::finished ||
      !r.plan.empty())
    return std::nullopt;
  if (r.cfg.source) {
    tell(fmt::format("devreset {}: no user matched {}\n", r.name, r.cfg.source.describe()));
    return 0;
  }
  tell(fmt::format("devreset {}: {} held no users: nothing was done (is the list empty?)\n", r.name,
                   r.input == "-" ? "standard input" : r.input.string()));
  return 2;
}

int tell_outcome(const run_request& r, engine::run_mode mode, const engine::run_result& result,
                 int argc, char** argv) {
  const char* name = r.name;
  const auto& ledger = r.ledger;
  if (!result.preflight_failed) {
    tell(summary_text(result.stats, result.elapsed_s));
    tell(fmt::format("Ledger: {}\n", ledger.string()));
  }
  if (result.end != engine::run_end::finished) {
    const char* end = result.end == engine::run_end::interrupted ? "interrupted" : "aborted";
    tell(result.reason == end || result.reason.empty()
             ? fmt::format("devreset {}: {}\n", name, end)
             : fmt::format("devreset {}: {}: {}\n", name, end, result.reason));
    if (!result.preflight_failed) tell_not_reached(r);
  }
  if (auto code = no_users_outcome(r, result)) return *code;
  int code = result.exit_code(r.not_found_ok);
  if (result.preflight_failed) {
    tell(
        fmt::format("Nothing was sent to any user and the ledger is as it was: fix the problem "
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
    tell(
        fmt::format("To plan the users that could not be read: devreset report {} "
                    "--failed-out todo.csv, then plan todo.csv into a new ledger\n",
                    shell_quote(ledger.string())));
    return code;
  }
  if (!had_resume) again += " --resume";
  tell(fmt::format("To {}: {}\n", code == 3 ? "resume" : "retry the users that are not ok", again));
  if (again.find("*****@") != std::string::npos)
    tell("(the proxy's user and password are masked above: give them again in their place)\n");
  return code;
}

// The ledger: never overwritten; resumed only when asked, and only on its own tenant.
std::optional<io::resume_index> check_ledger(const run_request& r, const std::string& tenant) {
  io::resume_index index;
  try {
    if (!r.resume) {
      io::check_new_ledger(r.ledger);
      return index;
    }
    index = io::load_resume_index(r.ledger, tenant);
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
    return std::nullopt;
  }
  if (!resume_on_this_tenant(r.name, r.ledger, tenant, index)) return std::nullopt;
  return index;
}

// A cleanup by age cuts at one time for the whole job: a plan's run at the plan's "now", a
// resume at the first run's. False (and said why) when the options and the ledger disagree.
bool settle_selection(run_request& r, const std::optional<io::plan_info>& plan,
                      const io::resume_index& index) {
  auto& sel = r.cfg.selection;
  if (plan && plan->selection) sel = engine::from_record(*plan->selection);
  if (!r.resume || index.runs_here == 0 || (!index.selection && !sel)) return true;
  if (index.selection && sel && index.selection->same_rules(engine::to_record(sel))) {
    sel.now_ms = index.selection->now_ms;  // the first run's cut-offs
    return true;
  }
  const auto ledger_said = index.selection
                               ? engine::from_record(*index.selection).describe()
                               : std::string("every device of the types (no selection by age)");
  tell(fmt::format(
      "devreset {}: ledger {} records a run that removed {}; this resume asks for {}: give the "
      "first run's options (or use a new ledger; nothing was sent)\n",
      r.name, r.ledger.string(), ledger_said,
      sel ? sel.describe() : std::string("every device of the types")));
  return false;
}

// Figures the tenant stated that cannot be right, and what the run took instead.
void tell_tenant_warnings(const run_request& r, const engine::run_result& result) {
  if (const auto floored = result.stats.policy_floored; floored > 0) {
    tell(
        fmt::format("devreset {}: warning: the tenant's RateLimit-Policy allows {:.3g} "
                    "requests/s, which cannot be right: paced at 1 request/s at the least\n",
                    r.name, floored));
  }
  if (auto w = r.tokens ? r.tokens->warning() : std::string(); !w.empty())
    tell(fmt::format("devreset {}: warning: {}\n", r.name, w));
  for (const auto& note : result.notes)  // the sign-out of an AM session
    tell(fmt::format("devreset {}: {}\n", r.name, note));
}

// --summary-json: the summary record, with where the run was and its exit code, for
// scripts (a file, or stdout for "-").
void write_summary_json(const run_request& r, const engine::run_result& result) {
  if (r.summary_json.empty() || result.preflight_failed) return;
  auto o = engine::summary_record(r.cfg, result);
  o["tenant_url"] = io::tenant_url(r.cfg.host, r.cfg.port, r.cfg.am_path);
  o["ledger"] = r.ledger.string();
  o["exit_code"] = result.exit_code(r.not_found_ok);
  const auto text = io::json_text(o) + "\n";
  if (r.summary_json == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  try {  // a new file renamed into place: never through a link, never half written
    io::write_new_file(r.summary_json, text, /*replace=*/true, 0644);
  } catch (const std::exception& e) {
    tell(fmt::format("devreset {}: --summary-json {}\n", r.name, e.what()));
  }
}

metrics_facts metrics_facts_of(const run_request& r, std::uint64_t rows) {
  const auto& c = r.cfg;
  return {c.run_id,
          io::tenant_url(c.host, c.port, c.am_path),
          c.input.realm,
          c.mode == engine::run_mode::plan ? "plan" : "reset",
          std::chrono::system_clock::now(),
          rows};
}

// The first line of a run in a log: which run, where, on what.
// `resumed_ledger`: --resume of a ledger that holds runs (a new ledger is no resumption).
void tell_start(const run_request& r, std::uint64_t rows, bool resumed_ledger) {
  const auto& c = r.cfg;
  tell(fmt::format(
      "devreset {}: run {} starts: {} on {} realm {}, types {}, input {}{}, ledger {}{}, "
      "rate ceiling {}, concurrency {}\n",
      r.name, c.run_id,
      c.mode == engine::run_mode::plan ? "plan"
      : c.selection                    ? "cleanup"
                                       : "reset",
      io::tenant_url(c.host, c.port, c.am_path), c.input.realm, c.input.types, c.input.name,
      rows > 0 ? fmt::format(" ({} users)", rows) : "", r.ledger.string(),
      resumed_ledger ? " (resumed)" : "", c.rate > 0 ? fmt::format("{:g}/s", c.rate) : "none",
      c.concurrency));
  if (c.selection) {
    tell(
        fmt::format("devreset {}: only devices {}: every type is listed and each such device "
                    "deleted alone (no reset action)\n",
                    r.name, c.selection.describe()));
  }
}

// The run record's account of the input (and of the plan a run --plan applies).
engine::run_input input_facts(const run_request& r, std::uint64_t rows,
                              const std::optional<io::plan_info>& plan) {
  std::error_code ec;
  engine::run_input in;
  in.rows = rows;
  in.realm = r.rows.default_realm;
  in.types = r.rows.default_types.to_string(',');
  in.resume = r.resume;
  if (plan) {
    in.name = r.plan.string();
    in.path = fs::absolute(r.plan, ec).string();
    in.format = "plan";
    in.plan = {plan->run_id, plan->path, plan->made_at, plan->file ? plan->file->sha256 : ""};
  } else if (r.cfg.source) {  // a tenant query: its words stand for the input (resumed by
                              // re-reading)
    in.name = r.cfg.source.describe();
    in.format = "idm";
    in.rows = 0;
  } else if (r.input == "-") {
    in.name = in.path = "-";
    in.format = io::to_string(r.format.value_or(io::input_format::csv));
  } else {
    in.name = r.input.string();
    in.path = fs::absolute(r.input, ec).string();
    in.format = io::to_string(r.format ? *r.format : io::format_from_extension(r.input));
  }
  return in;
}

// Opens the ledger and runs the engine, with the progress display and Ctrl-C handling.
std::optional<engine::run_result> execute(run_request& r, io::job_reader& reader,
                                          const io::resume_index& index, std::uint64_t rows,
                                          const std::optional<io::plan_info>& plan) {
  std::unique_ptr<io::ledger_writer> ledger;
  try {
    ledger = std::make_unique<io::ledger_writer>(
        r.ledger, r.resume ? io::ledger_mode::resume : io::ledger_mode::create);
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
    return std::nullopt;
  }
  if (ledger->torn_bytes_dropped() > 0) {
    tell(fmt::format("devreset {}: the ledger's last line was torn by a crash ({} bytes): cut\n",
                     r.name, ledger->torn_bytes_dropped()));
  }
  r.cfg.run_id = new_run_id();
  r.cfg.expected_users = rows;
  r.cfg.input = input_facts(r, rows, plan);
  if (char d = reader.delimiter(); d != 0) r.cfg.input.delimiter = std::string(1, d);
  r.cfg.input.ignored_columns = reader.ignored_columns();
  set_log_run_id(r.cfg.run_id);
  tell_start(r, rows, r.resume && index.runs > 0);
  progress prog(r.progress, rows, r.progress_interval);
  std::optional<metrics_file> metrics;
  engine::run_observer* observer = &prog;
  if (!r.metrics_file.empty()) {
    metrics.emplace(r.metrics_file, metrics_facts_of(r, rows), r.progress_interval, prog);
    observer = &*metrics;
  }
  engine::run_control control;
  std::optional<engine::run_result> result;
  {
    interrupts signals(control, r.grace);
    result = engine::run(r.cfg, reader, *ledger, r.resume ? &index.done : nullptr, *r.tokens,
                         &control, observer);
  }
  prog.finish(result->stats);
  if (metrics) metrics->finish(result->stats, result->exit_code(r.not_found_ok), result->elapsed_s);
  if (r.cfg.proxy && result->tunnels > 0) {
    tell(fmt::format("Proxy: {} ({} tunnel{}, one a connection)\n", r.cfg.proxy->shown(),
                     result->tunnels, result->tunnels == 1 ? "" : "s"));
  }
  try {
    ledger->close();
  } catch (const io::ledger_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
  }
  return result;
}

// The input, opened (and its header read) before anything else happens; a plan checked
// against the run. Null: the reason is told.
std::unique_ptr<io::job_reader> open_input(run_request& r, const std::string& tenant,
                                           std::optional<io::plan_info>& plan) {
  try {
    if (!r.plan.empty()) {
      plan = check_plan(r, tenant);
      if (!plan) return nullptr;
      return std::make_unique<io::plan_reader>(*plan, r.rows.default_types);
    }
    if (r.cfg.source) return std::make_unique<engine::query_reader>(r.rows);
    if (r.input == "-") {  // standard input: read once, as it comes (CSV unless told)
      return io::make_job_reader(std::make_unique<std::ifstream>("/dev/stdin", std::ios::binary),
                                 r.format.value_or(io::input_format::csv), r.rows,
                                 "standard input");
    }
    return io::open_job_reader(r.input, r.format, r.rows);
  } catch (const io::input_error& e) {
    tell(fmt::format("devreset {}: {}\n", r.name, e.what()));
    return nullptr;
  }
}

// The question before a reset, and what a run --plan says it applies even with --yes.
bool confirm_run(const run_request& r, const std::optional<io::plan_info>& plan,
                 const std::string& tenant, std::uint64_t rows, const io::resume_index& index) {
  const char* insecure = r.cfg.tls.insecure ? " WITHOUT checking its certificate (--insecure)" : "";
  if (plan) {
    auto what = plan_phrase(r, *plan, tenant) + insecure;
    if (r.yes) tell(fmt::format("devreset run: {}\n", what));
    return r.yes || confirmed(what);
  }
  const auto what =
      r.cfg.selection
          ? fmt::format("remove the {} devices {} of {} in realm {} on {}{}",
                        r.rows.default_types.to_string(','), r.cfg.selection.describe(),
                        users_phrase(r, rows, index), r.rows.default_realm, tenant, insecure)
          : fmt::format("reset the {} devices of {} in realm {} on {}{}",
                        r.rows.default_types.to_string(','), users_phrase(r, rows, index),
                        r.rows.default_realm, tenant, insecure);
  if (r.yes && r.cfg.selection) tell(fmt::format("devreset run: {}\n", what));
  return r.yes || confirmed(what);
}

// A log a person reads later gets the time on every line; --log-format json, an object.
void choose_log_style(run_request& r) {
  const auto shown = resolve(r.progress);
  if (r.log_json) {
    set_log_style(log_style::json);
    if (shown == progress_mode::bar) r.progress = progress_mode::plain;
  } else if (shown == progress_mode::plain) {
    set_log_style(log_style::timestamped);
  }
}

// A file input with no row at all (valid or not): an empty file, a header alone.
bool input_is_empty(const run_request& r) {
  if (r.cfg.source || !r.plan.empty() || r.input == "-") return false;
  std::error_code ec;
  if (!fs::is_regular_file(r.input, ec)) return false;
  try {
    return !io::open_job_reader(r.input, r.format, r.rows)->next().has_value();
  } catch (const io::input_error&) {
    return false;  // the run's own reader says why
  }
}

}  // namespace

int run_command(int argc, char** argv, engine::run_mode mode) {
  run_request r;
  if (auto code = parse_run_request(argc, argv, mode, r)) return *code;
  if (auto code = open_request(r)) return *code;
  choose_log_style(r);
  const auto tenant = io::tenant_url(r.cfg.host, r.cfg.port, r.cfg.am_path);
  std::optional<io::plan_info> plan;
  auto reader = open_input(r, tenant, plan);
  if (!reader) return 2;
  if (input_is_empty(r)) {
    tell(
        fmt::format("devreset {}: {} holds no users (an empty file, or a header alone): "
                    "nothing to do (nothing was sent)\n",
                    r.name, r.input.string()));
    return 2;
  }
  std::vector<std::string> extra = reader->ignored_columns();
  const auto rows = plan ? plan->users : count_rows(r, extra);
  if (!extra.empty()) {
    std::string names;
    for (const auto& c : extra)
      names += (names.empty() ? "" : ", ") + io::printable(c, 40);
    tell(fmt::format("devreset {}: {}: ignored columns: {}\n", r.name, r.input.string(), names));
  }
  auto index = check_ledger(r, tenant);
  if (!index || !settle_selection(r, plan, *index)) return 2;
  if (!r.cfg.source && !plan && r.input != "-")
    warn_if_other_origin(r.name, r.input, tenant, r.rows.default_realm);
  if (r.cfg.tls.insecure) {
    tell(
        fmt::format("devreset {}: WARNING: --insecure: the tenant's certificate is NOT verified; "
                    "anyone on the path can read the token\n",
                    r.name));
  }
  if (mode == engine::run_mode::reset && !confirm_run(r, plan, tenant, rows, *index)) return 2;
  auto result = execute(r, *reader, *index, rows, plan);
  if (!result) return 2;
  tell_tenant_warnings(r, *result);
  write_summary_json(r, *result);
  return tell_outcome(r, mode, *result, argc, argv);
}

}  // namespace devreset::cli
