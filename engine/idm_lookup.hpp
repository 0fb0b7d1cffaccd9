// Users named by user name or mail, resolved to their `_id` through IDM's managed-user
// query: the filter of one batched look-up (its literals escaped, so that no name can widen
// it), and its answer matched back to the names asked. No I/O.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
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

/// Where users named by user name or mail are found, and what names them in the device
/// paths: AIC's IDM (managed users) and their `_id`s by default; a self-managed AM's own
/// users endpoint (`<am>/json<realm>/users`, no IDM), and user names in the paths
/// (`--user-path name`: a user-name row goes into the path as it is, no look-up).
struct user_directory {
  bool am_users = false;       ///< look users up at AM's users endpoint, not IDM
  bool names_in_path = false;  ///< the path names a user by user name, not `_id`

  /// The filter's attribute for a kind: IDM "userName"/"mail", AM "uid"/"mail".
  std::string_view attribute(io::id_kind k) const noexcept;
  /// The field of an answer's entry that goes into the path: "_id", or the user name
  /// (IDM "userName", AM "username").
  std::string_view key() const noexcept;
  /// The `_fields` a look-up asks for.
  std::string fields() const;
};

/// A filter's string literal: `v` in double quotes, each `\` and `"` in it preceded by a
/// backslash (CREST: a backslash keeps the next character).
std::string filter_literal(std::string_view v);

/// `userName eq "a" or userName eq "b" ...` for the names asked.
std::string lookup_filter(io::id_kind k, const std::vector<std::string>& names,
                          const user_directory& dir = {});

/// The `_fields` a look-up asks for.
inline constexpr std::string_view lookup_fields = "_id,userName,mail";

/// What a look-up answer found.
struct lookup_match {
  /// For each name asked, in the order asked: the keys (`_id`s, or user names with
  /// `names_in_path`) of the users whose attribute equals the name
  /// (ASCII case ignored, as devreset compares).
  std::vector<std::vector<std::string>> found;
  /// The attribute values the tenant returned that equal no name asked (a tenant that folds
  /// case beyond ASCII, `ÉLISE` for `élise`, or one that answers with another user).
  std::vector<std::string> others;
  /// Set when the answer is not a query result, or is one page of more (a
  /// `pagedResultsCookie` or `remainingPagedResults` says more follow: a second user may
  /// have a name, so no name of the batch is taken as resolved); nothing is found then.
  std::string problem;
};
/// An entry's attribute may be a string (IDM) or an array of strings (AM: `"mail":["…"]`).
lookup_match match_lookup(io::id_kind k, const std::vector<std::string>& names,
                          const boost::json::value& body, const user_directory& dir = {});

/// The users named by user name or mail that wait for a look-up, gathered per identifier
/// kind and realm, whoever picked them from the input: a look-up asks for a full batch
/// (lookup_batch names, lookup_batch_bytes), so that N names cost ceil(N / 25) look-ups
/// whatever the concurrency and however the input mixes kinds. The batches not full at the
/// end of the input are taken one by one. No I/O.
class lookup_batches {
 public:
  using batch = std::vector<io::job>;
  /// At most this many batches wait at once (kinds x realms); one more takes out the oldest.
  static constexpr std::size_t max_open = 8;

  /// Adds `j` (kind != user_id). A batch to look up now: the one `j` filled, the one `j`
  /// did not fit beside (then `j` opens the next), or the oldest when too many are open.
  std::optional<batch> add(io::job j);
  /// The oldest batch waiting (the end of the input), or nothing.
  std::optional<batch> take();
  bool empty() const { return open_.empty(); }
  /// The jobs waiting in all batches.
  std::size_t jobs() const;

 private:
  struct open_batch {
    batch jobs;
    std::size_t bytes = 0;
  };
  std::deque<open_batch> open_;  // oldest first
};

}  // namespace devreset::engine
