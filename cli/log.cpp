// Lines for people on stderr (cli/log.hpp).
#include "cli/log.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include <boost/json.hpp>

#include "io/json_text.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace {

log_style style = log_style::text;
std::string log_run_id;

}  // namespace

void set_log_style(log_style s) {
  style = s;
}
void set_log_run_id(std::string run_id) {
  log_run_id = std::move(run_id);
}

namespace {

// `text` as the log style writes it: as it is, each line timestamped, or each a JSON line.
std::string log_lines(std::string_view text) {
  if (style == log_style::text) return std::string(text);
  const auto now = io::format_utc(std::chrono::system_clock::now());
  std::string out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) continue;
    if (style == log_style::timestamped) {
      out += fmt::format("{} {}\n", now, line);
      continue;
    }
    boost::json::object o{{"time", now}, {"message", io::printable(line, 4096)}};
    if (!log_run_id.empty()) o["run_id"] = log_run_id;
    out += io::json_text(o) + "\n";
  }
  return out;
}

}  // namespace

void tell(std::string_view raw) {
  const auto lines = log_lines(raw);
  std::string_view text = lines;
  std::fflush(stderr);  // whatever stdio holds goes first, in order
  while (!text.empty()) {
    auto n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed, a dead pipe, a full disk: the run goes on without it
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace devreset::cli
