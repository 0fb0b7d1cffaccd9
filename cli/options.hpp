// Shared option handling for the sub-commands: config file and DEVRESET_<NAME> environment
// variables under the command line, closest-match suggestions for typos, durations.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace devreset::cli {

/// --help's width: option names and a description column wide enough that no URL of a
/// description is cut in the middle (Boost wraps at 80 columns by default).
inline constexpr unsigned help_columns = 120;

/// Parses argv, then the environment (DEVRESET_<NAME>, '-' read as '_'), then the INI file
/// named by --config: the command line wins over the environment, the environment over
/// the file. Throws po::error with a message that names the file or suggests a spelling.
/// Where each option's value came from: "command line", "environment (DEVRESET_X)",
/// "config file F"; an option not in it has its default.
using option_sources = std::map<std::string, std::string>;

boost::program_options::variables_map parse_layered(
    int argc, char** argv, const boost::program_options::options_description& desc,
    const std::vector<std::string>& positional = {}, option_sources* sources = nullptr);

/// --show-options: every option of `desc` with a value, one a line: "name = value  (where
/// from)"; a URL's user and password masked.
std::string show_options(const boost::program_options::options_description& desc,
                         const boost::program_options::variables_map& vm,
                         const option_sources& sources);

/// Where the user info of "[scheme://]user:password@host[...]" lies: [first, second) from
/// after the scheme to the last '@' (a password may hold a raw '@' or '/'); nullopt: none.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_span(std::string_view url);

/// `message` with every URL's user info masked ("*****"): the user info of each argument,
/// wherever the message repeats it, and of any "scheme://user:password@" in it. Option
/// errors go through it: a mistyped --proxy never shows its password.
std::string without_userinfo(std::string message, int argc, char** argv);

/// The option or command of `known` closest to `word` (by edit distance), or empty when
/// none is close.
std::string closest(const std::string& word, const std::vector<std::string>& known);

/// A duration option ("250ms", "30s", "2m"); throws po::error naming the option.
std::chrono::milliseconds duration_value(const boost::program_options::variables_map& vm,
                                         const char* name);

}  // namespace devreset::cli
