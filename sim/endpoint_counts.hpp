// The sim's answers counted by endpoint and status, as /sim/stats shows them: a device call
// ("reset:oath", "query:push", "delete:webauthn") or one of the other endpoints.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include <boost/json/object.hpp>

#include "io/device_type.hpp"

namespace devreset::sim {

/// What a request was, as the statistics name it.
struct endpoint {
  enum class kind : std::uint8_t {
    reset,
    query,
    delete_,
    other,
    stats,
    token,
    idm,
    session,
    am_users
  };
  kind what = kind::other;
  io::device_type type = io::device_type::oath;  ///< reset, query, delete_: the collection

  bool is_device() const { return what <= kind::delete_; }
  /// "reset:oath", "other", ...
  std::string name() const;
};

class endpoint_counts {
 public:
  /// One answer (status 0: the connection was dropped).
  void count(endpoint e, int status) { ++counts_[slot(e)][status]; }
  /// {"<endpoint>": {"<status>" or "dropped": n}} for the endpoints that answered.
  boost::json::object json() const;

 private:
  static constexpr std::size_t device_kinds = 3;
  static constexpr std::size_t other_kinds = 6;
  static constexpr std::size_t slots = device_kinds * io::device_type_count + other_kinds;
  /// Where an endpoint's counts live (the one place a key becomes an index).
  static std::size_t slot(endpoint e);
  std::array<std::map<int, std::uint64_t>, slots> counts_;
};

}  // namespace devreset::sim
