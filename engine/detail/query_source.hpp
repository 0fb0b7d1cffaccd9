// A tenant query as the run's input (`--query`, `--group`): its buffer of users, the group's
// `_id`, the next page's cookie and the signal the workers wake its feeder with. Its
// preflight reads the first page (engine/preflight.cpp); its feeder the next ones, a page
// ahead of the workers (engine/tenant_feed.cpp).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "engine/detail/wake_signal.hpp"
#include "engine/errors.hpp"
#include "engine/tenant_input.hpp"

namespace devreset::engine::detail {

struct run_state;

class query_source {
 public:
  query_source(run_state& s, query_reader& reader);

  const query_reader& reader() const { return reader_; }
  /// The first page (a group looked up by name first), read before the device preflight,
  /// with one clear line when it cannot be.
  boost::asio::awaitable<problem> preflight();
  /// Reads the next pages while the run goes; ends at the last page or when the run stops.
  boost::asio::awaitable<void> feed();
  /// The workers took a user: the feeder wakes when fewer than a page's users are left.
  void taken();
  /// The run stops: the feeder wakes (and ends).
  void stop() { wanted_.notify(); }
  /// No more pages (the last one came, or the feeder ended): the workers are told.
  void end();

 private:
  bool page_wanted() const;
  /// Hands a page's users to the reader; the last page ends it.
  void take(id_page page);
  bool members() const;
  /// The field of a page's entries that names a user (engine/tenant_input.hpp).
  std::string_view key() const;

  run_state& s_;
  query_reader& reader_;
  std::string group_id_;  // --group: the group's _id
  std::string cookie_;    // the next page's cookie (empty: no more pages)
  wake_signal wanted_;
};

}  // namespace devreset::engine::detail
