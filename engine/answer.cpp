// Reading tenant answers and wording the failures they end in.
#include "engine/answer.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

#include "io/text.hpp"

namespace devreset::engine {

namespace json = boost::json;

read_answer answer_reader::read(const http_answer& a) {
  read_answer r;
  r.result = attempt_result{a.how, a.status, a.retry_after};
  r.detail = a.detail;
  if (a.how != transport::ok || a.status < 200 || a.status >= 300) return r;

  body_.reset();
  arena_.reset();
  arena_.emplace(buffer_, sizeof buffer_);
  parser_.reset(json::storage_ptr(&*arena_));
  boost::system::error_code ec;
  parser_.write(a.body, ec);  // the whole text: trailing garbage is an error too
  if (ec) {
    r.result.how = transport::bad_answer;
    r.detail = fmt::format("a {} answer that is not JSON", a.status);
    return r;
  }
  body_.emplace(parser_.release());
  r.body = &*body_;
  return r;
}

namespace {

// Case-insensitive search for an ASCII needle.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  auto it = std::search(hay.begin() + static_cast<std::ptrdiff_t>(std::min(from, hay.size())),
                        hay.end(), needle.begin(), needle.end(), [](char x, char y) {
                          return std::tolower(static_cast<unsigned char>(x)) ==
                                 std::tolower(static_cast<unsigned char>(y));
                        });
  return it == hay.end() ? std::string_view::npos : static_cast<std::size_t>(it - hay.begin());
}

bool looks_like_html(const http_answer& a) {
  if (ifind(a.content_type, "html") != std::string_view::npos) return true;
  auto head = io::trim_blanks(std::string_view(a.body).substr(0, 512));
  return ifind(head.substr(0, 15), "<!doctype html") == 0 || ifind(head.substr(0, 5), "<html") == 0;
}

}  // namespace

// What an error answer's body says: an AM error's "message", an HTML page's title.
std::string answer_words(const http_answer& a) {
  if (a.body.empty()) return {};
  if (looks_like_html(a)) {
    std::string_view body = a.body;
    auto open = ifind(body, "<title>");
    if (open != std::string_view::npos) {
      auto start = open + 7;
      auto close = ifind(body, "</title>", start);
      auto title = io::trim_blanks(body.substr(
          start, close == std::string_view::npos ? std::string_view::npos : close - start));
      if (!title.empty()) return fmt::format(" (an HTML page: \"{}\")", io::printable(title, 80));
    }
    return " (an HTML page)";
  }
  boost::system::error_code ec;
  auto v = json::parse(a.body, ec);
  if (ec) return " (an answer that is not JSON)";
  if (const auto* o = v.if_object()) {
    if (const auto* m = o->if_contains("message"); m != nullptr && m->is_string()) {
      auto text = io::trim_blanks(m->get_string());
      if (!text.empty()) return ": " + io::printable(text, 160);
    }
  }
  return {};
}

namespace {

// Where a redirect points: the scheme and authority only (a query can hold anything).
std::string redirect_words(std::string_view location) {
  if (location.empty()) return ": a redirect without a Location, not followed";
  auto u = boost::urls::parse_uri_reference(location);
  if (!u) return ": a redirect to an unreadable Location, not followed";
  if (u->has_authority()) {
    // Host and port only: the userinfo part of an authority can carry a password.
    std::string_view host = u->encoded_host_address();
    std::string_view port = u->port();
    return fmt::format(": a redirect to {}://{}{}{}, not followed", io::printable(u->scheme(), 16),
                       io::printable(host, 120), port.empty() ? "" : ":", io::printable(port, 8));
  }
  // The path only, cut at ';' (a ";jsessionid=..." is a session).
  std::string_view path = u->encoded_path();
  path = path.substr(0, path.find(';'));
  return fmt::format(": a redirect to {} on the same host, not followed", io::printable(path, 120));
}

}  // namespace

missing what_is_missing(const http_answer& a) {
  if (a.body.empty() || looks_like_html(a)) return missing::not_am;
  boost::system::error_code ec;
  auto v = json::parse(a.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* code = o != nullptr ? o->if_contains("code") : nullptr;
  const json::value* message = o != nullptr ? o->if_contains("message") : nullptr;
  // AM's errors: {"code":404,"reason":"Not Found","message":"..."}.
  if (code == nullptr || !code->is_number() || message == nullptr || !message->is_string()) {
    return missing::not_am;
  }
  std::string_view m = message->get_string();
  const bool not_found = ifind(m, "not found") != std::string_view::npos;
  if (!not_found) return missing::resource;
  if (ifind(io::trim_blanks(m), "resource") == 0) return missing::resource;  // CREST's router
  if (ifind(io::trim_blanks(m), "realm") == 0) return missing::realm;
  if (ifind(io::trim_blanks(m), "user device") == 0) return missing::device;
  if (ifind(m, "user") != std::string_view::npos) return missing::user;
  return missing::resource;
}

std::string_view to_string(missing m) noexcept {
  switch (m) {
    case missing::user:
      return "user";
    case missing::device:
      return "device";
    case missing::realm:
      return "realm";
    case missing::resource:
      return "resource";
    case missing::not_am:
      return "not AM";
  }
  return "?";
}

std::string give_up_reason(const decision& d, const read_answer& r, const http_answer& a) {
  std::string why = d.reason;
  if (r.result.how != transport::ok) {
    if (!r.detail.empty()) why += ": " + io::printable(r.detail, 200);
    return why;
  }
  const int s = r.result.status;
  if (s >= 300 && s < 400) return why + redirect_words(a.location);
  if (s >= 400) return why + answer_words(a);
  return why;
}

}  // namespace devreset::engine

namespace devreset::engine {

final_answer conclude(const decision& d, const read_answer& r, const http_answer& a,
                      http_method method, int attempts) {
  final_answer fa;
  fa.http_status = a.status;
  fa.attempts = attempts;
  if (d.what == decision::kind::done) {
    fa.what = final_answer::kind::ok;
    fa.body = r.body;
    return fa;
  }
  if (d.what == decision::kind::not_found) {
    auto m = what_is_missing(a);
    if (m == missing::user || (m == missing::device && method == http_method::delete_)) {
      fa.what = final_answer::kind::not_found;
      return fa;
    }
  }
  fa.what = final_answer::kind::failed;
  fa.error = give_up_reason(d, r, a);
  return fa;
}

}  // namespace devreset::engine
