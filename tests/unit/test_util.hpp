// Helpers for the unit tests: reading every row of an in-memory input, temporary files.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/job_reader.hpp"

namespace devreset::test {

inline std::vector<io::input_row> read_all(const std::string& text, io::input_format format,
                                           io::reader_options options = {}) {
  auto reader = io::make_job_reader(std::make_unique<std::istringstream>(text), format,
                                    std::move(options), "input");
  std::vector<io::input_row> rows;
  while (auto row = reader->next())
    rows.push_back(std::move(*row));
  return rows;
}

inline const io::job& as_job(const io::input_row& row) {
  if (const auto* bad = std::get_if<io::invalid_row>(&row)) {
    ADD_FAILURE() << "expected a job, got an invalid row at line " << bad->line << ": "
                  << bad->reason;
    static const io::job none{};
    return none;
  }
  return std::get<io::job>(row);
}

inline const io::invalid_row& as_invalid(const io::input_row& row) {
  if (const auto* j = std::get_if<io::job>(&row)) {
    ADD_FAILURE() << "expected an invalid row, got a job for '" << j->user_id << "' at line "
                  << j->line;
    static const io::invalid_row none{};
    return none;
  }
  return std::get<io::invalid_row>(row);
}

/// A fresh directory for one test, removed at the end of it.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    auto base = std::filesystem::temp_directory_path();
    if (const char* t = std::getenv("DEVRESET_TEST_TMP")) base = t;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = base / ("devreset-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                    "-" + (info ? info->name() : "t"));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes a file only its owner may read or change (as ledgers, keys and tokens must be).
inline void write_file(const std::filesystem::path& p, const std::string& content) {
  {
    std::ofstream out(p, std::ios::binary);
    out << content;
  }
  std::filesystem::permissions(
      p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

/// The sample service-account key, copied once into a file of the owner's alone: devreset
/// refuses a private key others can read, and git keeps the sample 0644.
inline std::string private_sample_key() {
  static const std::string path = [] {
    auto p = std::filesystem::temp_directory_path() /
             ("devreset-test-key-" + std::to_string(::getpid()) + ".jwk.json");
    std::ifstream in(DEVRESET_SOURCE_DIR "/samples/service-account.jwk.json", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::filesystem::remove(p);
    write_file(p, s.str());
    return p.string();
  }();
  return path;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace devreset::test
