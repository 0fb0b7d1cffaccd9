// Devices selected by age.
#include "engine/device_selection.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cmath>

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
  const bool old = rule(registered_before_ms, row.created_field);
  if (!unused || !old) return verdict::recent;
  return undated ? verdict::undated : verdict::remove;
}

io::selection_record to_record(const device_selection& s) {
  return {s.now_ms, s.unused_for ? std::optional(s.unused_for->count()) : std::nullopt,
          s.registered_before_ms, s.remove_undated};
}

device_selection from_record(const io::selection_record& r) {
  device_selection s;
  s.now_ms = r.now_ms;
  if (r.unused_for_ms) s.unused_for = device_selection::ms(*r.unused_for_ms);
  s.registered_before_ms = r.registered_before_ms;
  s.remove_undated = r.remove_undated;
  return s;
}

std::string device_selection::describe() const {
  std::string out;
  if (auto cut = last_used_before_ms()) {
    out = fmt::format("unused for {} days (last use before {})", unused_for->count() / 86400000,
                      io::format_utc(std::chrono::system_clock::time_point(ms(*cut))));
  }
  if (registered_before_ms) {
    out += fmt::format(
        "{}registered before {}", out.empty() ? "" : " and ",
        io::format_utc(std::chrono::system_clock::time_point(ms(*registered_before_ms))));
  }
  return out + (remove_undated ? ", undated devices removed" : ", undated devices kept");
}

}  // namespace devreset::engine
