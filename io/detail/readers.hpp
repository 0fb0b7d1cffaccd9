// The concrete readers behind `make_job_reader`, one per input format.
#pragma once

#include <istream>
#include <memory>
#include <string>

#include "io/job_reader.hpp"

namespace devreset::io::detail {

/// CSV (RFC 4180). Reads the header at construction; throws input_error when it is unusable.
std::unique_ptr<job_reader> make_csv_reader(std::unique_ptr<std::istream> in,
                                            reader_options options, std::string name);

/// A JSON array of objects or strings. Throws input_error when the input is not an array.
std::unique_ptr<job_reader> make_json_array_reader(std::unique_ptr<std::istream> in,
                                                   reader_options options, std::string name);

/// JSON Lines: one object or string per line.
std::unique_ptr<job_reader> make_jsonl_reader(std::unique_ptr<std::istream> in,
                                              reader_options options, std::string name);

}  // namespace devreset::io::detail
