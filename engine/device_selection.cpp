// Devices selected by age.
#include "engine/device_selection.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cmath>

#include "io/duration.hpp"
#include "io/text.hpp"

namespace devreset::engine {

namespace json = boost::json;

std::optional<std::int64_t> device_date(const json::object& device, std::string_view field) {
  if (field.empty()) return std::nullopt;
  const auto* v = device.if_contains(field);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double() && std::isfinite(v->get_double()) && std::abs(v->get_double()) < 9e15)
    return static_cast<std::int64_t>(v->get_double());
  return std::nullopt;
}

std::optional<std::int64_t> device_selection::last_used_before_ms() const {
  if (!unused_for) return std::nullopt;
  return now_ms - unused_for->count();
}

std::optional<std::int64_t> device_selection::registered_cutoff_ms() const {
  if (registered_ago) return now_ms - registered_ago->count();
  return registered_before_ms;
}

device_selection::verdict device_selection::judge(io::device_type t,
                                                  const json::object& device) const {
  const auto& row = io::info(t);
  bool undated = false;
  auto rule = [&](std::optional<std::int64_t> cutoff, std::string_view field) {
    if (!cutoff) return true;  // no such rule: it holds
    auto when = device_date(device, field);
    if (!when) {
      undated = true;
      return true;  // decided below: an undated device is kept unless asked otherwise
    }
    return *when < *cutoff;
  };
  const bool unused = rule(last_used_before_ms(), row.last_used_field);
  const bool old = rule(registered_cutoff_ms(), row.created_field);
  if (!unused || !old) return verdict::recent;
  return undated ? verdict::undated : verdict::remove;
}

io::selection_record to_record(const device_selection& s) {
  io::selection_record r;
  r.now_ms = s.now_ms;
  if (s.unused_for) r.unused_for_ms = s.unused_for->count();
  r.registered_before_ms = s.registered_cutoff_ms();
  if (s.registered_ago) r.registered_ago_ms = s.registered_ago->count();
  r.remove_undated = s.remove_undated;
  return r;
}

device_selection from_record(const io::selection_record& r) {
  device_selection s;
  s.now_ms = r.now_ms;
  if (r.unused_for_ms) s.unused_for = device_selection::ms(*r.unused_for_ms);
  if (r.registered_ago_ms) {
    s.registered_ago = device_selection::ms(*r.registered_ago_ms);
  } else {
    s.registered_before_ms = r.registered_before_ms;
  }
  s.remove_undated = r.remove_undated;
  return s;
}

std::string device_selection::describe() const {
  auto at = [](std::int64_t t) {
    return io::format_utc(std::chrono::system_clock::time_point(ms(t)));
  };
  std::string out;
  if (auto cut = last_used_before_ms()) {
    constexpr std::int64_t day = 86400000;  // "90 days"; "36h" as a duration says it
    const auto period = unused_for->count() % day == 0
                            ? fmt::format("{} days", unused_for->count() / day)
                            : io::format_duration(*unused_for);
    out = fmt::format("unused for {} (last use before {})", period, at(*cut));
  }
  if (auto cut = registered_cutoff_ms()) {
    out += fmt::format("{}registered before {}", out.empty() ? "" : " and ", at(*cut));
  }
  return out + (remove_undated ? ", undated devices removed" : ", undated devices kept");
}

}  // namespace devreset::engine
