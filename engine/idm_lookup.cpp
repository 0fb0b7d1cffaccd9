// Batched look-ups of user names and mails.
#include "engine/idm_lookup.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <iterator>

#include "io/text.hpp"

namespace devreset::engine {

namespace json = boost::json;

std::string_view idm_attribute(io::id_kind k) noexcept {
  switch (k) {
    case io::id_kind::user_name:
      return "userName";
    case io::id_kind::mail:
      return "mail";
    case io::id_kind::user_id:
      break;
  }
  return "_id";
}

std::string_view user_directory::attribute(io::id_kind k) const noexcept {
  if (am_users && k == io::id_kind::user_name) return "uid";
  if (am_users && k == io::id_kind::user_id) return "_id";
  return idm_attribute(k);
}

std::string_view user_directory::key() const noexcept {
  if (!names_in_path) return "_id";
  return am_users ? "username" : "userName";
}

std::string user_directory::fields() const {
  return am_users ? std::string("_id,username,uid,mail") : std::string(lookup_fields);
}

std::string filter_literal(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 2);
  out += '"';
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string lookup_filter(io::id_kind k, const std::vector<std::string>& names,
                          const user_directory& dir) {
  std::string f;
  for (const auto& n : names) {
    if (!f.empty()) f += " or ";
    f += dir.attribute(k);
    f += " eq ";
    f += filter_literal(n);
  }
  return f;
}

namespace {

// Whether a query answer says that more pages follow it.
bool more_pages(const json::object& answer) {
  const auto* cookie = answer.if_contains("pagedResultsCookie");
  const auto* remaining = answer.if_contains("remainingPagedResults");
  return (cookie != nullptr && cookie->is_string() && !cookie->get_string().empty()) ||
         (remaining != nullptr && remaining->is_int64() && remaining->get_int64() > 0);
}

// The values of an entry's attribute: a string, or the strings of an array (AM).
std::vector<std::string_view> values_of(const json::value* v) {
  std::vector<std::string_view> out;
  if (v == nullptr) return out;
  if (v->is_string()) out.emplace_back(v->get_string());
  if (const auto* a = v->if_array()) {
    for (const auto& e : *a)
      if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

}  // namespace

lookup_match match_lookup(io::id_kind k, const std::vector<std::string>& names,
                          const json::value& body, const user_directory& dir) {
  lookup_match out;
  out.found.resize(names.size());
  const auto* obj = body.if_object();
  const auto* result = obj ? obj->if_contains("result") : nullptr;
  if (result == nullptr || !result->is_array()) {
    out.problem = "the look-up's answer has no result list";
    return out;
  }
  if (more_pages(*obj)) {
    out.problem =
        "the tenant answered with one page of several (pagedResultsCookie): another user "
        "may have the name, so none is taken as found";
    return out;
  }
  const auto attribute = dir.attribute(k);
  for (const auto& entry : result->get_array()) {
    const auto* e = entry.if_object();
    const auto* id = e ? e->if_contains(dir.key()) : nullptr;
    if (id == nullptr || !id->is_string()) continue;
    bool matched = false;
    const auto values = values_of(e->if_contains(attribute));
    for (std::size_t i = 0; i < names.size(); ++i) {
      const bool hit = std::any_of(values.begin(), values.end(),
                                   [&](std::string_view v) { return io::iequals(v, names[i]); });
      if (hit) {
        out.found[i].emplace_back(id->get_string());
        matched = true;
      }
    }
    if (!matched && !values.empty()) out.others.emplace_back(values.front());
  }
  return out;
}

namespace {

bool same_look_up(const io::job& a, const io::job& b) {
  return a.kind == b.kind && a.realm == b.realm;
}

}  // namespace

std::optional<lookup_batches::batch> lookup_batches::add(io::job j) {
  auto it = std::find_if(open_.begin(), open_.end(),
                         [&](const open_batch& b) { return same_look_up(b.jobs.front(), j); });
  std::optional<batch> out;
  if (it != open_.end() && it->bytes + j.name.size() > lookup_batch_bytes) {
    out = std::move(it->jobs);  // j does not fit beside them: they go, j opens the next
    open_.erase(it);
    it = open_.end();
  }
  if (it == open_.end()) {
    if (!out && open_.size() == max_open) {
      out = std::move(open_.front().jobs);
      open_.pop_front();
    }
    open_.push_back(open_batch{});
    it = std::prev(open_.end());
  }
  it->bytes += j.name.size();
  it->jobs.push_back(std::move(j));
  if (!out && it->jobs.size() >= lookup_batch) {
    out = std::move(it->jobs);
    open_.erase(it);
  }
  return out;
}

std::optional<lookup_batches::batch> lookup_batches::take() {
  if (open_.empty()) return std::nullopt;
  auto out = std::move(open_.front().jobs);
  open_.pop_front();
  return out;
}

std::size_t lookup_batches::jobs() const {
  std::size_t n = 0;
  for (const auto& b : open_)
    n += b.jobs.size();
  return n;
}

}  // namespace devreset::engine
