// JSON inputs: a JSON array of objects or strings, and JSON Lines. Both stream: the array
// is cut into its elements by a small scanner that tracks strings and nesting, and each
// element (or line) is parsed on its own by Boost.JSON, so a bad element is one invalid
// row and the rest of the file is still read, and memory stays bounded by one element.
#include <fmt/format.h>

#include <deque>

#include "io/detail/byte_source.hpp"
#include "io/detail/readers.hpp"
#include "io/detail/row_builder.hpp"
#include "io/text.hpp"

namespace devreset::io::detail {

namespace {

bool is_json_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class json_array_reader final : public job_reader {
 public:
  json_array_reader(std::unique_ptr<std::istream> in, reader_options options, std::string name)
      : src_(std::move(in)), rows_(std::move(options)), name_(std::move(name)) {
    src_.skip_bom();
    int c = skip_space();
    if (c != '[') {
      if (src_.read_error()) throw input_error(fmt::format("{}: cannot read the input", name_));
      throw input_error(fmt::format(
          "{}:{}: expected a JSON array ('[') of user ids or objects, found {}", name_, line_,
          c == byte_source::eof
              ? std::string("the end of the file")
              : fmt::format("'{}'", printable(std::string(1, static_cast<char>(c))))));
    }
  }

  std::optional<input_row> next() override {
    while (!done_) {
      if (closed_) {
        // After the closing ']' only blanks may follow.
        done_ = true;
        if (skip_space() != byte_source::eof) {
          return fatal(line_, "unexpected text after the closing ']' of the array");
        }
        return std::nullopt;
      }
      if (auto row = read_element()) return row;
    }
    return std::nullopt;
  }

  std::uint64_t bytes_read() const override { return src_.consumed(); }
  const std::vector<std::string>& ignored_columns() const override { return rows_.ignored_keys(); }

 private:
  int skip_space() {
    for (;;) {
      int c = src_.get();
      if (c == '\n') ++line_;
      if (!is_json_space(c)) return c;
    }
  }

  input_row fatal(std::uint64_t line, std::string why) {
    done_ = true;
    return row_builder::invalid(line, {}, std::move(why), /*fatal=*/true);
  }

  input_row unexpected_end() {
    if (src_.read_error()) return fatal(line_, "cannot read the input: I/O error");
    return fatal(line_, "unexpected end of the file: the JSON array is not closed with ']'");
  }

  // Reads the next element up to the ',' or ']' after it. Returns its row, or nullopt when
  // the array turned out to be empty.
  std::optional<input_row> read_element() {
    int c = skip_space();
    if (c == ']' && elements_ == 0) {
      closed_ = true;
      return std::nullopt;
    }
    if (c == byte_source::eof) return unexpected_end();

    const std::uint64_t start_line = line_;
    const std::size_t limit = rows_.options().max_row_bytes;
    text_.clear();
    std::size_t size = 0;
    std::int64_t depth = 0;  // 64-bit: gigabytes of "[" must not overflow it
    bool in_string = false;
    bool escaped = false;
    for (;; c = src_.get()) {
      if (c == byte_source::eof) return unexpected_end();
      if (!in_string && depth == 0 && (c == ',' || c == ']')) break;
      if (c == '\n') ++line_;
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        --depth;
      }
      if (++size <= limit) text_.push_back(static_cast<char>(c));
    }
    ++elements_;
    closed_ = (c == ']');

    if (size > limit) {
      return row_builder::invalid(start_line, {},
                                  fmt::format("array element longer than {} bytes", limit));
    }
    std::string_view t = text_;
    while (!t.empty() && is_json_space(t.back()))
      t.remove_suffix(1);
    if (t.empty()) {
      return row_builder::invalid(start_line, {},
                                  closed_ ? "a comma before the closing ']'"
                                          : "an empty array element (two commas in a row)");
    }
    return rows_.from_json_text(start_line, t);
  }

  byte_source src_;
  row_builder rows_;
  std::string name_;
  std::string text_;  // the element being read, reused
  std::uint64_t line_ = 1;
  std::uint64_t elements_ = 0;
  bool closed_ = false;  // the closing ']' was read
  bool done_ = false;
};

class jsonl_reader final : public job_reader {
 public:
  jsonl_reader(std::unique_ptr<std::istream> in, reader_options options, std::string name)
      : src_(std::move(in)), rows_(std::move(options)), name_(std::move(name)) {
    src_.skip_bom();
  }

  std::optional<input_row> next() override {
    for (;;) {
      if (at_end_) {
        if (src_.read_error() && !reported_read_error_) {
          reported_read_error_ = true;
          return row_builder::invalid(line_, {}, "cannot read the input: I/O error", true);
        }
        return std::nullopt;
      }
      const std::uint64_t line = line_;
      bool too_long = read_line();
      std::string_view t = text_;
      while (!t.empty() && is_json_space(t.front()))
        t.remove_prefix(1);
      while (!t.empty() && is_json_space(t.back()))
        t.remove_suffix(1);
      if (too_long) {
        return row_builder::invalid(
            line, {}, fmt::format("line longer than {} bytes", rows_.options().max_row_bytes));
      }
      if (t.empty()) continue;  // blank lines are not rows
      return rows_.from_json_text(line, t);
    }
  }

  std::uint64_t bytes_read() const override { return src_.consumed(); }
  const std::vector<std::string>& ignored_columns() const override { return rows_.ignored_keys(); }

 private:
  // Reads one line into text_ (without its end). Returns true when it was cut for length.
  bool read_line() {
    text_.clear();
    bool too_long = false;
    for (;;) {
      int c = src_.get();
      if (c == byte_source::eof) {
        at_end_ = true;
        return too_long;
      }
      if (c == '\n') {
        ++line_;
        return too_long;
      }
      if (text_.size() < rows_.options().max_row_bytes) {
        text_.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
  }

  byte_source src_;
  row_builder rows_;
  std::string name_;
  std::string text_;
  std::uint64_t line_ = 1;
  bool at_end_ = false;
  bool reported_read_error_ = false;
};

}  // namespace

std::unique_ptr<job_reader> make_json_array_reader(std::unique_ptr<std::istream> in,
                                                   reader_options options, std::string name) {
  return std::make_unique<json_array_reader>(std::move(in), std::move(options), std::move(name));
}

std::unique_ptr<job_reader> make_jsonl_reader(std::unique_ptr<std::istream> in,
                                              reader_options options, std::string name) {
  return std::make_unique<jsonl_reader>(std::move(in), std::move(options), std::move(name));
}

}  // namespace devreset::io::detail
