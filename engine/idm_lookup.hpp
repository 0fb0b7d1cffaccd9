// Users named by user name or mail, resolved to their `_id` through IDM's managed-user
// query: the filter of one batched look-up (its literals escaped, so that no name can widen
// it), and its answer matched back to the names asked. No I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "io/job.hpp"

namespace devreset::engine {

/// One look-up asks for at most this many names, and at most this many bytes of them (a
/// request line stays well under the 8 KiB that servers take).
inline constexpr std::size_t lookup_batch = 25;
inline constexpr std::size_t lookup_batch_bytes = 2000;

/// The IDM attribute of an identifier kind: "userName", "mail" ("_id" for user_id).
std::string_view idm_attribute(io::id_kind k) noexcept;

/// A filter's string literal: `v` in double quotes, each `\` and `"` in it preceded by a
/// backslash (CREST: a backslash keeps the next character).
std::string filter_literal(std::string_view v);

/// `userName eq "a" or userName eq "b" ...` for the names asked.
std::string lookup_filter(io::id_kind k, const std::vector<std::string>& names);

/// The `_fields` a look-up asks for.
inline constexpr std::string_view lookup_fields = "_id,userName,mail";

/// What a look-up answer found for each name asked, in the order asked: the `_id`s whose
/// attribute equals the name (ASCII case ignored, as devreset compares). `problem` is set
/// when the answer is not a query result, or is one page of more (a `pagedResultsCookie`
/// or `remainingPagedResults` says more follow: a second user may have a name, so no name
/// of the batch is taken as resolved). `others`, when given, receives the attribute values
/// the tenant returned that equal no name asked (a tenant that folds case beyond ASCII,
/// `ÉLISE` for `élise`, or one that answers with another user altogether).
std::vector<std::vector<std::string>> match_lookup(io::id_kind k,
                                                   const std::vector<std::string>& names,
                                                   const boost::json::value& body,
                                                   std::string& problem,
                                                   std::vector<std::string>* others = nullptr);

}  // namespace devreset::engine
