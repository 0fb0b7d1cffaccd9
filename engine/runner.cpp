// The run: preflight, workers, retries, rate limit, signals, ledger records.
#include "engine/runner.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <list>
#include <random>

#include "engine/dispatcher.hpp"
#include "engine/rate_limiter.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

int run_result::exit_code() const {
  if (end != run_end::finished) return 3;
  for (auto s : {io::user_status::partial, io::user_status::failed, io::user_status::not_found,
                 io::user_status::invalid}) {
    if (stats.user_count(s) > 0) return 1;
  }
  return 0;
}

namespace {

double ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The final answer of one request plus whether the run stopped it.
struct executed {
  final_answer answer;
  bool interrupted = false;
};

struct run_state {
  run_state(const run_config& c, asio::io_context& io, io::job_reader& reader, io::ledger_writer& l,
            const io::user_type_map* done, token_source& t, run_result& r)
      : cfg(c),
        ioc(io),
        ledger(l),
        tokens(t),
        result(r),
        host(c.host, c.port, c.tls),
        limiter(c.rate, c.burst > 0 ? c.burst : std::max(1.0, c.rate / 100)),
        policy(c.retry),
        disp(
            reader, done, r.stats, [this](const io::user_record& rec) { write_record(rec); },
            c.run_id),
        paths(c.am_path),
        rng(std::random_device{}()),
        signals(io),
        grace(io),
        ticker(io) {
    tctx.executor = io.get_executor();
    tctx.host = &host;
    tctx.host_name = c.host;
    tctx.port = c.port;
    tctx.am_path = paths.am_path();
    tctx.timeout = c.timeout;
    disp.reserve(c.expected_users);
  }

  const run_config& cfg;
  asio::io_context& ioc;
  io::ledger_writer& ledger;
  token_source& tokens;
  run_result& result;
  https_host host;
  rate_limiter limiter;
  retry_policy policy;
  dispatcher disp;
  io::tenant_paths paths;
  std::mt19937_64 rng;
  asio::signal_set signals;
  asio::steady_timer grace;
  asio::steady_timer ticker;
  token_context tctx;

  std::optional<io::job> first_job;
  bool flush_posted = false;
  bool stopping = false;   // take no new users
  bool hard_stop = false;  // cancel what is in flight
  int consecutive_auth = 0;
  int transport_streak = 0;                         // requests in a row with no answer
  std::chrono::system_clock::time_point streak_start;  // when that streak began
  int not_found_first = 0;   // users not found before the first one that was not
  bool guard_armed = true;   // no user has been ok yet
  int workers_alive = 0;
  // What a hard stop must reach: every live connection and every worker's timer.
  std::list<https_connection*> connections;
  std::list<asio::steady_timer*> timers;

  double draw() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

  void stop(run_end why, std::string reason) {
    if (result.end == run_end::finished) {
      result.end = why;
      result.reason = std::move(reason);
    }
    stopping = true;
  }

  void abort(std::string reason) {
    stop(run_end::aborted, std::move(reason));
    cancel_in_flight();
  }

  int transport_limit() const {
    return cfg.max_transport_failures > 0 ? cfg.max_transport_failures
                                          : std::max(64, 2 * cfg.concurrency);
  }

  // A streak of requests that got no answer at all on every connection: the tenant went
  // away. Returns true when the run was aborted for it.
  bool note_transport(const attempt_result& ar, std::string_view detail) {
    if (ar.how == transport::ok || ar.how == transport::bad_answer) {
      transport_streak = 0;
      return false;
    }
    if (transport_streak++ == 0) streak_start = std::chrono::system_clock::now();
    if (transport_streak < transport_limit()) return false;
    abort(fmt::format("the tenant stopped answering at {}: {} ({} requests in a row got no "
                      "answer); the users in flight were not reached",
                      io::format_utc(streak_start), io::printable(detail, 200), transport_streak));
    return true;
  }

  // The storm guard: the first users of a run all "not found" mean a wrong tenant or realm.
  void note_user(io::user_status st) {
    if (!guard_armed || cfg.not_found_guard <= 0) return;
    if (st == io::user_status::not_found) {
      if (++not_found_first < cfg.not_found_guard) return;
      abort(fmt::format("the first {} users were all not found: is this the right tenant and "
                        "realm? (if the list really holds users that are gone, "
                        "--not-found-guard 0 turns this check off)",
                        not_found_first));
    } else if (st != io::user_status::failed && st != io::user_status::invalid) {
      guard_armed = false;  // a user was there: the address is right
    }
  }

  void cancel_in_flight() {
    hard_stop = true;
    for (auto* c : connections)
      c->close();
    for (auto* t : timers)
      t->cancel();
  }

  // Records go out in one write(2) per event-loop pass: added here, flushed by a handler
  // posted behind the completions that are already queued.
  void write_record(const io::user_record& rec) {
    try {
      ledger.add(rec);
    } catch (const io::ledger_error& e) {
      stop(run_end::aborted, e.what());
      cancel_in_flight();
      return;
    }
    if (!flush_posted) {
      flush_posted = true;
      asio::post(ioc, [this] { flush_ledger(); });
    }
  }

  void flush_ledger() {
    flush_posted = false;
    try {
      ledger.flush();
    } catch (const io::ledger_error& e) {
      stop(run_end::aborted, e.what());
      cancel_in_flight();
    }
  }

  // The next job, or nullopt at the end. Rows that are not jobs are read at most
  // `rows_per_turn` at a time: a million duplicates or bad rows must not hold up the event
  // loop (and with it every request in flight and its deadline).
  static constexpr std::size_t rows_per_turn = 64;
  std::optional<io::job> next_job() {
    if (stopping) return std::nullopt;
    if (first_job) {
      auto j = std::move(first_job);
      first_job.reset();
      return j;
    }
    return disp.next(rows_per_turn);
  }
  /// True when next_job() may have more after it returned nullopt.
  bool more_jobs() const { return !stopping && !disp.ended(); }

  void progress() {
    if (cfg.on_progress) cfg.on_progress(result.stats, limiter.current_rate(), limiter.lowered());
  }

  // A coroutine that threw is a bug: stop the run (it can be resumed) and say what it was.
  void on_crash(std::exception_ptr e, bool is_worker) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      stop(run_end::aborted, fmt::format("internal error: {}", ex.what()));
    } catch (...) {
      stop(run_end::aborted, "internal error");
    }
    cancel_in_flight();
    if (is_worker) worker_done();
  }

  void worker_done() {
    if (--workers_alive > 0) return;
    boost::system::error_code ignored;
    signals.cancel(ignored);
    grace.cancel();
    ticker.cancel();
  }
};

// Keeps a connection and a timer known to the run for as long as they live, so that a hard
// stop reaches them, and never a pointer to one that is gone (even if a coroutine throws).
class registration {
 public:
  registration(run_state* s, https_connection* c, asio::steady_timer* t) : s_(s), c_(c), t_(t) {
    s_->connections.push_back(c_);
    if (t_ != nullptr) s_->timers.push_back(t_);
  }
  ~registration() {
    s_->connections.remove(c_);
    if (t_ != nullptr) s_->timers.remove(t_);
  }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;

 private:
  run_state* s_;
  https_connection* c_;
  asio::steady_timer* t_;
};

// Waits on the worker's timer; a hard stop cancels it, and one that came first skips it.
asio::awaitable<void> sleep_until(run_state* s, asio::steady_timer* timer,
                                  steady::time_point when) {
  if (s->hard_stop) co_return;
  timer->expires_at(when);
  co_await timer->async_wait(use_tuple);
}

// What one worker owns: its connection, its timer, and the reader of its answers.
struct worker_ctx {
  worker_ctx(asio::io_context& ioc, https_host& host)
      : conn(ioc.get_executor(), host), timer(ioc) {}

  https_connection conn;
  asio::steady_timer timer;
  answer_reader answers;
};

asio::awaitable<executed> execute(run_state* s, worker_ctx* w, planned_request req) {
  https_connection* conn = &w->conn;
  asio::steady_timer* timer = &w->timer;
  auto& stats = s->result.stats;
  int attempt = 0;
  bool refreshed = false;
  for (;;) {
    if (s->hard_stop) co_return executed{{}, true};
    ++attempt;
    auto now = steady::now();
    auto when = s->limiter.reserve(now);
    if (when > now) co_await sleep_until(s, timer, when);
    if (s->hard_stop) co_return executed{{}, true};

    auto token_problem = co_await s->tokens.ensure(&s->tctx, {});
    if (!token_problem.empty()) {
      s->stop(run_end::aborted, "cannot get a token: " + token_problem);
      s->cancel_in_flight();
      co_return executed{{}, true};
    }
    std::string used = s->tokens.token();

    auto start = steady::now();
    http_answer a =
        co_await conn->send(req.method, req.target, req.json_body, used, s->cfg.timeout);
    auto end = steady::now();
    ++stats.requests;
    stats.latency.record(end - start);
    if (s->hard_stop) co_return executed{{}, true};

    read_answer r = w->answers.read(a);
    const attempt_result& ar = r.result;
    if (ar.how != transport::ok) ++stats.transport_errors;
    if (s->note_transport(ar, r.detail)) co_return executed{{}, true};
    if (ar.how == transport::ok) {
      if (a.status == 429) {
        ++stats.throttled;
        s->limiter.on_throttled(end);
      } else if (a.status < 300) {
        s->limiter.on_success(end);
      }
      if (a.status == 401 || a.status == 403) {
        ++stats.auth_failures;
        if (++s->consecutive_auth >= s->cfg.max_auth_failures) {
          s->stop(run_end::aborted,
                  fmt::format("the tenant refused {} requests in a row ({}): check the token "
                              "({}) and its scopes",
                              s->consecutive_auth, describe(ar), s->tokens.describe()));
          s->cancel_in_flight();
          co_return executed{{}, true};
        }
      } else {
        s->consecutive_auth = 0;
      }
    }

    auto d = s->policy.decide(ar, attempt, refreshed, std::chrono::system_clock::now(), s->draw());
    switch (d.what) {
      case decision::kind::done:
      case decision::kind::not_found:
      case decision::kind::give_up:
        co_return executed{conclude(d, r, a, req.method, attempt), false};
      case decision::kind::refresh_token: {
        refreshed = true;
        auto problem = co_await s->tokens.ensure(&s->tctx, used);
        if (!problem.empty()) {
          s->stop(run_end::aborted, "cannot get a token: " + problem);
          s->cancel_in_flight();
          co_return executed{{}, true};
        }
        break;
      }
      case decision::kind::retry:
        ++stats.retries;
        co_await sleep_until(s, timer, steady::now() + d.wait);
        break;
    }
  }
}

asio::awaitable<void> worker(run_state* s) {
  worker_ctx w(s->ioc, s->host);
  registration reg(s, &w.conn, &w.timer);
  auto& stats = s->result.stats;

  for (;;) {
    auto job = s->next_job();
    if (!job) {
      if (!s->more_jobs()) break;
      co_await asio::post(s->ioc, asio::use_awaitable);  // let the others run, then read on
      continue;
    }
    io::user_record rec;
    rec.run_id = s->cfg.run_id;
    rec.line = job->line;
    rec.user_id = job->user_id;
    rec.realm = job->realm;
    const auto user_start = steady::now();
    bool abandoned = false;
    for (auto t : io::all_device_types) {
      if (!job->types.contains(t)) continue;
      type_task task(t, s->cfg.mode, s->paths, job->realm, job->user_id, s->cfg.page_size);
      const auto type_start = steady::now();
      while (auto req = task.next()) {
        auto done = co_await execute(s, &w, std::move(*req));
        if (done.interrupted) {
          abandoned = true;
          break;
        }
        task.on_answer(done.answer);
      }
      if (abandoned) break;
      auto r = task.result();
      r.elapsed_ms = ms_between(type_start, steady::now());
      stats.count_type(t, r.status);
      if (r.found) stats.devices_found[static_cast<std::size_t>(t)] += static_cast<std::uint64_t>(*r.found);
      rec.results.push_back(std::move(r));
    }
    // A user cut off by an abort or a hard stop gets no record: a resumed run does it again.
    if (abandoned) break;
    rec.status = user_status_of(rec.results);
    rec.elapsed_ms = ms_between(user_start, steady::now());
    rec.finished_at = std::chrono::system_clock::now();
    stats.count_user(rec.status);
    s->write_record(rec);
    s->note_user(rec.status);
  }
  s->worker_done();
}

asio::awaitable<void> ticker(run_state* s) {
  for (;;) {
    s->ticker.expires_after(s->cfg.progress_interval);
    auto [ec] = co_await s->ticker.async_wait(use_tuple);
    if (ec) co_return;
    s->progress();
    try {
      s->ledger.maybe_sync();
    } catch (const io::ledger_error& e) {
      s->stop(run_end::aborted, e.what());
      s->cancel_in_flight();
    }
  }
}

void on_signal(run_state* s, const boost::system::error_code& ec, int signo) {
  if (ec) return;
  if (s->stopping && s->result.end == run_end::interrupted) {
    // A second Ctrl-C: leave now, with every record written so far whole on disk.
    try {
      fmt::print(stderr, "\ndevreset: second interrupt, exiting now; resume with --resume\n");
    } catch (...) {  // stderr gone (a dead pipe): the ledger matters more
    }
    try {
      s->result.elapsed_s = ms_between(s->result.stats.started, steady::now()) / 1000;
      s->ledger.write(summary_record(s->cfg, s->result));
      s->ledger.close();
    } catch (...) {
    }
    std::_Exit(3);
  }
  s->stop(run_end::interrupted,
          fmt::format("interrupted by {}", signo == SIGTERM ? "SIGTERM" : "SIGINT"));
  try {
    fmt::print(stderr,
               "\ndevreset: stopping: no new users; {} s for those in flight (Ctrl-C again to "
               "exit now)\n",
               std::chrono::duration_cast<std::chrono::seconds>(s->cfg.grace).count());
  } catch (...) {  // stderr gone (a dead pipe): stop all the same
  }
  s->grace.expires_after(s->cfg.grace);
  s->grace.async_wait([s](boost::system::error_code gec) {
    if (!gec) s->cancel_in_flight();
  });
  s->signals.async_wait([s](boost::system::error_code e, int n) { on_signal(s, e, n); });
}

// The realm as an operator names it: "/realms/root/realms/alpha/realms/emea" -> "alpha/emea".
std::string realm_name(std::string_view path) {
  constexpr std::string_view root = "/realms/root", level = "/realms/";
  if (path == root) return "root";
  if (path.starts_with(root)) path.remove_prefix(root.size());
  std::string out;
  while (path.starts_with(level)) {
    path.remove_prefix(level.size());
    auto end = path.find('/');
    if (!out.empty()) out += '/';
    out += path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return out.empty() ? std::string(path) : out;
}

// One preflight read, retried like any request on a dropped connection or a stalled answer
// (a tenant that drops 1% of connections must not abort the run); with a token, a 401 gets
// one refresh. An answer that came but could not be read shows the tenant is there.
// `problem` is set when the tenant could not be reached or no token could be had.
asio::awaitable<http_answer> preflight_get(run_state* s, https_connection& conn,
                                           asio::steady_timer& timer, const std::string& target,
                                           bool with_token, std::string& problem) {
  http_answer a;
  if (with_token) {
    problem = co_await s->tokens.ensure(&s->tctx, {});
    if (!problem.empty()) problem = "cannot get a token: " + problem;
  }
  bool refreshed = !with_token;
  for (int attempt = 1; problem.empty() && !s->stopping; ++attempt) {
    std::string used = with_token ? s->tokens.token() : std::string();
    a = co_await conn.send(http_method::get, target, false, used, s->cfg.timeout);
    ++s->result.stats.requests;
    if (a.how == transport::ok && a.status == 401 && !refreshed) {
      refreshed = true;
      problem = co_await s->tokens.ensure(&s->tctx, used);
      if (!problem.empty()) problem = "cannot get a token: " + problem;
      if (s->tokens.token() != used) continue;
    }
    const bool retry = a.how == transport::connect_failed || a.how == transport::dropped ||
                       a.how == transport::timeout;
    const bool hopeless = a.detail.find("certificate verification failed") != std::string::npos;
    if (!retry || hopeless || attempt >= s->cfg.retry.max_attempts) break;
    ++s->result.stats.retries;
    co_await sleep_until(s, &timer, steady::now() + s->policy.backoff(attempt, s->draw()));
  }
  if (problem.empty() && a.how != transport::ok && a.how != transport::bad_answer) {
    problem = fmt::format("cannot reach the tenant at https://{}:{}: {}", s->cfg.host,
                          s->cfg.port, io::printable(a.detail, 300));
  }
  co_return a;
}

// A 404 that proves the address wrong: a realm AM does not know, or something that is not
// AM's device API answering at the AM path. Empty when the answer proves nothing wrong.
std::string address_problem(run_state* s, const http_answer& a, std::string_view realm) {
  if (a.how != transport::ok || a.status != 404) return {};
  const auto url = io::tenant_url(s->cfg.host, s->cfg.port, s->paths.am_path());
  switch (what_is_missing(a)) {
    case missing::user:
    case missing::device:
      return {};  // AM answered for this realm: the user may be gone, the address is right
    case missing::realm:
      return fmt::format("realm '{}' does not exist on {} (404 Not Found{}): check --realm "
                         "(AIC's realms are alpha and bravo)",
                         io::printable(realm_name(realm), 200), url, answer_words(a));
    case missing::resource:
    case missing::not_am:
      break;
  }
  return fmt::format("nothing answers at {}/json{} (404 Not Found{}): is --am-path right? (the "
                     "tenant's AM is usually at /am)",
                     url, realm, answer_words(a));
}

// Preflight: resolve, connect, TLS, the realm and AM path (serverinfo, no token needed),
// then one authenticated read of the first user's devices, all before any change.
asio::awaitable<std::string> preflight(run_state* s, const io::job& j) {
  https_connection conn(s->ioc.get_executor(), s->host);
  asio::steady_timer timer(s->ioc);
  registration reg(s, &conn, &timer);
  std::string problem;
  auto info = s->paths.am_path() + "/json" + j.realm + "/serverinfo/*";
  auto a = co_await preflight_get(s, conn, timer, info, false, problem);
  if (problem.empty()) problem = address_problem(s, a, j.realm);
  if (!problem.empty() || s->stopping) co_return problem;

  io::device_type first = io::device_type::oath;
  for (auto t : io::all_device_types) {
    if (j.types.contains(t)) {
      first = t;
      break;
    }
  }
  a = co_await preflight_get(s, conn, timer, s->paths.query(j.realm, j.user_id, first), true,
                             problem);
  if (problem.empty() && (a.status == 401 || a.status == 403)) {
    problem = fmt::format("the tenant refused the token from {} ({})", s->tokens.describe(),
                          describe(attempt_result{transport::ok, a.status, {}}));
  }
  if (problem.empty()) problem = address_problem(s, a, j.realm);
  co_return problem;
}

asio::awaitable<void> start(run_state* s) {
  auto resolve_error = co_await s->host.resolve(s->ioc.get_executor());
  if (!resolve_error.empty()) {
    s->result.preflight_failed = true;
    s->stop(run_end::aborted, "preflight: " + resolve_error);
    s->worker_done();
    co_return;
  }
  s->first_job = s->disp.next();
  if (s->first_job) {
    auto problem = co_await preflight(s, *s->first_job);
    if (!problem.empty() && !s->stopping) {
      s->result.preflight_failed = true;
      s->stop(run_end::aborted, "preflight: " + problem);
      s->first_job.reset();
    }
  }
  if (s->stopping) {
    s->worker_done();
    co_return;
  }
  // The workers; the preflight's own slot in workers_alive passes to them.
  s->workers_alive += s->cfg.concurrency;
  for (int i = 0; i < s->cfg.concurrency; ++i) {
    asio::co_spawn(s->ioc, worker(s), [s](std::exception_ptr e) { s->on_crash(e, true); });
  }
  s->worker_done();
}

}  // namespace

run_result run(const run_config& config, io::job_reader& reader, io::ledger_writer& ledger,
               const io::user_type_map* done, token_source& tokens) {
  run_result result;
  result.stats.started = steady::now();
  asio::io_context ioc(1);
  run_state s(config, ioc, reader, ledger, done, tokens, result);

  json::object run_rec{
      {"record", "run"},
      {"run_id", config.run_id},
      {"started_at", io::format_utc(std::chrono::system_clock::now())},
      {"mode", config.mode == run_mode::plan ? "plan" : "reset"},
      {"tenant", config.port == "443" ? config.host : config.host + ":" + config.port},
      {"tenant_url", io::tenant_url(config.host, config.port, config.am_path)},
      {"am_path", s.paths.am_path()},
      {"concurrency", config.concurrency},
      {"rate", config.rate},
      {"max_attempts", config.retry.max_attempts},
      {"version", DEVRESET_VERSION_STRING}};
  for (const auto& [k, v] : config.run_record)
    run_rec[k] = v;
  try {
    ledger.write(run_rec);
  } catch (const io::ledger_error& e) {
    result.end = run_end::aborted;
    result.reason = e.what();
    return result;
  }

  if (config.handle_signals) {
    s.signals.add(SIGINT);
    s.signals.add(SIGTERM);
    s.signals.async_wait([&s](boost::system::error_code e, int n) { on_signal(&s, e, n); });
  }
  s.workers_alive = 1;  // the preflight
  asio::co_spawn(ioc, start(&s), [&s](std::exception_ptr e) { s.on_crash(e, true); });
  asio::co_spawn(ioc, ticker(&s), [&s](std::exception_ptr e) { s.on_crash(e, false); });
  ioc.run();
  tokens.detach();
  if (result.preflight_failed) {
    // No user was touched: leave the ledger as it was, so that the same command, once the
    // problem is fixed, starts afresh (and a resumed ledger holds no run that did nothing).
    try {
      ledger.discard_written();
    } catch (const io::ledger_error& e) {
      result.reason += fmt::format(" (and {})", e.what());
    }
    result.elapsed_s = ms_between(result.stats.started, steady::now()) / 1000;
    return result;
  }
  s.flush_ledger();

  result.connections = s.host.connects();
  result.resumed_sessions = s.host.resumed();
  result.elapsed_s = ms_between(result.stats.started, steady::now()) / 1000;
  if (!s.disp.fatal_reason().empty() && result.end == run_end::finished) {
    result.end = run_end::aborted;
    std::string input = "the input";
    if (const auto* in = config.run_record.if_contains("input"); in != nullptr && in->is_string()) {
      input = std::string(in->get_string());
    }
    result.reason = fmt::format("{}:{}: cannot be read past this line: {}", input,
                                s.disp.fatal_line(), s.disp.fatal_reason());
  }
  s.progress();
  try {
    ledger.write(summary_record(config, result));
    ledger.sync();
  } catch (const io::ledger_error& e) {
    if (result.end == run_end::finished) {
      result.end = run_end::aborted;
      result.reason = e.what();
    }
  }
  return result;
}

json::object summary_record(const run_config& config, const run_result& r) {
  const auto& st = r.stats;
  json::object users;
  for (auto s : {io::user_status::ok, io::user_status::partial, io::user_status::failed,
                 io::user_status::not_found, io::user_status::invalid, io::user_status::planned}) {
    users[io::to_string(s)] = st.user_count(s);
  }
  json::object types;
  for (auto t : io::all_device_types) {
    json::object by;
    for (auto rs : {io::result_status::ok, io::result_status::not_found, io::result_status::failed,
                    io::result_status::planned}) {
      auto n = st.types[static_cast<std::size_t>(t)][static_cast<std::size_t>(rs)];
      if (n > 0) by[io::to_string(rs)] = n;
    }
    if (auto found = st.devices_found[static_cast<std::size_t>(t)]; found > 0) by["found"] = found;
    if (!by.empty()) types[io::to_string(t)] = std::move(by);
  }
  auto ms = [&](double q) {
    return std::chrono::duration<double, std::milli>(st.latency.percentile(q)).count();
  };
  auto round1 = [](double v) { return std::round(v * 10) / 10; };
  std::string_view end = r.end == run_end::finished      ? "finished"
                         : r.end == run_end::interrupted ? "interrupted"
                                                         : "aborted";
  json::object o{{"record", "summary"},
                 {"run_id", config.run_id},
                 {"end", end},
                 {"users", std::move(users)},
                 {"types", std::move(types)},
                 {"rows", st.rows_read},
                 {"duplicates", st.duplicates},
                 {"skipped_done", st.skipped_done},
                 {"requests", st.requests},
                 {"retries", st.retries},
                 {"throttled_429", st.throttled},
                 {"transport_errors", st.transport_errors},
                 {"latency_ms", json::object{{"p50", round1(ms(0.5))},
                                             {"p95", round1(ms(0.95))},
                                             {"p99", round1(ms(0.99))}}},
                 {"elapsed_s", round1(r.elapsed_s)},
                 {"requests_per_s",
                  round1(r.elapsed_s > 0 ? static_cast<double>(st.requests) / r.elapsed_s : 0)},
                 {"connections", r.connections},
                 {"finished_at", io::format_utc(std::chrono::system_clock::now())}};
  if (!r.reason.empty()) o["reason"] = r.reason;
  return o;
}

}  // namespace devreset::engine
