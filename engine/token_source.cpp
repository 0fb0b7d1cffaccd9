// Static and file-based token sources.
#include "engine/token_source.hpp"

#include <fmt/format.h>

#include "io/secret_file.hpp"
#include "io/text.hpp"

#include <fstream>
#include <sstream>

namespace devreset::engine {

namespace {

std::string trimmed(std::string s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.back()))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && blank(s[i]))
    ++i;
  return s.substr(i);
}

// A token given as a whole header value ("Bearer abc…"): the one mistake worth naming.
bool has_bearer_prefix(std::string_view t) {
  return t.size() > 7 && io::iequals(t.substr(0, 7), "bearer ") && io::is_bearer_token(t.substr(7));
}
constexpr const char* bearer_advice = ": drop the \"Bearer \" prefix, give the token alone";

class static_token final : public token_source {
 public:
  static_token(std::string token, std::string origin)
      : token_(trimmed(std::move(token))), origin_(std::move(origin)) {
    io::wipe(token);
    if (token_.empty()) throw token_error(fmt::format("{} is empty", origin_));
    if (!io::is_bearer_token(token_)) {
      const bool prefixed = has_bearer_prefix(token_);
      io::wipe(token_);
      throw token_error(fmt::format("{} holds characters a bearer token cannot have (RFC 6750){}",
                                    origin_, prefixed ? bearer_advice : ""));
    }
  }
  ~static_token() override { io::wipe(token_); }
  const std::string& token() override { return token_; }
  bool refresh() override { return false; }
  std::string describe() const override { return origin_; }

 private:
  std::string token_;
  std::string origin_;
};

class file_token final : public token_source {
 public:
  explicit file_token(std::filesystem::path path) : path_(std::move(path)) {
    if (!load()) throw token_error(error_);
  }

  const std::string& token() override {
    auto now = std::chrono::steady_clock::now();
    if (now - last_check_ >= std::chrono::seconds(1)) {
      last_check_ = now;
      std::error_code ec;
      auto mtime = std::filesystem::last_write_time(path_, ec);
      if (!ec && mtime != mtime_) load();
    }
    return token_;
  }

  bool refresh() override {
    auto before = token_;
    load();
    return token_ != before;
  }

  std::string describe() const override { return "token file " + path_.string(); }

 private:
  bool load() {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(path_, ec);
    std::string text;
    try {
      text = io::read_secret_file(path_, 16 * 1024, "token file");
    } catch (const io::secret_file_error& e) {
      error_ = e.what();
      return false;
    }
    auto t = trimmed(text);
    io::wipe(text);
    if (t.empty()) {
      error_ = fmt::format("token file {} is empty", path_.string());
      return false;
    }
    if (!io::is_bearer_token(t)) {
      const bool prefixed = has_bearer_prefix(t);
      io::wipe(t);
      error_ = fmt::format("token file {} holds characters a bearer token cannot have (RFC 6750){}",
                           path_.string(), prefixed ? bearer_advice : "");
      return false;
    }
    io::wipe(token_);
    token_ = std::move(t);
    mtime_ = mtime;
    return true;
  }

  std::filesystem::path path_;
  std::string token_;
  std::string error_;
  std::filesystem::file_time_type mtime_{};
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace

boost::asio::awaitable<problem> token_source::ensure(token_context*, std::string rejected) {
  if (!rejected.empty() && rejected == token()) refresh();
  co_return problem{};
}

boost::asio::awaitable<std::string> token_source::end_session(token_context*,
                                                              std::chrono::milliseconds) {
  co_return std::string();
}

std::unique_ptr<token_source> make_static_token(std::string token, std::string origin) {
  return std::make_unique<static_token>(std::move(token), std::move(origin));
}

std::unique_ptr<token_source> make_file_token(std::filesystem::path path) {
  return std::make_unique<file_token>(std::move(path));
}

}  // namespace devreset::engine
