// A buffered byte reader over an istream, shared by the input readers: one byte at a time,
// with a count of what was consumed and a flag for read errors.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <vector>

namespace devreset::io::detail {

class byte_source {
 public:
  static constexpr int eof = -1;

  explicit byte_source(std::unique_ptr<std::istream> in, std::size_t buffer_size = 64 * 1024)
      : in_(std::move(in)), buf_(buffer_size) {}

  int get() {
    if (pos_ == end_ && !fill()) return eof;
    ++consumed_;
    return static_cast<unsigned char>(buf_[pos_++]);
  }

  int peek() {
    if (pos_ == end_ && !fill()) return eof;
    return static_cast<unsigned char>(buf_[pos_]);
  }

  /// Skips a UTF-8 byte order mark at the very start of the input, if there is one.
  void skip_bom() {
    if (consumed_ != 0 || (pos_ == end_ && !fill())) return;
    if (end_ - pos_ >= 3 && buf_[pos_] == '\xEF' && buf_[pos_ + 1] == '\xBB' &&
        buf_[pos_ + 2] == '\xBF') {
      pos_ += 3;
      consumed_ += 3;
    }
  }

  std::uint64_t consumed() const { return consumed_; }
  /// True when the stream failed for another reason than reaching its end.
  bool read_error() const { return read_error_; }

 private:
  bool fill() {
    if (done_) return false;
    in_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    end_ = static_cast<std::size_t>(in_->gcount());
    pos_ = 0;
    if (in_->bad()) read_error_ = true;
    if (end_ == 0) {
      done_ = true;
      return false;
    }
    return true;
  }

  std::unique_ptr<std::istream> in_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t consumed_ = 0;
  bool done_ = false;
  bool read_error_ = false;
};

}  // namespace devreset::io::detail
