// The request state machine: attempts, slots, tokens, retries, streaks.
#include "engine/request_machine.hpp"

#include <fmt/format.h>

#include "engine/status_table.hpp"
#include "io/text.hpp"

namespace devreset::engine {

using action = request_machine::action;

namespace {

action make(action::kind k) {
  action a;
  a.what = k;
  return a;
}

action wait_until(request_machine::steady::time_point when, bool retrying) {
  action a = make(action::kind::wait);
  a.until = when;
  a.retrying = retrying;
  return a;
}

}  // namespace

request_machine::request_machine(const request_profile& profile, request_feedback& feedback,
                                 http_method method)
    : profile_(profile), feedback_(feedback), policy_(profile.retry), method_(method) {}

action request_machine::start(steady::time_point now, http_method method) {
  method_ = method;
  attempt_ = 0;
  throttled_ = 0;
  refreshed_ = false;
  return next_attempt(now);
}

action request_machine::next_attempt(steady::time_point now) {
  ++attempt_;
  phase_ = phase::slot;
  return take_slot(now);
}

action request_machine::take_slot(steady::time_point now) {
  if (profile_.rate_limited && feedback_.limiter != nullptr) {
    slot_ = feedback_.limiter->reserve(now);
    if (slot_.when > now) return wait_until(slot_.when, false);
  }
  return on_waited(now);
}

action request_machine::on_waited(steady::time_point now) {
  if (phase_ == phase::backoff) return next_attempt(now);
  // The rate was lowered while this request waited for its slot: a slot at the new rate.
  if (phase_ == phase::slot && profile_.rate_limited && feedback_.limiter != nullptr &&
      feedback_.limiter->stale(slot_)) {
    return take_slot(now);
  }
  if (profile_.uses_token) return ask_token(phase::token, {});
  phase_ = phase::send;
  return make(action::kind::send);
}

action request_machine::ask_token(phase next, std::string rejected) {
  phase_ = next;
  action a = make(action::kind::get_token);
  a.rejected = std::move(rejected);
  return a;
}

action request_machine::on_token(const problem& trouble, std::string_view token,
                                 steady::time_point now) {
  if (trouble) return abort(trouble.code, fmt::format("cannot get a token: {}", trouble.what));
  token_.assign(token);
  if (phase_ == phase::refresh) return next_attempt(now);  // a new attempt, its own slot
  phase_ = phase::send;
  return make(action::kind::send);
}

bool request_machine::streaks(const attempt_result& ar, wall::time_point wall_now,
                              std::string_view detail, action& out) {
  if (!profile_.counts_streaks) return false;
  auto& fb = feedback_;
  if (is_silence(ar.how)) {
    if (fb.silence++ == 0) fb.silent_since = wall_now;
    if (fb.silence >= fb.max_silence) {
      out = abort(
          run_error::tenant_silent,
          fmt::format("the tenant stopped answering at {}: {} ({} requests in a row got "
                      "no answer); the users in flight were not reached",
                      io::format_utc(fb.silent_since), io::printable(detail, 200), fb.silence));
      return true;
    }
    return false;
  }
  fb.silence = 0;
  if (ar.how != transport::ok) return false;
  const auto m = meaning_of(ar);
  if (!fb.count_curable_refusals && m == meaning::refresh_token && !refreshed_ &&
      profile_.uses_token) {
    return false;  // a new token comes next; only a refusal it does not cure counts
  }
  if (!is_refusal(m)) {
    fb.refusals = 0;
    return false;
  }
  if (++fb.refusals < fb.max_refusals) return false;
  out = abort(run_error::token_refused, fmt::format("the tenant refused {} requests in a row ({})",
                                                    fb.refusals, describe(ar)));
  return true;
}

action request_machine::on_answer(const http_answer& a, const read_answer& r,
                                  steady::time_point now, wall::time_point wall_now,
                                  double random01) {
  const attempt_result& ar = r.result;
  const meaning m = meaning_of(ar);
  if (profile_.rate_limited && feedback_.limiter != nullptr && ar.how == transport::ok) {
    feedback_.limiter->on_answer(now, m == meaning::slow_down, slot_, a.rate_policy);
  }
  throttled_ += m == meaning::slow_down ? 1 : 0;
  if (action stop; streaks(ar, wall_now, r.detail, stop)) return stop;
  if (ar.how == transport::bad_answer && !profile_.retry_unreadable) {
    return finish(decision{decision::kind::give_up, {}, describe(ar)}, r, a);
  }
  auto d = policy_.decide(ar, attempt_, refreshed_, wall_now, random01);
  switch (d.what) {
    case decision::kind::retry:
      phase_ = phase::backoff;
      return wait_until(now + d.wait, true);
    case decision::kind::refresh_token:
      if (!profile_.uses_token) break;
      refreshed_ = true;
      return ask_token(phase::refresh, token_);
    case decision::kind::done:
    case decision::kind::not_found:
    case decision::kind::give_up:
      return finish(d, r, a);
  }
  return finish(decision{decision::kind::give_up, {}, describe(ar)}, r, a);
}

action request_machine::finish(const decision& d, const read_answer& r, const http_answer& a) {
  phase_ = phase::done;
  action out = make(action::kind::finish);
  out.answer = conclude(d, r, a, method_, attempt_);
  out.answer.throttled = throttled_;
  return out;
}

action request_machine::abort(run_error e, std::string reason) {
  phase_ = phase::done;
  action out = make(action::kind::abort);
  out.error = e;
  out.reason = std::move(reason);
  return out;
}

}  // namespace devreset::engine
