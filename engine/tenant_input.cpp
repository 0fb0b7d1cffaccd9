// The buffer of a tenant query's users, and its pages read.
#include "engine/tenant_input.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace devreset::engine {

namespace json = boost::json;

std::string tenant_query::describe() const {
  switch (what) {
    case kind::filter:
      return fmt::format("--query '{}'", text);
    case kind::group:
      return fmt::format("--group '{}'", text);
    case kind::none:
      break;
  }
  return {};
}

std::optional<io::input_row> query_reader::next() {
  if (rows_.empty()) return std::nullopt;
  io::job j{++line_,
            std::move(rows_.front()),
            options_.default_realm,
            options_.default_types,
            io::id_kind::user_id,
            {}};
  rows_.pop_front();
  return j;
}

void query_reader::push(std::string user_id) {
  rows_.push_back(std::move(user_id));
}

id_page read_id_page(const json::value& body, std::string_view key) {
  id_page p;
  const auto* o = body.if_object();
  const auto* result = o ? o->if_contains("result") : nullptr;
  if (result == nullptr || !result->is_array()) {
    p.problem = "the answer has no result list";
    return p;
  }
  for (const auto& entry : result->get_array()) {
    const auto* e = entry.if_object();
    const auto* id = e ? e->if_contains(key) : nullptr;
    if (id == nullptr || !id->is_string() || id->get_string().empty()) {
      p.problem = fmt::format("an entry has no \"{}\"", key);
      return p;
    }
    p.ids.emplace_back(id->get_string());
  }
  if (const auto* c = o->if_contains("pagedResultsCookie"); c != nullptr && c->is_string()) {
    p.cookie = c->get_string();
  }
  if (const auto* t = o->if_contains("totalPagedResults");
      t != nullptr && t->is_int64() && t->get_int64() >= 0) {
    p.total = static_cast<std::uint64_t>(t->get_int64());
  }
  return p;
}

}  // namespace devreset::engine
