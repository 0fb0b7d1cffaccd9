// Validation of input rows, shared by the CSV, JSON and JSON Lines readers.
#include "io/detail/row_builder.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "io/realm_path.hpp"
#include "io/text.hpp"

namespace devreset::io::detail {

std::optional<row_field> row_field_of(std::string_view name) {
  name = trim_blanks(name);
  if (iequals(name, "user_id") || iequals(name, "_id") || iequals(name, "id")) {
    return row_field::user_id;
  }
  if (iequals(name, "types")) return row_field::types;
  if (iequals(name, "realm")) return row_field::realm;
  return std::nullopt;
}

namespace json = boost::json;

std::optional<std::string> row_builder::check_id(std::string_view id) const {
  if (id.empty()) return "empty user id";
  if (id.size() > options_.max_id_bytes) {
    return fmt::format("user id is {} bytes long (the limit is {})", id.size(),
                       options_.max_id_bytes);
  }
  if (auto at = find_control_char(id); at != std::string_view::npos) {
    return fmt::format("user id contains a control character (byte 0x{:02X} at position {})",
                       static_cast<unsigned char>(id[at]), at + 1);
  }
  if (!is_valid_utf8(id)) return std::string("user id is not valid UTF-8");
  if (id == "." || id == "..") {
    return fmt::format("user id '{}' is not allowed (it names a path, not a user)", id);
  }
  if (id.front() == ' ' || id.back() == ' ') {
    return std::string("user id starts or ends with a space");
  }
  return std::nullopt;
}

input_row row_builder::finish(std::uint64_t line, std::string id, std::optional<type_set> types,
                              std::string_view realm) {
  if (auto why = check_id(id)) return invalid(line, std::move(id), std::move(*why));

  std::string path;
  realm = trim_blanks(realm);
  if (realm.empty()) {
    path = options_.default_realm;
  } else if (realm == last_realm_input_ && !last_realm_path_.empty()) {
    path = last_realm_path_;
  } else {
    auto r = realm_path(realm);
    if (auto* err = std::get_if<realm_error>(&r)) {
      return invalid(line, std::move(id), std::move(err->reason));
    }
    path = std::get<std::string>(std::move(r));
    last_realm_input_.assign(realm);
    last_realm_path_ = path;
  }

  type_set t = (types && !types->empty()) ? *types : options_.default_types;
  return job{line, std::move(id), std::move(path), t};
}

input_row row_builder::from_fields(std::uint64_t line, std::string id, std::string_view types,
                                   std::string_view realm) {
  type_list_error err;
  auto parsed = parse_type_list(types, err);
  if (!parsed) return invalid(line, std::move(id), std::move(err.reason));
  return finish(line, std::move(id), parsed, realm);
}

namespace {

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// A JSON row's "types": a string ("oath;push") or an array of type names.
std::optional<type_set> json_types(const json::value& v, type_list_error& err) {
  if (const auto* ts = v.if_string()) return parse_type_list(*ts, err, /*allow_comma=*/true);
  const auto* arr = v.if_array();
  if (arr == nullptr) {
    err.reason =
        fmt::format("'types' is {}: expected a string or an array of strings", kind_name(v));
    return std::nullopt;
  }
  type_set types;
  for (const auto& item : *arr) {
    const auto* name = item.if_string();
    if (name == nullptr) {
      err.reason = fmt::format("'types' holds {}: expected type names", kind_name(item));
      return std::nullopt;
    }
    auto one = parse_type_list(*name, err);
    if (!one) return std::nullopt;
    if (one->size() != 1) {
      err.reason = fmt::format("'{}' is not one device type", printable(*name, 40));
      return std::nullopt;
    }
    types = types | *one;
  }
  return types;
}

}  // namespace

input_row row_builder::from_json(std::uint64_t line, const json::value& v) {
  if (const auto* s = v.if_string()) return finish(line, std::string(*s), std::nullopt, {});
  const auto* obj = v.if_object();
  if (obj == nullptr) {
    return invalid(line, {},
                   fmt::format("expected a user id string or an object, found {}", kind_name(v)));
  }

  const json::value* id_value = nullptr;
  const json::value* types_value = nullptr;
  const json::value* realm_value = nullptr;
  std::string_view id_key;
  std::string problem;
  for (const auto& [key, value] : *obj) {
    const auto field = row_field_of(key);
    if (field == row_field::user_id) {
      if (id_value != nullptr && problem.empty()) {
        problem = fmt::format("both '{}' and '{}' given: which is the user id?", id_key,
                              std::string_view(key));
      }
      id_value = &value;
      id_key = key;
    } else if (field == row_field::types) {
      types_value = &value;
    } else if (field == row_field::realm) {
      realm_value = &value;
    } else if (problem.empty()) {
      problem = fmt::format("unknown key '{}' (known: user_id, _id, id, types, realm)",
                            printable(key, 40));
    }
  }

  // The id first, so that every later complaint names whose row it was.
  std::string id;
  if (id_value == nullptr) {
    if (problem.empty()) problem = "no user id (expected key user_id, _id or id)";
  } else if (const auto* s = id_value->if_string()) {
    id.assign(s->data(), s->size());
  } else if (problem.empty()) {
    problem = fmt::format("'{}' is {}: a user id must be a string", id_key, kind_name(*id_value));
  }
  if (!problem.empty()) return invalid(line, std::move(id), std::move(problem));

  std::optional<type_set> types;
  if (types_value != nullptr && !types_value->is_null()) {
    type_list_error err;
    types = json_types(*types_value, err);
    if (!types) return invalid(line, std::move(id), std::move(err.reason));
  }

  std::string_view realm;
  if (realm_value != nullptr && !realm_value->is_null()) {
    const auto* r = realm_value->if_string();
    if (r == nullptr) {
      return invalid(line, std::move(id),
                     fmt::format("'realm' is {}: expected a string", kind_name(*realm_value)));
    }
    realm = *r;
  }
  return finish(line, std::move(id), types, realm);
}

input_row row_builder::from_json_text(std::uint64_t line, std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return invalid(line, {}, fmt::format("malformed JSON: {}", ec.message()));
  return from_json(line, v);
}

}  // namespace devreset::io::detail
