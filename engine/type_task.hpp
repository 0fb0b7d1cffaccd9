// What requests reset one device type of one user, as data and a small state machine:
// each type's strategy (io::device_types): the reset action, or a list (following
// pagedResultsCookie) and a delete per device, or the action falling back to list + delete
// when the tenant refuses it; `plan` only lists; `--verify` lists again after
// the reset and fails a type with devices left. No I/O: the worker sends
// what `next()` asks for and hands each final answer to `on_answer()`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "engine/device_selection.hpp"
#include "engine/request.hpp"
#include "engine/run_mode.hpp"
#include "io/device_type.hpp"
#include "io/ledger_record.hpp"
#include "io/tenant_path.hpp"

namespace devreset::engine {

/// Which devices a task removes (or lists): one type of one user.
struct user_devices {
  std::string_view realm_path;  ///< from `io::realm_path()`
  std::string_view user_id;
  io::device_type type;
};

struct task_options {
  run_mode mode = run_mode::reset;
  int page_size = 0;  ///< `_pageSize` of the lists; 0: the tenant's
  /// After a reset, list the type again and count what remains (a type with devices left
  /// fails).
  bool verify = false;
  /// A cleanup by age: only the devices it selects go, each by its own DELETE (never the
  /// reset action, which removes them all); null: every device of the type.
  const device_selection* select = nullptr;
};

class type_task {
 public:
  /// `how`: `io::strategy_of(type, refused)`, so that a tenant known to refuse the reset
  /// action of an action_else_list_and_delete type is sent no refused POST per user.
  type_task(const io::tenant_paths& paths, user_devices which, io::reset_strategy how,
            task_options opts = {});

  /// From `run --plan`, before the first next(): the device ids the plan listed for this
  /// type (null: the plan has none, as it could not read them). The devices are listed now
  /// (an empty list too: what came since is there to see), the difference recorded
  /// (added_since_plan, gone_since_plan), and all removed (the reset action, or deletes);
  /// `strict`: only the planned ids still there, and a type without a list fails.
  void follow_plan(const std::vector<std::string>* planned, bool strict);

  /// True when this task met a tenant that refused the type's reset action (and fell back).
  bool found_action_refused() const { return fell_back_; }

  /// The next request to send, or nullopt when the task is finished.
  std::optional<planned_request> next() const;
  /// The final answer to the request `next()` gave.
  void on_answer(const final_answer& a);

  bool finished() const { return phase_ == phase::finished; }
  /// The ledger result (valid once finished; elapsed_ms is the caller's to fill).
  io::type_result result() const { return result_; }

  /// An upper bound on list pages, against a tenant whose cookies never end.
  static constexpr int max_pages = 1000;

 private:
  enum class phase { reset, list, remove, verify, finished };
  /// The reset is done: finished, or its verification begins.
  void reset_done();
  void on_verify_page(const final_answer& a, const boost::json::object* o);
  void fail(const final_answer& a, std::string why);
  void finish_list_phase();
  void on_not_found();
  void on_failed(const final_answer& a);
  void on_reset(const final_answer& a, const boost::json::object* o);
  void on_page(const final_answer& a, const boost::json::object* o);
  void on_deleted(bool already_gone);
  /// One listed device: into ids_, or (a selection) kept and counted.
  void take_listed(const boost::json::object& device, std::string id);
  /// --verify: whether a device listed after the removal should have gone.
  bool should_be_gone(const boost::json::object* device) const;

  io::device_type type_;
  run_mode mode_;
  const io::tenant_paths& paths_;
  std::string realm_;
  std::string user_;
  int page_size_;
  phase phase_;
  std::string cookie_;
  int pages_ = 0;
  std::vector<std::string> ids_;  // devices to delete (or, in plan mode, to report)
  const device_selection* select_;
  int listed_ = 0;  // devices listed (ids_ holds only the selected ones under a selection)
  std::vector<io::type_result::dated_device> dated_;  // a selection: ids_ with their dates
  std::size_t next_delete_ = 0;
  io::type_result result_;
  io::reset_strategy strategy_;
  bool fell_back_ = false;  // the reset action refused: listed and deleted instead
  bool verify_ = false;
  int remaining_ = 0;                  // devices counted by the verification so far
  bool planned_ = false;               // run --plan: listed first, to compare with the plan
  bool strict_ = false;                // --plan-strict: only the planned ids
  std::vector<std::string> plan_ids_;  // the plan's ids, sorted

  void compare_with_plan();
  bool in_plan(std::string_view id) const;
};

/// A user's status from the results of its types.
io::user_status user_status_of(const std::vector<io::type_result>& results);

}  // namespace devreset::engine
