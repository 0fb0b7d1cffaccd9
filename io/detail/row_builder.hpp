// Turns the fields of one input row (id, types, realm) into a job or an invalid row,
// with the same rules and reasons for every input format.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "io/job.hpp"
#include "io/job_reader.hpp"

namespace devreset::io::detail {

/// The fields of a row, by name: one definition for the CSV header and the JSON keys.
/// "user_id" (also "_id", "id", "User ID", "user-id"...) names the user id; "user_name" (also
/// "userName", "User Name") the user name; "mail" (also "email", "E-mail") the mail. Case,
/// spaces, '-', '_' and '.' do not matter. The first three are the identifiers.
enum class row_field { user_id, user_name, mail, types, realm };
inline constexpr std::size_t identifier_fields = 3;
std::optional<row_field> row_field_of(std::string_view name);
/// A name that is no field but looks like a typo of one ("type", "typs", "realms", "user",
/// "emial"): the field's name, for the error's suggestion. nullopt for a name that is far from
/// every field (an export's "department"), or a field itself.
std::optional<std::string_view> near_miss(std::string_view name);

/// A row's identifiers by row_field (user_id, user_name, mail); empty: not given.
using identifiers = std::array<std::string, identifier_fields>;

class row_builder {
 public:
  explicit row_builder(reader_options options) : options_(std::move(options)) {}

  /// Why `id` cannot be a user id (or, by kind, a user name or mail), or nullopt when it can.
  std::optional<std::string> check_id(std::string_view id, id_kind kind = id_kind::user_id) const;

  /// A row from text fields (CSV): its identifiers (exactly one not empty), `types` like
  /// "oath;push" (empty: the default types), `realm` as users type it (empty: the default).
  input_row from_fields(std::uint64_t line, identifiers ids, std::string_view types,
                        std::string_view realm);
  /// The same for a file whose only identifier is of `kind` (an empty one is "empty user id").
  input_row from_fields(std::uint64_t line, id_kind kind, std::string id, std::string_view types,
                        std::string_view realm);

  /// A row from one JSON element: an id string, or an object with user_id/_id/id and
  /// optional types (string or array of strings) and realm.
  input_row from_json(std::uint64_t line, const boost::json::value& v);

  /// A row from JSON text (one JSON Lines line or one array element).
  input_row from_json_text(std::uint64_t line, std::string_view text);

  static invalid_row invalid(std::uint64_t line, std::string id, std::string reason,
                             bool fatal = false, id_kind kind = id_kind::user_id) {
    return invalid_row{line, std::move(id), std::move(reason), fatal, kind};
  }

  const reader_options& options() const { return options_; }
  /// The JSON keys that named no field, ignored (each once, at most 20).
  const std::vector<std::string>& ignored_keys() const { return ignored_keys_; }

 private:
  input_row finish(std::uint64_t line, id_kind kind, std::string id, std::optional<type_set> types,
                   std::string_view realm);

  reader_options options_;
  std::vector<std::string> ignored_keys_;
  std::string last_realm_input_;  // realm normalisation is cached for runs of equal realms
  std::string last_realm_path_;
};

}  // namespace devreset::io::detail
