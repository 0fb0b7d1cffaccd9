// The workers: each pulls users from the dispatcher and drives their type tasks, one
// request machine per request, over its own keep-alive connection.
#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <stop_token>
#include <vector>

#include "engine/answer.hpp"
#include "engine/detail/run_state.hpp"
#include "engine/detail/use_tuple.hpp"
#include "engine/idm_lookup.hpp"
#include "engine/request_machine.hpp"
#include "engine/status_table.hpp"
#include "engine/type_task.hpp"
#include "io/text.hpp"

namespace devreset::engine::detail {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

double ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// A user's record as its job names them (the types' results still to come).
io::user_record record_of(run_state* s, const io::job& j) {
  io::user_record rec;
  rec.run_id = s->cfg.run_id;
  rec.line = j.line;
  rec.user_id = j.user_id;
  rec.kind = j.kind;
  rec.name = j.name;
  rec.given = j.given;
  rec.realm = j.realm;
  return rec;
}

// run --plan: a type with nothing to remove: the plan found none, and none came since.
bool nothing_there(const io::type_result& r) {
  return r.status == io::result_status::ok && r.found == 0;
}

// run --plan: what changed since the plan, and the types the plan found empty (listed again).
void count_drift(run_stats& stats, const io::type_result& r, const io::plan_entry& plan) {
  stats.added_since_plan += r.added_since_plan.size();
  stats.gone_since_plan += r.gone_since_plan.size();
  if (const auto* ids = plan.ids_of(r.type); ids != nullptr && ids->empty())
    ++stats.types_empty_in_plan;
}

// A cleanup by age: what a type's result selected and kept.
void count_selection(run_stats& stats, const io::type_result& r) {
  const auto t = static_cast<std::size_t>(r.type);
  // A run counts what it deleted, a plan what a run would.
  stats.selected[t] +=
      r.status == io::result_status::planned ? r.selected.size() : r.removed_selected().size();
  stats.kept_recent[t] += static_cast<std::uint64_t>(std::max(0, r.kept_recent.value_or(0)));
  stats.kept_undated[t] += static_cast<std::uint64_t>(std::max(0, r.kept_undated.value_or(0)));
}

// The devices a type's result removed, or one more user whose count AM did not tell.
void count_removed(run_stats& stats, const io::type_result& r) {
  const auto t = static_cast<std::size_t>(r.type);
  if (auto n = r.removed())
    stats.devices_removed[t] += static_cast<std::uint64_t>(std::max(0, *n));
  else
    ++stats.reset_by_action[t];
}

// One worker: pulls users from the dispatcher (and the look-ups' `ready` users) and drives
// their type tasks over its own connection, until no job is left or the run stops.
class worker {
 public:
  explicit worker(run_state* s) : s_(s), ctx_(s) {}
  asio::awaitable<void> run();

 private:
  /// One user's types; nothing when the run stopped it.
  asio::awaitable<std::optional<io::user_record>> do_user(const io::job& job);
  /// A batch of users named otherwise, looked up; the first found for this worker.
  asio::awaitable<std::optional<io::job>> resolve(lookup_batches::batch batch);
  std::optional<lookup_batches::batch> lookup_due(std::optional<io::job>& job);

  run_state* s_;
  worker_ctx ctx_;
};

// One user: each of the job's types, driven by its plan. Nothing when the run stopped it:
// a user cut off by an abort or a hard stop gets no record (a resumed run does it again).
asio::awaitable<std::optional<io::user_record>> worker::do_user(const io::job& job) {
  auto* s = s_;
  auto rec = record_of(s, job);
  const auto user_start = steady::now();
  for (auto t : io::all_device_types) {
    if (!job.types.contains(t)) continue;
    type_task task(s->paths, {job.realm, job.user_id, t},
                   io::strategy_of(t, s->action_refused.contains(t)),
                   {s->cfg.mode, s->cfg.page_size, s->cfg.verify, &s->cfg.selection});
    if (job.plan) task.follow_plan(job.plan->ids_of(t), s->cfg.plan_strict);
    const auto type_start = steady::now();
    while (auto req = task.next()) {
      auto answer = co_await ctx_.execute(*req);
      if (!answer) co_return std::nullopt;
      task.on_answer(*answer);
    }
    if (task.found_action_refused()) s->action_refused.add(t);  // once is enough to know
    auto r = task.result();
    r.elapsed_ms = ms_between(type_start, steady::now());
    s->result.stats.count_type(t, r.status);
    if (r.found) {
      s->result.stats.devices_found[static_cast<std::size_t>(t)] +=
          static_cast<std::uint64_t>(*r.found);
    }
    if (job.plan) count_drift(s->result.stats, r, *job.plan);
    if (s->result.stats.by_age) count_selection(s->result.stats, r);
    if (s->cfg.mode == run_mode::reset) count_removed(s->result.stats, r);
    rec.results.push_back(std::move(r));
  }
  rec.status = user_status_of(rec.results);
  if (job.plan && std::all_of(rec.results.begin(), rec.results.end(), nothing_there)) {
    rec.reason = "nothing to remove (plan, and none registered since)";
    ++s->result.stats.users_nothing_planned;
  }
  rec.elapsed_ms = ms_between(user_start, steady::now());
  rec.finished_at = std::chrono::system_clock::now();
  co_return rec;
}

// The record of a user named otherwise whom a look-up did not resolve to one _id.
void unresolved(run_state* s, const io::job& j, io::user_status status, std::string reason) {
  auto rec = record_of(s, j);
  rec.types = j.types;  // what a plan's run looks them up again for
  rec.status = status;
  rec.reason = std::move(reason);
  rec.finished_at = std::chrono::system_clock::now();
  s->result.stats.count_user(status);
  s->write_record(rec);
  s->note_user(status);
}

// One user of a look-up's batch, as the look-up found them: a job to go on (returned), or a
// record (not found, several users, the tenant's own match, or the look-up failed).
std::optional<io::job> settle(run_state* s, io::job& j, const std::vector<std::string>& found,
                              const lookup_match& m) {
  const auto attribute = s->cfg.directory.attribute(j.kind);
  const auto shown = io::printable(j.name, 200);
  if (!m.problem.empty()) {
    unresolved(s, j, io::user_status::failed,
               fmt::format("the look-up of {} \"{}\" failed: {}", attribute, shown, m.problem));
  } else if (found.empty() && !m.others.empty()) {
    // The tenant matched the name its own way (Unicode case, say): not "not found".
    unresolved(s, j, io::user_status::invalid,
               fmt::format("no user with {} \"{}\" as devreset compares names (ASCII case "
                           "ignored), but the tenant answered with {} \"{}\"{}: nothing reset; "
                           "give the name as the tenant holds it",
                           attribute, shown, attribute, io::printable(m.others.front(), 200),
                           m.others.size() > 1 ? fmt::format(" and {} more", m.others.size() - 1)
                                               : std::string()));
  } else if (found.empty()) {
    unresolved(s, j, io::user_status::not_found,
               fmt::format("no user with {} \"{}\"", attribute, shown));
  } else if (found.size() > 1) {
    unresolved(
        s, j, io::user_status::invalid,
        fmt::format("{} users have {} \"{}\": nothing reset", found.size(), attribute, shown));
  } else {
    j.user_id = found.front();
    if (s->disp.claim(j)) return std::move(j);  // else done already, by another row or a resume
  }
  return std::nullopt;
}

// What a look-up's final answer found: its match, or why it found nothing.
lookup_match read_lookup(io::id_kind kind, const std::vector<std::string>& names,
                         const final_answer& answer, const user_directory& dir) {
  if (answer.what == final_answer::kind::ok) return match_lookup(kind, names, *answer.body, dir);
  lookup_match m;
  m.found.resize(names.size());
  m.problem = answer.what == final_answer::kind::not_found
                  ? "the look-up found no users endpoint (404)"
                  : answer.error;
  return m;
}

// Resolves a batch of users named the same way in one IDM query. Those found once go on
// (the first is returned, the others wait in `ready` for any worker); those found nowhere
// are not_found, those found twice or more invalid (nothing reset). Nothing when the run
// stopped or no job is left.
asio::awaitable<std::optional<io::job>> worker::resolve(lookup_batches::batch batch) {
  auto* s = s_;
  const auto kind = batch.front().kind;
  const auto& dir = s->cfg.directory;
  std::vector<std::string> names;
  for (const auto& j : batch)
    names.push_back(j.name);
  const planned_request req{
      http_method::get,
      s->paths.user_query(batch.front().realm, lookup_filter(kind, names, dir), dir.fields())};
  ++s->lookups_in_flight;
  auto answer = co_await ctx_.execute(req);
  --s->lookups_in_flight;
  s->jobs_changed.notify();  // its users are ready now, or it was the last look-up
  if (!answer) co_return std::nullopt;
  const auto m = read_lookup(kind, names, *answer, dir);
  std::optional<io::job> mine;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto job = settle(s, batch[i], m.found[i], m);
    if (!job) continue;
    if (!mine) {
      mine = std::move(job);
    } else {
      s->ready.push_back(std::move(*job));
    }
  }
  co_return mine;
}

// A batch of users named otherwise to look up now: the one `job` filled, or at the end of
// the input the batches that did not fill. `job` is taken (into its batch) when it needs a
// look-up.
std::optional<lookup_batches::batch> worker::lookup_due(std::optional<io::job>& job) {
  auto* s = s_;
  if (job && job->user_id.empty()) {
    auto batch = s->lookups.add(std::move(*job));
    job.reset();
    return batch;
  }
  if (!job && !s->stopping && s->disp.ended() && s->ready.empty()) return s->lookups.take();
  return std::nullopt;
}

asio::awaitable<void> worker::run() {
  auto* s = s_;
  for (;;) {
    auto job = s->next_job();
    if (auto batch = lookup_due(job)) {
      job = co_await resolve(std::move(*batch));
      if (!job && s->cancelled()) break;
    }
    if (!job) {
      if (!s->more_jobs()) break;
      if (s->jobs_on_their_way()) {
        co_await s->jobs_changed.wait();
      } else {
        co_await asio::post(s->ioc, asio::use_awaitable);  // let the others run, then read on
      }
      continue;
    }
    auto rec = co_await do_user(*job);
    if (!rec) break;
    s->result.stats.count_user(rec->status);
    s->write_record(*rec);
    s->note_user(rec->status);
  }
}

// A worker that throws is a bug: the run stops (it can be resumed) and says what it was.
asio::awaitable<void> guarded_worker(run_state* s) {
  try {
    worker w(s);
    co_await w.run();
  } catch (const std::exception& e) {
    s->abort(run_error::internal, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    s->abort(run_error::internal, "internal error");
  }
}

// The tenant query's reader, guarded as a worker is.
asio::awaitable<void> guarded_feed(run_state* s) {
  try {
    co_await s->query->feed();
  } catch (const std::exception& e) {
    s->query->end();
    s->abort(run_error::internal, fmt::format("internal error: {}", e.what()));
  }
}

}  // namespace

worker_ctx::worker_ctx(run_state* s)
    : stoppable_connection(s),
      run(s),
      machine(s->device_profile, s->feedback),
      port(s, this, false) {}

connection_port::connection_port(run_state* s, stoppable_connection* c, bool soft_stop)
    : s_(s), c_(c), soft_stop_(soft_stop) {
  tokens = &s->tokens;
  token_ctx = &s->tctx;
  stats = &s->result.stats;
}

bool connection_port::stopped() const {
  return s_->cancelled() || (soft_stop_ && s_->stopping);
}

asio::awaitable<void> connection_port::wait_until(steady::time_point when) {
  return s_->sleep_until(&c_->timer, when);
}

asio::awaitable<http_answer> connection_port::send(const std::string& token) {
  return c_->conn.send(*req_, {s_->tokens.header_name(), token}, s_->cfg.timeout);
}

double connection_port::draw() {
  return s_->draw();
}

// An abort is the run's: the token's origin named when the tenant refused it.
asio::awaitable<std::optional<final_answer>> worker_ctx::execute(const planned_request& req) {
  auto* s = run;
  port.aim(req);
  auto d = co_await drive(machine, port, req.method);
  if (d.how == driven::end::answered) co_return std::move(d.answer);
  if (d.how == driven::end::aborted) {
    if (d.error == run_error::token_refused) {
      d.reason += fmt::format(
          ": check the credential ({}) and what it may do (a token's "
          "scopes, an AM account's privileges)",
          s->tokens.describe());
    }
    s->abort(d.error, std::move(d.reason));
  }
  co_return std::nullopt;
}

asio::awaitable<void> run_state::sleep_until(asio::steady_timer* timer, steady::time_point when) {
  if (cancelled()) co_return;
  timer->expires_at(when);
  co_await timer->async_wait(detail::use_tuple);
}

asio::awaitable<void> run_state::run_workers() {
  using op = decltype(asio::co_spawn(ioc, guarded_worker(this), asio::deferred));
  std::vector<op> workers;
  workers.reserve(static_cast<std::size_t>(cfg.concurrency));
  for (int i = 0; i < cfg.concurrency; ++i) {
    workers.push_back(asio::co_spawn(ioc, guarded_worker(this), asio::deferred));
  }
  if (query) workers.push_back(asio::co_spawn(ioc, guarded_feed(this), asio::deferred));
  co_await asio::experimental::make_parallel_group(std::move(workers))
      .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
}

}  // namespace devreset::engine::detail
