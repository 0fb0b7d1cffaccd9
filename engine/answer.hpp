// One tenant answer, read: its status, headers and body turned into what the retry policy
// decides on, and the words recorded when a step gives up on it. No I/O (the HTTPS client
// fills `http_answer`), so a fuzzer drives it with any bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include "engine/request.hpp"
#include "engine/retry_policy.hpp"

namespace devreset::engine {

/// An answer as the engine sees it.
struct read_answer {
  attempt_result result;                     ///< what the retry policy decides on
  const boost::json::value* body = nullptr;  ///< the parsed body of a 2xx answer
  std::string detail;                        ///< printable, for a failure's reason
};

/// Reads answers, one at a time; the parsed body lives until the next `read`. Parsing uses
/// an arena over a buffer of its own (no allocation per answer once warmed up).
class answer_reader {
 public:
  answer_reader() = default;
  answer_reader(const answer_reader&) = delete;
  answer_reader& operator=(const answer_reader&) = delete;

  /// A 2xx answer whose body is not JSON becomes a `bad_answer`.
  read_answer read(const http_answer& a);

 private:
  // Boost 1.81's monotonic_resource cannot be released and reused (its block size keeps
  // doubling): a fresh one is made over the buffer for each answer.
  alignas(std::max_align_t) unsigned char buffer_[16 * 1024];
  std::optional<boost::json::monotonic_resource> arena_;
  boost::json::parser parser_;
  std::optional<boost::json::value> body_;
};

/// What a 404 says is missing, read from what the answer is (docs/tenant-api.md): only AM's
/// own JSON error names a user, a device or a realm; anything else that answers 404 (a web
/// server that is not AM, a gateway, a wrong context path) proves nothing about the user.
enum class missing {
  user,      ///< AM's JSON error naming a user ("User 'x' not found", "User x is not found")
  device,    ///< AM's JSON error naming a device ("User device, <id>, not found.")
  realm,     ///< AM's JSON error naming a realm (Realm "/beta" not found, "Realm not found")
  resource,  ///< AM's JSON error naming neither ("Not Found", "Resource 'x' not found")
  not_am,    ///< not AM's JSON error at all: an HTML page, plain text, an empty body
};
missing what_is_missing(const http_answer& a);
std::string_view to_string(missing m) noexcept;

/// What an error answer says of itself, printable and short: ": <AM's message>",
/// " (an HTML page: \"title\")", " (an answer that is not JSON)", or empty.
std::string answer_words(const http_answer& a);

/// The reason recorded when a step gives up on answer `a`: the policy's words, plus what
/// the answer says of itself, printable and short (never a 2xx body: those can hold
/// secrets). "302 Found: a redirect to https://other.example, not followed";
/// "502 Bad Gateway after 5 attempts (an HTML page: \"502 Bad Gateway\")";
/// "400 Bad Request: Invalid action"; "timeout after 5 attempts: Operation timed out".
std::string give_up_reason(const decision& d, const read_answer& r, const http_answer& a);

/// The final answer of a request whose last attempt ended in `d` (done, not_found or
/// give_up), as the type task is told it. Only AM's word for a missing user (or, for a
/// DELETE, a missing device: gone already) is `not_found`; any other 404 is a failure whose
/// error says what answered.
final_answer conclude(const decision& d, const read_answer& r, const http_answer& a,
                      http_method method, int attempts);

}  // namespace devreset::engine
