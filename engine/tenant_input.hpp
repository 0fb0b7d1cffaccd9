// Users straight from the tenant instead of a file: the `_id`s a managed-user query matches
// (`--query FILTER`) or the members of a group (`--group NAME`), read page by page while the
// run goes. Pages land in a bounded buffer that the dispatcher reads like any input; a
// coroutine of the run fetches the next page when the buffer runs low, so memory does not
// grow with the number of users.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

#include "io/job_reader.hpp"

namespace devreset::engine {

/// Where the users come from when not from a file.
struct tenant_query {
  enum class kind { none, filter, group };
  kind what = kind::none;
  std::string text;      ///< the managed-user filter, or the group's name
  int page_size = 1000;  ///< users a page
  explicit operator bool() const { return what != kind::none; }
  /// "--query 'userName sw \"a\"'", "--group 'staff'": for the ledger and for people.
  std::string describe() const;
};

/// The buffer between the pages and the dispatcher: a job_reader of jobs by `_id`, in the
/// realm and with the types of `options`.
class query_reader final : public io::job_reader {
 public:
  explicit query_reader(io::reader_options options) : options_(std::move(options)) {}
  std::optional<io::input_row> next() override;
  std::uint64_t bytes_read() const override { return 0; }
  /// No row now, but a page to come (rows still buffered are not waited for).
  bool waiting() const override { return !done_ && rows_.empty(); }

  void push(std::string user_id);
  /// No more pages.
  void finish() { done_ = true; }
  std::size_t buffered() const { return rows_.size(); }
  const std::string& realm() const { return options_.default_realm; }

 private:
  io::reader_options options_;
  std::deque<std::string> rows_;
  std::uint64_t line_ = 0;
  bool done_ = false;
};

/// One page of a query or of a group's members, read.
struct id_page {
  std::vector<std::string> ids;
  std::string cookie;                  ///< empty: the last page
  std::optional<std::uint64_t> total;  ///< totalPagedResults, when the tenant counted
  std::string problem;                 ///< not a query result: why
};
/// `key`: the field of each entry that names a user: "_refResourceId" (a group's members),
/// "_id" (managed users), "username" (AM's users, names in the path).
id_page read_id_page(const boost::json::value& body, std::string_view key);

}  // namespace devreset::engine
