// The simulated tenant's query filters: CREST's `_queryFilter` grammar, parsed into a tree
// and evaluated against a managed object's attributes, as IDM does (not string matching).
//
//   expr    = or
//   or      = and ("or" and)*
//   and     = not ("and" not)*
//   not     = "!" not | primary
//   primary = "(" expr ")" | "true" | "false" | pointer "pr" | pointer op value
//   op      = eq | co | sw | gt | ge | lt | le
//   value   = "string" (a backslash keeps the next character) | number | true | false
//
// Keywords and operators in any case; a pointer is `userName` or `/userName`. Strings compare
// without regard to case, as the directory's case-ignore matching rules do.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace devreset::sim {

struct filter_node {
  enum class kind { any_of, all_of, negation, literal, compare, present };
  kind what = kind::literal;
  std::vector<filter_node> children;  ///< any_of, all_of, negation (one)
  bool literal = true;                ///< literal
  std::string attribute;              ///< compare, present: without the leading '/'
  std::string op;                     ///< compare: eq, co, sw, gt, ge, lt, le (lower case)
  std::string value;                  ///< compare: the string, or the number's text
  bool value_is_string = true;        ///< compare: false for numbers and booleans
};

/// A filter, or why it cannot be parsed (for a 400: "Invalid query filter ...").
std::variant<filter_node, std::string> parse_filter(std::string_view text);

/// An object's attribute by name (nullopt: the object has none).
using attribute_lookup = std::function<std::optional<std::string_view>(std::string_view)>;

/// Whether an object matches.
bool matches(const filter_node& f, const attribute_lookup& attribute);

/// The (attribute, value) pairs that a match needs one of, when the filter says so (an `eq`,
/// or an `or` of them, or an `and` with such a part): the candidates to look up in an index
/// before evaluating the whole filter. nullopt: every object must be evaluated.
std::optional<std::vector<std::pair<std::string, std::string>>> equality_keys(const filter_node& f);

}  // namespace devreset::sim
