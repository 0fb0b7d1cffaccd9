// JSON written as people write it: Boost.JSON's serializer writes doubles in exponent form
// (4.7E0, 0E0), which every reader reads but nobody reads easily; here numbers are the
// shortest text that reads back to the same double (4.7, 0, 1e-07), strings are escaped by
// Boost.JSON's own serializer.
#pragma once

#include <string>

#include <boost/json/fwd.hpp>

namespace devreset::io {

/// Appends `v` as compact JSON text to `out`.
void append_json(std::string& out, const boost::json::value& v);
void append_json(std::string& out, const boost::json::object& o);
/// `v` as compact JSON text.
std::string json_text(const boost::json::value& v);
std::string json_text(const boost::json::object& o);

}  // namespace devreset::io
