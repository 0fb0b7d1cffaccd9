// Compact JSON with numbers as people write them.
#include "io/json_text.hpp"

#include "io/text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace devreset::io {

namespace json = boost::json;

namespace {

void append_string(std::string& out, std::string_view s) {
  // Bytes that are not UTF-8 (a path in Latin-1, say) would make the line unreadable JSON:
  // written as printable() shows them (\xNN).
  if (!is_valid_utf8(s)) {
    const auto shown = printable(s, s.size() * 4 + 16);
    return append_string(out, shown);
  }
  // Most strings need no escape: written as they are (the serializer writes UTF-8 bytes as
  // they are too); the others go through Boost.JSON's serializer.
  const bool plain = std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
  });
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  json::serializer sr;
  sr.reset(s);
  char buf[1024];
  while (!sr.done())
    out.append(sr.read(buf));
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  // fmt's shortest round-trip form ("4.7", "0", "1e-07", "1.5e+300"): valid JSON numbers.
  fmt::format_to(std::back_inserter(out), "{}", d);
}

}  // namespace

void append_json(std::string& out, const json::object& o) {
  out.push_back('{');
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out.push_back(',');
    first = false;
    append_string(out, kv.key());
    out.push_back(':');
    append_json(out, kv.value());
  }
  out.push_back('}');
}

void append_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return append_json(out, v.get_object());
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& x : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, x);
      }
      out.push_back(']');
      return;
    }
    case json::kind::string:
      return append_string(out, v.get_string());
    case json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
      return;
    case json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      return;
    case json::kind::double_:
      return append_double(out, v.get_double());
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::null:
      out += "null";
      return;
  }
}

std::string json_text(const json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string json_text(const json::object& o) {
  std::string out;
  append_json(out, o);
  return out;
}

}  // namespace devreset::io
