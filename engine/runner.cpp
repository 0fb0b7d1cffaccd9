// The run: its state, the ledger's batches, stop requests, the ticker, and the records.
#include "engine/runner.hpp"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <cmath>

#include "engine/detail/run_state.hpp"
#include "io/run_records.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

// A preflight that proved an operator's mistake: the same command fails again, whatever the
// tenant does next ("fix the command", exit 2); anything else may pass on a retry (exit 3).
bool proves_a_mistake(const std::error_code& e) {
  return e == run_error::wrong_realm || e == run_error::wrong_address ||
         e == run_error::token_refused || e == run_error::input;
}

}  // namespace

int run_result::exit_code(bool not_found_ok) const {
  if (end != run_end::finished) return preflight_failed && proves_a_mistake(error) ? 2 : 3;
  for (auto s : {io::user_status::partial, io::user_status::failed, io::user_status::not_found,
                 io::user_status::invalid}) {
    if (s == io::user_status::not_found && not_found_ok) continue;
    if (stats.user_count(s) > 0) return 1;
  }
  return 0;
}

void run_control::stop(std::chrono::milliseconds grace) {
  std::lock_guard lock(mutex_);
  if (deliver_) return deliver_(false, grace);
  pending_ = true;
  pending_grace_ = grace;
}

void run_control::stop_now() {
  std::lock_guard lock(mutex_);
  if (deliver_) return deliver_(true, {});
  pending_ = pending_now_ = true;
}

void run_control::attach(std::function<void(bool, std::chrono::milliseconds)> deliver) {
  std::lock_guard lock(mutex_);
  deliver_ = std::move(deliver);
  if (pending_) deliver_(pending_now_, pending_grace_);
}

void run_control::detach() {
  std::lock_guard lock(mutex_);
  deliver_ = nullptr;
}

namespace detail {

run_state::run_state(const run_config& c, asio::io_context& io, io::job_reader& reader,
                     io::ledger_writer& l, const io::user_type_map* done, token_source& t,
                     run_result& r)
    : cfg(c),
      ioc(io),
      ledger(l),
      tokens(t),
      result(r),
      host(c.host, c.port, c.tls, c.proxy),
      limiter(c.rate, c.burst > 0 ? c.burst : std::max(1.0, c.rate / 100)),
      device_profile(request_profile::device(c.retry)),
      disp(
          reader, done, r.stats, [this](const io::user_record& rec) { write_record(rec); },
          c.run_id),
      paths(c.am_path),
      rng(std::random_device{}()),
      grace(io),
      jobs_changed(io.get_executor()),
      guard(c.not_found_guard) {
  tctx.executor = io.get_executor();
  tctx.host = &host;
  tctx.host_name = c.host;
  tctx.port = c.port;
  paths.set_idm(c.idm_path, c.managed_user, c.managed_group);
  paths.set_am_users(c.directory.am_users);
  if (c.source) {
    auto* buffer = dynamic_cast<query_reader*>(&reader);
    if (buffer == nullptr) throw std::logic_error("a tenant query's run needs its query_reader");
    query.emplace(*this, *buffer);
  }
  tctx.am_path = paths.am_path();
  tctx.timeout = c.timeout;
  tctx.retry = c.retry;
  tctx.stats = &result.stats;
  feedback.limiter = &limiter;
  feedback.max_refusals = c.max_auth_failures;
  feedback.count_curable_refusals = !t.ends_unannounced();
  feedback.max_silence =
      c.max_transport_failures > 0 ? c.max_transport_failures : std::max(64, 2 * c.concurrency);
  disp.reserve(c.expected_users);
  disp.set_shard(c.shard);
  disp.set_names_in_path(c.directory.names_in_path);
}

stoppable_connection::stoppable_connection(run_state* s)
    : conn(s->ioc.get_executor(), s->host),
      timer(s->ioc),
      on_stop(s->hard_stop.get_token(), [this] {
        conn.close();
        timer.cancel();
      }) {}

void run_state::stop(run_end why, run_error code, std::string reason) {
  if (result.end == run_end::finished) {
    result.end = why;
    result.error = code;
    result.reason = std::move(reason);
  }
  stopping = true;
  jobs_changed.notify();
  if (query) query->stop();
}

void run_state::abort(run_error code, std::string reason) {
  stop(run_end::aborted, code, std::move(reason));
  hard_stop.request_stop();
}

void run_state::stop_request(bool now, std::chrono::milliseconds grace_period) {
  stop(run_end::interrupted, run_error::interrupted,
       now ? "interrupted, stopped at once" : "interrupted");
  if (now) {
    hard_stop.request_stop();
    return;
  }
  grace.expires_after(grace_period);
  grace.async_wait([this](boost::system::error_code ec) {
    if (!ec) hard_stop.request_stop();
  });
}

// Records go out in one write(2) per event-loop pass: added here, flushed by a handler
// posted behind the completions that are already queued.
void run_state::write_record(const io::user_record& rec) {
  try {
    ledger.add(rec);
  } catch (const io::ledger_error& e) {
    abort(run_error::ledger, e.what());
    return;
  }
  if (!flush_posted) {
    flush_posted = true;
    asio::post(ioc, [this] { flush_ledger(); });
  }
}

void run_state::flush_ledger() {
  flush_posted = false;
  try {
    ledger.flush();
  } catch (const io::ledger_error& e) {
    abort(run_error::ledger, e.what());
  }
}

// Rows that are not jobs are read at most `rows_per_turn` at a time: a million duplicates
// or bad rows must not hold up the event loop (and with it every request and its deadline).
std::optional<io::job> run_state::next_job() {
  constexpr std::size_t rows_per_turn = 64;
  if (stopping) return std::nullopt;
  if (first_job) {
    auto j = std::move(first_job);
    first_job.reset();
    return j;
  }
  if (!ready.empty()) {
    auto j = std::move(ready.front());
    ready.pop_front();
    return j;
  }
  auto job = disp.next(rows_per_turn);
  if (query) query->taken();
  return job;
}

void run_state::note_user(io::user_status st) {
  if (!guard.tripped_by(st)) return;
  abort(run_error::not_found_storm,
        fmt::format("the first {} users were all not found: is this the right tenant and "
                    "realm? (if the list really holds users that are gone, "
                    "--not-found-guard 0 turns this check off)",
                    guard.not_found()));
}

// Progress and the ledger's once-a-second sync, until the run's group cancels it (the
// cancellation state is read after each wait: a cancel whose wait had already ended counts).
asio::awaitable<void> run_state::tick(run_observer* observer) {
  asio::steady_timer timer(ioc);
  for (;;) {
    timer.expires_after(cfg.progress_interval);
    auto [ec] = co_await timer.async_wait(detail::use_tuple);
    auto state = co_await asio::this_coro::cancellation_state;
    if (ec || state.cancelled() != asio::cancellation_type::none) co_return;
    result.stats.tenant_allowed = limiter.allowed();
    result.stats.policy_floored = limiter.policy_floored();
    if (observer != nullptr) {
      observer->on_progress(result.stats, limiter.current_rate(steady::now()), limiter.lowered());
    }
    try {
      ledger.maybe_sync();
    } catch (const io::ledger_error& e) {
      abort(run_error::ledger, e.what());
    }
  }
}

// The preflight: the host, the tenant query's first page, the first user's devices.
asio::awaitable<void> run_state::preflight_all() {
  auto resolve_error = co_await host.resolve(ioc.get_executor());
  if (!resolve_error.empty()) {
    result.preflight_failed = true;
    stop(run_end::aborted, run_error::unreachable, "preflight: " + resolve_error);
    co_return;
  }
  if (query) {
    if (auto trouble = co_await query->preflight(); trouble && !stopping) {
      result.preflight_failed = true;
      stop(run_end::aborted, trouble.code, "preflight: " + trouble.what);
    }
  }
  if (!stopping && (first_job = disp.next())) {
    if (auto trouble = co_await preflight(this, *first_job); trouble && !stopping) {
      result.preflight_failed = true;
      stop(run_end::aborted, trouble.code, "preflight: " + trouble.what);
      first_job.reset();
    }
  }
}

// The preflight, then every worker.
asio::awaitable<void> run_state::work(run_observer* observer) {
  co_await preflight_all();
  if (!stopping && observer != nullptr) observer->on_preflight_passed(result.stats);
  result.stats.workers_started = steady::now();
  result.stats.preflight_requests = result.stats.requests;
  if (!stopping) co_await run_workers();
  grace.cancel();
}

// The work and the ticker in one parallel group: the ticker ends when the work does. What
// either threw is thrown on (to on_crash).
asio::awaitable<void> run_state::start(run_observer* observer) {
  auto [order, work_error, ticker_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(ioc, work(observer), asio::deferred),
          asio::co_spawn(ioc, tick(observer), asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  // What the credential opened on the tenant ends with the run, however it ended (an AM
  // session is signed out, after a Ctrl-C too).
  auto note = co_await tokens.end_session(&tctx, std::chrono::seconds(5));
  if (!note.empty()) result.notes.push_back(std::move(note));
  for (const auto& e : {work_error, ticker_error})
    if (e) std::rethrow_exception(e);
}

}  // namespace detail

namespace {

using detail::run_state;

double ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// A coroutine of the run that throws is a bug: stop the run (it can be resumed).
auto on_crash(run_state* s) {
  return [s](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      s->abort(run_error::internal, fmt::format("internal error: {}", ex.what()));
    } catch (...) {
      s->abort(run_error::internal, "internal error");
    }
  };
}

// After the event loop: the input's fatal row, the last progress, the summary record.
void finish(run_state& s, const run_config& config, io::ledger_writer& ledger,
            run_observer* observer) {
  auto& result = s.result;
  if (!s.disp.fatal_reason().empty() && result.end == run_end::finished) {
    result.end = run_end::aborted;
    result.error = run_error::input;
    result.reason = fmt::format("{}:{}: cannot be read past this line: {}",
                                config.input.name.empty() ? "the input" : config.input.name,
                                s.disp.fatal_line(), s.disp.fatal_reason());
  }
  result.stats.tenant_allowed = s.limiter.allowed();
  result.stats.policy_floored = s.limiter.policy_floored();
  if (observer != nullptr) {
    observer->on_progress(result.stats, s.limiter.current_rate(steady::now()), s.limiter.lowered());
  }
  try {
    ledger.write(summary_record(config, result));
    ledger.sync();
  } catch (const io::ledger_error& e) {
    if (result.end == run_end::finished) {
      result.end = run_end::aborted;
      result.error = run_error::ledger;
      result.reason = e.what();
    }
  }
}

}  // namespace

run_result run(const run_config& config, io::job_reader& reader, io::ledger_writer& ledger,
               const io::user_type_map* done, token_source& tokens, run_control* control,
               run_observer* observer) {
  run_result result;
  result.stats.started = steady::now();
  result.stats.from_plan = !config.input.plan.run_id.empty();
  result.stats.by_age = static_cast<bool>(config.selection);
  asio::io_context ioc(1);
  run_state s(config, ioc, reader, ledger, done, tokens, result);
  try {
    ledger.write(run_record(config));
  } catch (const io::ledger_error& e) {
    result.end = run_end::aborted;
    result.error = run_error::ledger;
    result.reason = e.what();
    return result;
  }
  // A hard stop also reaches a token renewal in flight.
  std::stop_callback<std::function<void()>> cancel_tokens(s.hard_stop.get_token(),
                                                          [&tokens] { tokens.cancel(); });
  if (control != nullptr) {
    control->attach([&ioc, &s](bool now, std::chrono::milliseconds grace) {
      asio::post(ioc, [&s, now, grace] { s.stop_request(now, grace); });
    });
  }
  asio::co_spawn(ioc, s.start(observer), on_crash(&s));
  ioc.run();
  result.stats.users_outside_types = reader.left_out();
  if (control != nullptr) control->detach();
  tokens.detach();
  result.connections = s.host.connects();
  result.resumed_sessions = s.host.resumed();
  result.tunnels = s.host.tunnels();
  result.elapsed_s = ms_between(result.stats.started, steady::now()) / 1000;
  if (result.preflight_failed) {
    // No user was touched: leave the ledger as it was, so that the same command, once the
    // problem is fixed, starts afresh (and a resumed ledger holds no run that did nothing).
    try {
      ledger.discard_written();
    } catch (const io::ledger_error& e) {
      result.reason += fmt::format(" (and {})", e.what());
    }
    return result;
  }
  s.flush_ledger();
  finish(s, config, ledger, observer);
  return result;
}

json::object run_record(const run_config& config) {
  const auto& in = config.input;
  io::run_record r;
  r.run_id = config.run_id;
  r.started_at = io::format_utc(std::chrono::system_clock::now());
  r.mode = config.mode == run_mode::plan ? "plan" : "reset";
  r.tenant = config.port == "443" ? config.host : config.host + ":" + config.port;
  r.tenant_url = io::tenant_url(config.host, config.port, config.am_path);
  r.am_path = io::tenant_paths(config.am_path).am_path();
  r.tls_verify = !config.tls.insecure;
  r.concurrency = config.concurrency;
  r.rate = config.rate;
  r.max_attempts = config.retry.max_attempts;
  r.verify = config.verify;
  if (config.proxy) r.proxy = config.proxy->shown();
  r.user_path = config.directory.names_in_path ? "name" : "id";
  r.users_at = config.directory.am_users ? "am" : "idm";
  r.version = DEVRESET_VERSION_STRING;
  r.input = in.name;
  r.input_path = in.path;
  r.input_format = in.format;
  r.input_rows = in.rows;
  r.delimiter = in.delimiter;
  r.ignored_columns = in.ignored_columns;
  r.realm = in.realm;
  r.types = in.types;
  r.resume = in.resume;
  if (!config.shard.all()) r.shard = config.shard.to_string();
  r.demo = in.demo;
  if (config.selection) r.selection = to_record(config.selection);
  if (!in.plan.run_id.empty()) {
    r.plan = io::run_record::plan_ref{in.plan.run_id, in.plan.path, in.plan.made_at, in.plan.sha256,
                                      config.plan_strict};
  }
  return io::to_json(r);
}

namespace {

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The counters of a run, as the summary record holds them.
void count_into(io::summary_record& o, const run_stats& st) {
  o.users = st.users;
  o.types = st.types;
  o.devices_found = st.devices_found;
  o.devices_removed = st.devices_removed;
  o.selected = st.selected;
  o.kept_recent = st.kept_recent;
  o.kept_undated = st.kept_undated;
  o.reset_by_action = st.reset_by_action;
  o.rows = st.rows_read;
  o.duplicates = st.duplicates;
  o.skipped_done = st.skipped_done;
  o.other_shards = st.other_shards;
  o.requests = st.requests;
  o.retries = st.retries;
  o.throttled_429 = st.throttled;
  o.transport_errors = st.transport_errors;
  const auto& h = st.latency;
  o.latency_ms = {ms(h.percentile(0.5)),  ms(h.percentile(0.9)),   ms(h.percentile(0.95)),
                  ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max())};
  o.requests_per_user = st.requests_per_user();
  o.tenant_allowed_per_s = st.tenant_allowed;
}

}  // namespace

json::object summary_record(const run_config& config, const run_result& r) {
  const auto& st = r.stats;
  io::summary_record o;
  o.run_id = config.run_id;
  o.end = r.end == run_end::finished      ? "finished"
          : r.end == run_end::interrupted ? "interrupted"
                                          : "aborted";
  count_into(o, st);
  o.elapsed_s = r.elapsed_s;
  o.requests_per_s = r.elapsed_s > 0 ? static_cast<double>(st.requests) / r.elapsed_s : 0;
  o.connections = r.connections;
  if (config.proxy) o.proxy = config.proxy->shown();
  o.tunnels = r.tunnels;
  o.sign_ins = st.sign_ins;
  o.finished_at = io::format_utc(std::chrono::system_clock::now());
  if (!config.input.plan.run_id.empty()) {
    o.plan = io::summary_record::plan_outcome{config.input.plan.run_id, st.added_since_plan,
                                              st.gone_since_plan,       st.types_empty_in_plan,
                                              st.users_nothing_planned, st.users_outside_types};
  }
  o.reason = r.reason;
  return io::to_json(o);
}

}  // namespace devreset::engine
