// Fuzz target for the engine's handling of tenant answers: status, headers and body, read
// (answer_reader), decided on (retry_policy) and fed to a device type's task (type_task),
// exactly as a worker does, minus the sockets. The input is text:
//
//   <type> <mode>            e.g. "webauthn reset"
//   ===
//   <status>|drop|timeout|bad|refused
//   Retry-After: 3           (any headers: Retry-After, Location, Content-Type)
//
//   <body>
//   ===
//   ...the next answer
//
// Whatever the answers, the task must finish or ask for more, never crash; it must never
// wait longer than the caps, send a target that does not parse, or record a reason that is
// not printable; and its result must make a ledger record that reads back.
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/answer.hpp"
#include "engine/retry_policy.hpp"
#include "engine/type_task.hpp"
#include "io/ledger_record.hpp"
#include "io/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;
using namespace devreset::engine;

namespace {

std::vector<std::string_view> split(std::string_view text, std::string_view sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + sep.size());
  }
}

std::string_view next_line(std::string_view& text) {
  auto at = text.find('\n');
  auto line = text.substr(0, at);
  text.remove_prefix(at == std::string_view::npos ? text.size() : at + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

http_answer parse_answer(std::string_view text) {
  http_answer a;
  auto first = next_line(text);
  if (first == "drop") {
    a.how = transport::dropped;
    a.detail = "end of stream";
  } else if (first == "timeout") {
    a.how = transport::timeout;
    a.detail = "The socket was closed due to a timeout";
  } else if (first == "bad") {
    a.how = transport::bad_answer;
    a.detail = "body limit exceeded";
  } else if (first == "refused") {
    a.how = transport::connect_failed;
    a.detail = "Connection refused";
  } else {
    int status = 0;
    for (char c : first.substr(0, 4)) {
      if (c < '0' || c > '9') break;
      status = status * 10 + (c - '0');
    }
    a.status = status;
  }
  for (;;) {
    auto line = next_line(text);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto name = line.substr(0, colon);
    auto value = io::trim_blanks(line.substr(colon + 1));
    if (io::iequals(name, "Retry-After")) a.retry_after = value;
    if (io::iequals(name, "Location")) a.location = value;
    if (io::iequals(name, "Content-Type")) a.content_type = value;
  }
  a.body = text;
  return a;
}

bool printable_text(std::string_view s) {
  return io::is_valid_utf8(s) && io::find_control_char(s) == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parts = split(std::string_view(reinterpret_cast<const char*>(data), size), "\n===\n");
  auto head = parts[0];
  auto type = io::parse_device_type(head.substr(0, head.find(' ')));
  if (!type) type = io::device_type::webauthn;
  const auto mode = head.find("plan") != std::string_view::npos ? run_mode::plan : run_mode::reset;

  static const io::tenant_paths paths("/am");
  retry_config cfg;
  const retry_policy policy(cfg);
  answer_reader reader;
  type_task task(paths, {"/realms/root/realms/alpha", "user-1", *type},
                 io::strategy_of(*type, false), {mode, 2});
  const auto now = std::chrono::system_clock::now();

  std::size_t next = 1;
  int attempt = 0;
  bool refreshed = false;
  int requests = 0;
  while (auto req = task.next()) {
    FUZZ_CHECK(++requests <= 2 * type_task::max_pages + 16);
    FUZZ_CHECK(boost::urls::parse_origin_form(req->target).has_value());
    FUZZ_CHECK(req->target.rfind("/am/json/realms/root/realms/alpha/users/user-1/devices/", 0) ==
               0);
    if (next >= parts.size()) return 0;  // the input ran out before the task finished
    const http_answer a = parse_answer(parts[next++]);
    ++attempt;
    const read_answer r = reader.read(a);
    if (r.body != nullptr) FUZZ_CHECK(r.result.how == transport::ok);
    const auto d = policy.decide(r.result, attempt, refreshed, now, 0.999);
    switch (d.what) {
      case decision::kind::retry:
        FUZZ_CHECK(d.wait.count() >= 0);
        FUZZ_CHECK(d.wait <= std::max(cfg.backoff_cap, cfg.retry_after_cap));
        FUZZ_CHECK(attempt < cfg.max_attempts);
        continue;
      case decision::kind::refresh_token:
        FUZZ_CHECK(!refreshed);
        refreshed = true;
        continue;
      case decision::kind::done:
        FUZZ_CHECK(r.body != nullptr);
        break;
      case decision::kind::not_found:
      case decision::kind::give_up:
        break;
    }
    const final_answer fa = conclude(d, r, a, req->method, attempt);
    if (fa.what == final_answer::kind::failed) {
      FUZZ_CHECK(!fa.error.empty() && fa.error.size() < 1024);
      FUZZ_CHECK(printable_text(fa.error));
    }
    // "not found" only on AM's own word: a 404 whose body is AM's JSON error.
    if (fa.what == final_answer::kind::not_found) {
      FUZZ_CHECK(a.status == 404 && what_is_missing(a) != missing::not_am);
    }
    task.on_answer(fa);
    attempt = 0;
    refreshed = false;
  }

  FUZZ_CHECK(task.finished());
  io::user_record rec;
  rec.run_id = "fuzz";
  rec.line = 1;
  rec.user_id = "user-1";
  rec.realm = "/realms/root/realms/alpha";
  rec.results.push_back(task.result());
  rec.status = user_status_of(rec.results);
  FUZZ_CHECK(printable_text(rec.results[0].error));
  auto text = boost::json::serialize(io::to_json(rec));
  boost::json::error_code ec;
  auto back = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec && back.is_object());
  auto again = io::user_record_from_json(back.get_object());
  FUZZ_CHECK(again.has_value() && again->results.size() == 1 &&
             again->results[0].status == rec.results[0].status);
  return 0;
}
