// How one attempt ended, seen from the transport, and the outcome of one attempt as every
// decision reads it (status_table.hpp says what each means).
#pragma once

#include <string_view>

namespace devreset::engine {

enum class transport {
  ok,              ///< an HTTP answer came back
  connect_failed,  ///< resolve, connect or TLS handshake failed
  timeout,         ///< the request's deadline passed
  dropped,         ///< the connection closed before a whole answer came
  bad_answer,      ///< the answer could not be read (not HTTP, too large, not JSON)
  certificate,     ///< the tenant's certificate was refused (chain or name): never retried
  proxy_refused,   ///< the proxy refused the tunnel (407 credentials, 403...): never retried
};

std::string_view to_string(transport t) noexcept;

/// One attempt's outcome: the transport's, and the answer's status when there was one.
struct attempt_result {
  transport how = transport::ok;
  int status = 0;                ///< HTTP status when how == ok
  std::string_view retry_after;  ///< the Retry-After header, if any
};

}  // namespace devreset::engine
