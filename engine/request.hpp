// The requests the engine sends and the answers it gets back, as plain data: what a device
// plan asks for, what the HTTPS client returns, and the final answer a plan is told.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "engine/transport.hpp"

namespace devreset::engine {

enum class http_method { get, post, delete_ };
std::string_view to_string(http_method m) noexcept;

/// One request of a type task (engine/type_task.hpp).
struct planned_request {
  http_method method = http_method::get;
  std::string target;
  bool json_body = false;  ///< POST with body "{}"
};

/// How a request presents its credential: `Authorization: Bearer <token>` when `header` is
/// empty, else `<header>: <token>` (an AM session: the header is named after AM's cookie).
struct credential {
  std::string_view header;
  std::string_view token;
};

/// One header of a request made by hand (AM's sign-in, serverinfo, sign-out).
struct header_field {
  std::string_view name;
  std::string_view value;
};

/// One answer, or how the attempt failed.
struct http_answer {
  transport how = transport::ok;
  int status = 0;
  std::string retry_after;   ///< the Retry-After header
  std::string location;      ///< the Location header (redirects)
  std::string content_type;  ///< the Content-Type header (of answers that are not 2xx)
  std::string rate_policy;   ///< the RateLimit-Policy header (the tenant's stated limit)
  std::string body;
  std::string detail;  ///< transport failures: what happened, printable ("connection refused")
};

/// How an answer ended and its status, as the status table and describe() read them.
inline attempt_result outcome_of(const http_answer& a) {
  return {a.how, a.status, {}};
}

/// The final answer to one request, after retries: what a type task needs to go on.
struct final_answer {
  enum class kind { ok, not_found, failed };
  kind what = kind::ok;
  int http_status = 0;
  int attempts = 0;
  const boost::json::value* body = nullptr;  ///< the parsed body of a 2xx answer
  std::string error;                         ///< for failed: a printable reason
  int throttled = 0;                         ///< of the attempts, those answered 429
};

}  // namespace devreset::engine
