// What the simulated tenant's server hands its API (a request) and gets back (an outcome):
// plain data, no Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace devreset::sim {

using clock = std::chrono::steady_clock;

/// What the server needs of one request.
struct request_view {
  std::string_view method;
  std::string_view host;  ///< the Host header
  std::string_view target;
  std::string_view authorization;
  std::string_view api_version;
  std::string_view content_type;
  std::string_view body;
  std::string_view client;  ///< the client's address (for a limit per client)
  // A self-managed AM's sessions: the sign-in's headers and the session's (the header named
  // after AM's cookie).
  std::string_view am_username{};  ///< X-OpenAM-Username
  std::string_view am_password{};  ///< X-OpenAM-Password
  std::string_view session{};      ///< <cookieName>: <tokenId>
};

/// What to do with it.
struct outcome {
  enum class kind {
    answer,             ///< send `status` and `body` after `delay`
    drop,               ///< close the connection without answering
    huge_body,          ///< send `status` and a body of `huge_body_bytes`, streamed
    endless_chunked,    ///< send `status` and chunks until the client goes away
    endless_chunk_ext,  ///< send `status` and a chunk-size line that never ends
    endless_headers,    ///< send a status line and header lines until the client goes away
  };
  kind what = kind::answer;
  int status = 200;
  std::string body;
  std::string retry_after;  ///< not empty: send Retry-After
  std::string content_type = "application/json";
  std::string location;  ///< not empty: send Location
  /// The rate limit's state, when the sim states it (name, value).
  std::vector<std::pair<std::string_view, std::string>> headers;
  std::chrono::milliseconds delay{0};
  bool hostile = false;  ///< a hostile mode's answer: sent as it is, even a 200

  static constexpr std::uint64_t huge_body_bytes = 64ULL * 1024 * 1024;
};

}  // namespace devreset::sim
