// The pages of a tenant query after the first: read a page ahead of the workers.
#include <fmt/format.h>

#include "engine/detail/run_state.hpp"
#include "engine/tenant_input.hpp"

namespace devreset::engine::detail {

namespace asio = boost::asio;

void take_page(run_state* s, id_page page) {
  for (auto& id : page.ids)
    s->query->push(std::move(id));
  if (page.total) s->result.stats.expected_users = *page.total;
  s->query_cookie = std::move(page.cookie);
  if (s->query_cookie.empty()) s->query->finish();
  s->jobs_changed.notify();
}

asio::awaitable<void> feed_query(run_state* s) {
  worker_ctx w(s);
  const auto& q = s->cfg.source;
  const bool members = q.what == tenant_query::kind::group;
  while (!s->query_cookie.empty() && !s->stopping && !s->cancelled()) {
    if (!s->page_wanted_now()) {  // a page still to do: until the workers take from it
      co_await s->page_wanted.wait();
      continue;
    }
    const auto& realm = s->query->realm();
    const planned_request req{
        http_method::get,
        members ? s->paths.group_members(realm, s->group_id, q.page_size, s->query_cookie)
                : s->paths.user_query(realm, q.text, "_id", q.page_size, s->query_cookie)};
    auto answer = co_await execute(s, &w, req);
    if (!answer) break;  // the run stopped
    auto page = answer->what == final_answer::kind::ok ? read_id_page(*answer->body, members)
                                                       : id_page{{}, {}, {}, answer->error};
    if (!page.problem.empty()) {
      s->abort(run_error::input,
               fmt::format("{}: a page could not be read: {}", q.describe(), page.problem));
      break;
    }
    take_page(s, std::move(page));
  }
  s->query->finish();
  s->jobs_changed.notify();
}

}  // namespace devreset::engine::detail
