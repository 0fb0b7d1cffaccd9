// Fuzz target for the ledger reader: the resume index of any bytes, in bounded memory, and
// the scan's own accounting consistent with the input.
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto index = io::load_resume_index(std::make_unique<std::istringstream>(text), "fuzz");
    const auto& scan = index.scan;
    FUZZ_CHECK(scan.valid_bytes <= size);
    // Up to valid_bytes the input is whole records and bad lines; what follows is at most
    // one torn line (no newline in it, unless there were bad lines after the last record).
    FUZZ_CHECK(scan.valid_bytes == 0 || text[scan.valid_bytes - 1] == '\n' ||
               scan.valid_bytes == size);
    std::uint64_t lines = 0;
    for (char c : text)
      lines += c == '\n';
    FUZZ_CHECK(scan.records + scan.bad_lines.size() <= lines + 1);
    for (std::size_t i = 1; i < scan.bad_lines.size(); ++i) {
      FUZZ_CHECK(scan.bad_lines[i - 1] < scan.bad_lines[i]);
    }
    // Reading the same bytes again gives the same index.
    auto again = io::load_resume_index(std::make_unique<std::istringstream>(text), "fuzz");
    FUZZ_CHECK(again.scan.records == scan.records && again.scan.torn_tail == scan.torn_tail);
    FUZZ_CHECK(again.done.size() == index.done.size());
  } catch (const io::ledger_error&) {
    FUZZ_CHECK(false);  // a stream in memory never fails to read
  }
  return 0;
}
