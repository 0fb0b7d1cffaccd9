// A tenant query's pages after the first: read a page ahead of the workers.
#include <fmt/format.h>

#include <algorithm>

#include "engine/detail/query_source.hpp"
#include "engine/detail/run_state.hpp"
#include "engine/tenant_input.hpp"

namespace devreset::engine::detail {

namespace asio = boost::asio;

query_source::query_source(run_state& s, query_reader& reader)
    : s_(s), reader_(reader), wanted_(s.ioc.get_executor()) {}

bool query_source::members() const {
  return s_.cfg.source.what == tenant_query::kind::group;
}

std::string_view query_source::key() const {
  return members() ? std::string_view("_refResourceId") : s_.cfg.directory.key();
}

bool query_source::page_wanted() const {
  return reader_.buffered() < static_cast<std::size_t>(std::max(s_.cfg.source.page_size, 1));
}

void query_source::taken() {
  if (page_wanted()) wanted_.notify();
}

void query_source::end() {
  reader_.finish();
  s_.jobs_changed.notify();
}

void query_source::take(id_page page) {
  for (auto& id : page.ids)
    reader_.push(std::move(id));
  if (page.total) s_.result.stats.expected_users = *page.total;
  cookie_ = std::move(page.cookie);
  if (cookie_.empty()) {
    end();
  } else {
    s_.jobs_changed.notify();
  }
}

asio::awaitable<void> query_source::feed() {
  worker_ctx w(&s_);
  const auto& q = s_.cfg.source;
  while (!cookie_.empty() && !s_.stopping && !s_.cancelled()) {
    if (!page_wanted()) {  // a page still to do: until the workers take from it
      co_await wanted_.wait();
      continue;
    }
    const auto& realm = reader_.realm();
    const planned_request req{
        http_method::get, members()
                              ? s_.paths.group_members(realm, group_id_, q.page_size, cookie_)
                              : s_.paths.user_query(realm, q.text, key(), q.page_size, cookie_)};
    auto answer = co_await w.execute(req);
    if (!answer) break;  // the run stopped
    auto page = answer->what == final_answer::kind::ok ? read_id_page(*answer->body, key())
                                                       : id_page{{}, {}, {}, answer->error};
    if (!page.problem.empty()) {
      s_.abort(run_error::input,
               fmt::format("{}: a page could not be read: {}", q.describe(), page.problem));
      break;
    }
    take(std::move(page));
  }
  end();
}

}  // namespace devreset::engine::detail
