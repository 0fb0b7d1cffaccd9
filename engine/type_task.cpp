// The per-type request plans and the user status they add up to.
#include "engine/type_task.hpp"

#include "engine/status_table.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <iterator>

namespace devreset::engine {

namespace json = boost::json;
using io::device_type;
using io::result_status;

std::string_view to_string(http_method m) noexcept {
  switch (m) {
    case http_method::get:
      return "GET";
    case http_method::post:
      return "POST";
    case http_method::delete_:
      return "DELETE";
  }
  return "GET";
}

type_task::type_task(const io::tenant_paths& paths, user_devices which, io::reset_strategy how,
                     task_options opts)
    : type_(which.type),
      mode_(opts.mode),
      paths_(paths),
      realm_(which.realm_path),
      user_(which.user_id),
      page_size_(opts.page_size),
      select_(opts.select != nullptr && *opts.select ? opts.select : nullptr),
      strategy_(how),
      verify_(opts.verify && opts.mode == run_mode::reset) {
  result_.type = type_;
  if (select_ != nullptr) {
    result_.kept_recent = 0;
    result_.kept_undated = 0;
  }
  if (mode_ == run_mode::plan) {
    phase_ = phase::list;
    result_.action = "list";
  } else if (select_ != nullptr) {
    phase_ = phase::list;  // some devices go, each by its own DELETE: never the reset action
    result_.action = "list+delete";
  } else if (io::has_reset_action(strategy_)) {
    phase_ = phase::reset;
    result_.action = "reset";
  } else {
    phase_ = phase::list;
    result_.action = "list+delete";
  }
}

void type_task::follow_plan(const std::vector<std::string>* planned, bool strict) {
  if (mode_ != run_mode::reset) return;
  if (planned == nullptr) {
    if (!strict) return;  // no list to follow: reset as it is now
    result_.status = result_status::failed;
    result_.action = "none";
    result_.error =
        "the plan has no list of these devices (it could not read them): "
        "--plan-strict removes only listed devices";
    phase_ = phase::finished;
    return;
  }
  planned_ = true;
  strict_ = strict;
  // Listed again even when the plan found nothing: a device registered since (the
  // attacker's, between review and apply) is seen, recorded and removed (issue 31).
  plan_ids_ = *planned;
  std::sort(plan_ids_.begin(), plan_ids_.end());
  phase_ = phase::list;
  result_.action = "list+delete";
}

bool type_task::in_plan(std::string_view id) const {
  return std::binary_search(plan_ids_.begin(), plan_ids_.end(), id);
}

// The devices listed now against the plan's: what came and went since; then what to remove.
void type_task::compare_with_plan() {
  std::vector<std::string> now = ids_;
  std::sort(now.begin(), now.end());
  std::set_difference(now.begin(), now.end(), plan_ids_.begin(), plan_ids_.end(),
                      std::back_inserter(result_.added_since_plan));
  std::set_difference(plan_ids_.begin(), plan_ids_.end(), now.begin(), now.end(),
                      std::back_inserter(result_.gone_since_plan));
  result_.found = listed_;
  if (strict_) {  // only the planned ids go (and are the ones recorded as selected)
    std::erase_if(ids_, [this](const std::string& id) { return !in_plan(id); });
    std::erase_if(dated_,
                  [this](const io::type_result::dated_device& d) { return !in_plan(d.id); });
  }
  result_.selected = std::move(dated_);
  result_.deleted = 0;
  if (ids_.empty()) return reset_done();
  if (!strict_ && select_ == nullptr && io::has_reset_action(strategy_)) {
    phase_ = phase::reset;  // one request removes them all, those added since included
    result_.action = "list+reset";
    result_.deleted.reset();
    return;
  }
  phase_ = phase::remove;
}

std::optional<planned_request> type_task::next() const {
  switch (phase_) {
    case phase::reset:
      return planned_request{http_method::post, paths_.reset(realm_, user_, type_), true};
    case phase::list:
    case phase::verify:
      return planned_request{http_method::get,
                             paths_.query(realm_, user_, type_, page_size_, cookie_), false};
    case phase::remove:
      return planned_request{http_method::delete_,
                             paths_.device(realm_, user_, type_, ids_[next_delete_]), false};
    case phase::finished:
      break;
  }
  return std::nullopt;
}

void type_task::fail(const final_answer& a, std::string why) {
  result_.status = result_status::failed;
  result_.error = std::move(why);
  result_.http_status = a.http_status;
  phase_ = phase::finished;
}

void type_task::finish_list_phase() {
  if (planned_) return compare_with_plan();
  result_.found = listed_;
  result_.selected = std::move(dated_);
  if (mode_ == run_mode::plan) {
    result_.status = result_status::planned;
    result_.device_ids = std::move(ids_);
    phase_ = phase::finished;
    return;
  }
  result_.deleted = 0;
  if (ids_.empty()) {
    reset_done();
  } else {
    phase_ = phase::remove;
  }
}

void type_task::reset_done() {
  if (!verify_ || phase_ == phase::verify) {
    result_.status = result_status::ok;
    phase_ = phase::finished;
    return;
  }
  phase_ = phase::verify;
  cookie_.clear();
  pages_ = 0;
}

void type_task::on_verify_page(const final_answer& a, const json::object* o) {
  const json::value* list = o ? o->if_contains("result") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return fail(a, "reset, but the list after it has no \"result\" array: not verified");
  }
  for (const auto& d : list->get_array()) {
    // --plan-strict leaves what came since the plan: only planned devices count as left.
    remaining_ += should_be_gone(d.if_object()) ? 1 : 0;
  }
  const json::value* cookie = o->if_contains("pagedResultsCookie");
  if (cookie != nullptr && cookie->is_string() && !cookie->get_string().empty() &&
      ++pages_ < max_pages) {
    cookie_.assign(cookie->get_string());
    return;
  }
  result_.remaining = remaining_;
  if (remaining_ == 0) return reset_done();
  fail(a, fmt::format("{} device{} remain{} after the reset", remaining_,
                      remaining_ == 1 ? "" : "s", remaining_ == 1 ? "s" : ""));
}

void type_task::on_answer(const final_answer& a) {
  result_.attempts += a.attempts;
  result_.retries += a.attempts > 1 ? a.attempts - 1 : 0;
  result_.throttled += a.throttled;
  result_.http_status = a.http_status;
  if (phase_ == phase::finished) return;
  if (a.what == final_answer::kind::not_found) return on_not_found();
  if (a.what == final_answer::kind::failed) return on_failed(a);
  const json::object* o = a.body ? a.body->if_object() : nullptr;
  switch (phase_) {
    case phase::reset:
      return on_reset(a, o);
    case phase::list:
      return on_page(a, o);
    case phase::remove:
      return on_deleted(false);
    case phase::verify:
      return on_verify_page(a, o);
    case phase::finished:
      return;
  }
}

void type_task::on_not_found() {
  if (phase_ == phase::verify) {  // the user is gone since the reset: nothing remains
    result_.remaining = 0;
    return reset_done();
  }
  if (phase_ == phase::remove) {
    // The device is gone already: our own DELETE whose answer was lost and was retried,
    // another admin, a parallel job. Deleted all the same, and counted as such.
    return on_deleted(true);
  }
  result_.status = result_status::not_found;
  result_.error = "the tenant says the user does not exist (404)";
  phase_ = phase::finished;
}

void type_task::on_failed(const final_answer& a) {
  if (phase_ == phase::verify) return fail(a, fmt::format("reset, but not verified: {}", a.error));
  // A tenant without the type's reset action refuses it: list and delete instead (when the
  // type's strategy allows).
  const bool refused_action =
      meaning_of(attempt_result{transport::ok, a.http_status, {}}) == meaning::action_refused;
  const bool may_fall_back = strategy_ == io::reset_strategy::action_else_list_and_delete;
  if (phase_ == phase::reset && may_fall_back && refused_action && planned_) {
    phase_ = phase::remove;  // listed already: delete each
    result_.action = "list+reset->list+delete";
    result_.deleted = 0;
    fell_back_ = true;
    return;
  }
  if (phase_ == phase::reset && may_fall_back && refused_action) {
    phase_ = phase::list;
    result_.action = "reset->list+delete";
    fell_back_ = true;
    return;
  }
  fail(a, a.error);
}

void type_task::on_reset(const final_answer& a, const json::object* o) {
  const json::value* r = o ? o->if_contains("result") : nullptr;
  if (r == nullptr || !r->is_bool() || !r->get_bool()) {
    return fail(a, "the tenant did not confirm the reset (no \"result\":true)");
  }
  reset_done();
}

void type_task::on_page(const final_answer& a, const json::object* o) {
  const json::value* list = o ? o->if_contains("result") : nullptr;
  if (list == nullptr || !list->is_array())
    return fail(a, "the list answer has no \"result\" array");
  for (const auto& d : list->get_array()) {
    const json::object* dev = d.if_object();
    const json::value* id = dev ? dev->if_contains("_id") : nullptr;
    if (id == nullptr || !id->is_string() || id->get_string().empty()) {
      return fail(a, "a listed device has no \"_id\"");
    }
    take_listed(*dev, std::string(id->get_string()));
  }
  const json::value* cookie = o->if_contains("pagedResultsCookie");
  if (cookie == nullptr || !cookie->is_string() || cookie->get_string().empty()) {
    return finish_list_phase();
  }
  if (++pages_ >= max_pages)
    return fail(a, fmt::format("more than {} pages of devices", max_pages));
  cookie_.assign(cookie->get_string());  // the next page
}

void type_task::take_listed(const json::object& device, std::string id) {
  ++listed_;
  if (select_ == nullptr) {
    ids_.push_back(std::move(id));
    return;
  }
  const auto v = select_->judge(type_, device);
  if (select_->removes(v)) {
    const auto& row = io::info(type_);
    dated_.push_back(
        {id, device_date(device, row.created_field), device_date(device, row.last_used_field)});
    ids_.push_back(std::move(id));
  } else if (v == device_selection::verdict::recent) {
    ++*result_.kept_recent;
  } else {
    ++*result_.kept_undated;
  }
}

// --plan-strict leaves what came since the plan, a selection what it keeps: only the rest
// counts as left.
bool type_task::should_be_gone(const json::object* device) const {
  if (device == nullptr) return true;
  const json::value* id = device->if_contains("_id");
  if (strict_ && id != nullptr && id->is_string() && !in_plan(id->get_string())) return false;
  return select_ == nullptr || select_->removes(select_->judge(type_, *device));
}

void type_task::on_deleted(bool already_gone) {
  result_.deleted = result_.deleted.value_or(0) + 1;
  if (already_gone) result_.gone = result_.gone.value_or(0) + 1;
  if (++next_delete_ == ids_.size()) reset_done();
}

io::user_status user_status_of(const std::vector<io::type_result>& results) {
  if (results.empty()) return io::user_status::ok;
  bool any_ok = false, any_failed = false, any_not_found = false, all_planned = true;
  for (const auto& r : results) {
    any_ok |= r.status == result_status::ok;
    any_failed |= r.status == result_status::failed;
    any_not_found |= r.status == result_status::not_found;
    all_planned &= r.status == result_status::planned;
  }
  if (all_planned) return io::user_status::planned;
  if (any_not_found && !any_ok) return io::user_status::not_found;
  if (any_failed || any_not_found)
    return any_ok ? io::user_status::partial : io::user_status::failed;
  return any_ok ? io::user_status::ok : io::user_status::planned;
}

}  // namespace devreset::engine
