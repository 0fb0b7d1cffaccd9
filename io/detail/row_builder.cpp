// Validation of input rows, shared by the CSV, JSON and JSON Lines readers.
#include "io/detail/row_builder.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <variant>

#include "io/realm_path.hpp"
#include "io/text.hpp"

namespace devreset::io::detail {

namespace {

// A header name as people write it, folded: "User ID", "user-id", "USER_ID" -> "userid".
std::string folded(std::string_view name) {
  std::string out;
  for (char c : trim_blanks(name)) {
    if (c == ' ' || c == '-' || c == '_' || c == '.') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct known_name {
  std::string_view folded;
  row_field field;
  std::string_view canonical;
};
constexpr known_name known_names[] = {
    {"userid", row_field::user_id, "user_id"},
    {"id", row_field::user_id, "user_id"},
    {"username", row_field::user_name, "user_name"},
    {"mail", row_field::mail, "mail"},
    {"email", row_field::mail, "mail"},
    // As HR exports name them (issue 32): a mail address, or the name people log in with.
    // A User Principal Name (alice@corp.example) is what an AD-synced tenant keeps as the
    // user name, so it is one, although it looks like a mail.
    {"emailaddress", row_field::mail, "mail"},
    {"workemail", row_field::mail, "mail"},
    {"login", row_field::user_name, "user_name"},
    {"loginname", row_field::user_name, "user_name"},
    {"userprincipalname", row_field::user_name, "user_name"},
    {"types", row_field::types, "types"},
    {"realm", row_field::realm, "realm"},
};

}  // namespace

std::optional<row_field> row_field_of(std::string_view name) {
  const auto f = folded(name);
  for (const auto& k : known_names)
    if (k.folded == f) return k.field;
  return std::nullopt;
}

std::optional<std::string_view> near_miss(std::string_view name) {
  const auto f = folded(name);
  if (f.size() < 3 || row_field_of(name)) return std::nullopt;
  for (const auto& k : known_names) {
    const auto d = edit_distance(f, k.folded);
    const bool close = d <= 1 || (d == 2 && f.size() >= 5 && k.folded.size() >= 5);
    const bool prefix = f.size() >= 4 && k.folded.starts_with(f);  // "user" of "userid"
    if (close || prefix) return k.canonical;
  }
  return std::nullopt;
}

namespace json = boost::json;

std::optional<std::string> row_builder::check_id(std::string_view id, id_kind kind) const {
  const std::string_view what = kind == id_kind::user_id     ? "user id"
                                : kind == id_kind::user_name ? "user name"
                                                             : "mail";
  if (id.empty()) return fmt::format("empty {}", what);
  if (id.size() > options_.max_id_bytes) {
    return fmt::format("{} is {} bytes long (the limit is {})", what, id.size(),
                       options_.max_id_bytes);
  }
  if (auto at = find_control_char(id); at != std::string_view::npos) {
    return fmt::format("{} contains a control character (byte 0x{:02X} at position {})", what,
                       static_cast<unsigned char>(id[at]), at + 1);
  }
  if (!is_valid_utf8(id)) return fmt::format("{} is not valid UTF-8", what);
  if (kind == id_kind::user_id && (id == "." || id == "..")) {
    return fmt::format("user id '{}' is not allowed (it names a path, not a user)", id);
  }
  if (id.front() == ' ' || id.back() == ' ')
    return fmt::format("{} starts or ends with a space", what);
  return std::nullopt;
}

input_row row_builder::finish(std::uint64_t line, id_kind kind, std::string id,
                              std::optional<type_set> types, std::string_view realm) {
  if (auto why = check_id(id, kind)) {
    return invalid(line, std::move(id), std::move(*why), false, kind);
  }

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
  if (kind == id_kind::user_id) return job{line, std::move(id), std::move(path), t, kind, {}, {}};
  return job{line, {}, std::move(path), t, kind, std::move(id), {}};
}

namespace {

constexpr std::array<id_kind, identifier_fields> kinds = {id_kind::user_id, id_kind::user_name,
                                                          id_kind::mail};

// The identifier a row is done by: `only` when set (an --id-column), else the first given of
// user_id, user_name, mail; or why none can be.
std::variant<std::pair<id_kind, std::string>, std::string> choose_identifier(
    const identifiers& ids, std::optional<id_kind> only) {
  if (only) {
    const auto& v = ids[static_cast<std::size_t>(*only)];
    if (v.empty()) return fmt::format("no {} (the --id-column)", to_string(*only));
    return std::pair{*only, v};
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].empty()) return std::pair{kinds[i], ids[i]};
  }
  return std::string("no user id, user name or mail");
}

// A job keeps every identifier its row gave (the ledger shows them next to the one used).
input_row with_given(input_row row, identifiers ids) {
  if (auto* j = std::get_if<job>(&row)) j->given = std::move(ids);
  return row;
}

}  // namespace

input_row row_builder::from_fields(std::uint64_t line, identifiers ids, std::string_view types,
                                   std::string_view realm) {
  auto one = choose_identifier(ids, options_.id_column);
  if (auto* why = std::get_if<std::string>(&one)) {
    const auto shown = std::find_if(ids.begin(), ids.end(), [](auto& v) { return !v.empty(); });
    return invalid(line, shown == ids.end() ? std::string() : *shown, std::move(*why));
  }
  auto& [kind, id] = std::get<std::pair<id_kind, std::string>>(one);
  return with_given(from_fields(line, kind, std::move(id), types, realm), std::move(ids));
}

input_row row_builder::from_fields(std::uint64_t line, id_kind kind, std::string id,
                                   std::string_view types, std::string_view realm) {
  type_list_error err;
  auto parsed = parse_type_list(types, err);
  if (!parsed) return invalid(line, std::move(id), std::move(err.reason), false, kind);
  return finish(line, kind, std::move(id), parsed, realm);
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

// A JSON row's fields by kind; `problem` says what is wrong with them, if anything.
struct json_fields {
  std::array<const json::value*, 5> value{};  // by row_field
  std::array<std::string_view, 5> key{};
  std::string problem;
};

// A key that names no field is ignored, as a CSV column is (an export's "givenName"), and
// noted in `ignored` (each once, a few at most); a near miss ("type", "emial") is refused:
// `type` would otherwise reset every type.
json_fields read_keys(const json::object& obj, std::vector<std::string>& ignored) {
  json_fields f;
  for (const auto& [key, value] : obj) {
    const auto field = row_field_of(key);
    if (!field) {
      if (auto like = near_miss(key); like && f.problem.empty()) {
        f.problem = fmt::format("unknown key '{}': did you mean '{}'?", printable(key, 40), *like);
      } else if (!like && ignored.size() < 20 &&
                 std::find(ignored.begin(), ignored.end(), std::string_view(key)) ==
                     ignored.end()) {
        ignored.emplace_back(key);
      }
      continue;
    }
    const auto i = static_cast<std::size_t>(*field);
    if (f.value[i] != nullptr && f.problem.empty()) {
      f.problem =
          fmt::format("both '{}' and '{}' given: which is it?", f.key[i], std::string_view(key));
    }
    f.value[i] = &value;
    f.key[i] = key;
  }
  return f;
}

}  // namespace

input_row row_builder::from_json(std::uint64_t line, const json::value& v) {
  if (const auto* s = v.if_string()) {
    return finish(line, id_kind::user_id, std::string(*s), std::nullopt, {});
  }
  const auto* obj = v.if_object();
  if (obj == nullptr) {
    return invalid(line, {},
                   fmt::format("expected a user id string or an object, found {}", kind_name(v)));
  }
  auto f = read_keys(*obj, ignored_keys_);
  // The identifier first, so that every later complaint names whose row it was.
  identifiers ids;
  for (std::size_t i = 0; i < identifier_fields; ++i) {
    const auto* value = f.value[i];
    if (value == nullptr || value->is_null()) continue;
    if (const auto* s = value->if_string()) {
      ids[i].assign(s->data(), s->size());
    } else if (f.problem.empty()) {
      f.problem = fmt::format("'{}' is {}: it must be a string", f.key[i], kind_name(*value));
    }
  }
  if (!f.problem.empty()) {
    const auto shown = std::find_if(ids.begin(), ids.end(), [](auto& x) { return !x.empty(); });
    return invalid(line, shown == ids.end() ? std::string() : *shown, std::move(f.problem));
  }
  auto one = choose_identifier(ids, options_.id_column);
  if (auto* why = std::get_if<std::string>(&one)) return invalid(line, {}, std::move(*why));
  auto& [kind, id] = std::get<std::pair<id_kind, std::string>>(one);

  std::optional<type_set> types;
  const auto* types_value = f.value[static_cast<std::size_t>(row_field::types)];
  if (types_value != nullptr && !types_value->is_null()) {
    type_list_error err;
    types = json_types(*types_value, err);
    if (!types) return invalid(line, std::move(id), std::move(err.reason), false, kind);
  }
  std::string_view realm;
  const auto* realm_value = f.value[static_cast<std::size_t>(row_field::realm)];
  if (realm_value != nullptr && !realm_value->is_null()) {
    const auto* r = realm_value->if_string();
    if (r == nullptr) {
      return invalid(line, std::move(id),
                     fmt::format("'realm' is {}: expected a string", kind_name(*realm_value)),
                     false, kind);
    }
    realm = *r;
  }
  return with_given(finish(line, kind, std::move(id), types, realm), std::move(ids));
}

input_row row_builder::from_json_text(std::uint64_t line, std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return invalid(line, {}, fmt::format("malformed JSON: {}", ec.message()));
  return from_json(line, v);
}

}  // namespace devreset::io::detail
