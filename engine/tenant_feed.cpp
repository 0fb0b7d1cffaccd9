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
}

asio::awaitable<void> feed_query(run_state* s) {
  worker_ctx w(s);
  const auto& q = s->cfg.source;
  const bool members = q.what == tenant_query::kind::group;
  const auto low_water = static_cast<std::size_t>(std::max(q.page_size, 1));
  while (!s->query_cookie.empty() && !s->stopping && !s->cancelled()) {
    if (s->query->buffered() >= low_water) {  // a page still to do: wait for the workers
      co_await sleep_until(s, &w.timer,
                           std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
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
}

}  // namespace devreset::engine::detail
