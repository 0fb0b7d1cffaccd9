// Shared option handling for the sub-commands: config file and DEVRESET_<NAME> environment
// variables under the command line, closest-match suggestions for typos, durations.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace devreset::cli {

/// Parses argv, then the environment (DEVRESET_<NAME>, '-' read as '_'), then the INI file
/// named by --config: the command line wins over the environment, the environment over
/// the file. Throws po::error with a message that names the file or suggests a spelling.
boost::program_options::variables_map parse_layered(
    int argc, char** argv, const boost::program_options::options_description& desc,
    const std::vector<std::string>& positional = {});

/// The option or command of `known` closest to `word` (by edit distance), or empty when
/// none is close.
std::string closest(const std::string& word, const std::vector<std::string>& known);

/// A duration option ("250ms", "30s", "2m"); throws po::error naming the option.
std::chrono::milliseconds duration_value(const boost::program_options::variables_map& vm,
                                         const char* name);

}  // namespace devreset::cli
