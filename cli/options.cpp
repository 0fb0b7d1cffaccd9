// Layered options (command line > environment > config file) and typo suggestions.
#include "cli/options.hpp"

#include "io/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>

#include "io/duration.hpp"
#include "io/secret_file.hpp"

namespace devreset::cli {

namespace po = boost::program_options;

std::string closest(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& k : known) {
    auto d = io::edit_distance(word, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

namespace {

std::vector<std::string> option_names(const po::options_description& desc) {
  std::vector<std::string> names;
  for (const auto& o : desc.options())
    names.push_back(o->long_name());
  return names;
}

[[noreturn]] void rethrow_with_suggestion(const po::unknown_option& e,
                                          const po::options_description& desc,
                                          const std::string& where) {
  std::string name = e.get_option_name();
  while (!name.empty() && name.front() == '-')
    name.erase(0, 1);
  auto guess = closest(name, option_names(desc));
  std::string msg = fmt::format("unknown option '{}'{}", e.get_option_name(), where);
  if (!guess.empty()) msg += fmt::format(": did you mean --{}?", guess);
  throw po::error(msg);
}

}  // namespace

namespace {

// The options that a layer just gave a value, named after it.
void note_layer(const po::variables_map& vm, option_sources* sources, const std::string& layer) {
  if (sources == nullptr) return;
  for (const auto& [name, value] : vm) {
    if (!value.defaulted() && !sources->contains(name)) (*sources)[name] = layer;
  }
}

std::string value_text(const po::variable_value& v) {
  const auto& any = v.value();
  if (const auto* s = boost::any_cast<std::string>(&any)) return *s;
  if (const auto* b = boost::any_cast<bool>(&any)) return *b ? "true" : "false";
  if (const auto* i = boost::any_cast<int>(&any)) return std::to_string(*i);
  if (const auto* u = boost::any_cast<std::uint64_t>(&any)) return std::to_string(*u);
  if (const auto* d = boost::any_cast<double>(&any)) return fmt::format("{}", *d);
  if (const auto* l = boost::any_cast<std::vector<std::string>>(&any)) {
    std::string out;
    for (const auto& x : *l)
      out += (out.empty() ? "" : " ") + x;
    return out;
  }
  return "?";
}

// The URL options' credentials never show: "[scheme://]user:password@host" ->
// "[scheme://]*****@host". Other values are shown as they are (a query's "a@b.com" too).
std::string masked(const std::string& name, std::string v) {
  if (name != "proxy" && name != "tenant") return v;
  const auto span = userinfo_span(v);
  if (!span) return v;
  return v.substr(0, span->first) + "*****" + v.substr(span->second);
}

}  // namespace

std::optional<std::pair<std::size_t, std::size_t>> userinfo_span(std::string_view url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::nullopt;
  return std::pair{start, at};
}

std::string show_options(const po::options_description& desc, const po::variables_map& vm,
                         const option_sources& sources) {
  std::string out;
  for (const auto& o : desc.options()) {
    const auto& name = o->long_name();
    if (name == "help" || name == "show-options" || !vm.count(name)) continue;
    auto it = sources.find(name);
    out +=
        fmt::format("{} = {}  ({})\n", name, io::printable(masked(name, value_text(vm[name])), 300),
                    it == sources.end() ? "default" : it->second);
  }
  return out;
}

std::string without_userinfo(std::string message, int argc, char** argv) {
  auto mask = [&](std::string_view secret) {
    for (auto at = message.find(secret); !secret.empty() && at != std::string::npos;
         at = message.find(secret, at + 5))
      message.replace(at, secret.size(), "*****");
  };
  // Exactly: each argument's user info, wherever the message repeats it.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto scheme = arg.find("://");
    if (scheme == std::string_view::npos) continue;
    if (auto span = userinfo_span(arg.substr(scheme)))
      mask(std::string(arg.substr(scheme + span->first, span->second - span->first)));
  }
  // And any URL in it (from the environment or a config file): after "://", to the last '@'
  // before a blank or a quote.
  for (auto at = message.find("://"); at != std::string::npos; at = message.find("://", at + 3)) {
    const auto start = at + 3;
    auto end = message.find_first_of(" \t\n'\"", start);
    if (end == std::string::npos) end = message.size();
    const auto userinfo = message.rfind('@', end == 0 ? 0 : end - 1);
    if (userinfo != std::string::npos && userinfo > start)
      message.replace(start, userinfo - start, "*****");
  }
  return message;
}

namespace {

// The DEVRESET_* variables of the options a file may set (never --config, --help).
void store_environment(const po::options_description& desc, po::variables_map& vm,
                       option_sources* sources) {
  auto names = option_names(desc);
  po::store(po::parse_environment(
                desc,
                [&](const std::string& env) -> std::string {
                  if (env.rfind("DEVRESET_", 0) != 0) return {};
                  std::string name = env.substr(9);
                  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
                    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
                  });
                  // Only options a file may set; never config itself.
                  if (name == "config" || name == "help") return {};
                  bool known = std::find(names.begin(), names.end(), name) != names.end();
                  return known ? name : std::string();
                }),
            vm);
  if (sources != nullptr) {  // which variable, for people
    for (const auto& [name, value] : vm) {
      if (value.defaulted() || sources->contains(name)) continue;
      std::string env = "DEVRESET_" + name;
      std::transform(env.begin(), env.end(), env.begin(), [](char c) {
        return c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      });
      (*sources)[name] = fmt::format("environment {}", env);
    }
  }
}

// --config FILE's options, when it names one nobody else can change.
void store_config_file(const po::options_description& desc, po::variables_map& vm,
                       option_sources* sources) {
  if (vm.count("config")) {
    auto path = vm["config"].as<std::string>();
    std::ifstream in(path);
    if (!in) throw po::error(fmt::format("--config {}: cannot read the file", path));
    // A config file names the tenant and where the token goes: nobody else may change it.
    if (auto why = io::others_can_change(path)) {
      throw po::error(
          fmt::format("--config {}: {}: it says where tokens go; chmod go-w it", path, *why));
    }
    try {
      po::store(po::parse_config_file(in, desc), vm);
      note_layer(vm, sources, fmt::format("config file {}", path));
    } catch (const po::unknown_option& e) {
      rethrow_with_suggestion(e, desc, fmt::format(" in {}", path));
    } catch (const po::error& e) {
      throw po::error(fmt::format("{}: {}", path, e.what()));
    }
  }
}

po::variables_map parse_layers(int argc, char** argv, const po::options_description& desc,
                               const std::vector<std::string>& positional,
                               option_sources* sources) {
  po::variables_map vm;
  po::positional_options_description pos;
  for (const auto& p : positional) {  // "name...": every remaining argument
    const bool many = p.ends_with("...");
    pos.add(p.substr(0, many ? p.size() - 3 : p.size()).c_str(), many ? -1 : 1);
  }
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  } catch (const po::unknown_option& e) {
    rethrow_with_suggestion(e, desc, "");
  }
  note_layer(vm, sources, "command line");

  // Switches that weaken security come from the command line only, where they show.
  const bool insecure_here =
      vm.count("insecure") && !vm["insecure"].defaulted() && vm["insecure"].as<bool>();
  store_environment(desc, vm, sources);
  store_config_file(desc, vm, sources);
  po::notify(vm);
  if (vm.count("insecure") && vm["insecure"].as<bool>() && !insecure_here) {
    throw po::error(
        "--insecure is taken from the command line only (it was in the environment or a config "
        "file)");
  }
  return vm;
}

}  // namespace

po::variables_map parse_layered(int argc, char** argv, const po::options_description& desc,
                                const std::vector<std::string>& positional,
                                option_sources* sources) {
  try {
    return parse_layers(argc, argv, desc, positional, sources);
  } catch (const po::error& e) {  // "option '--prox=http://alice:s3cr3t@…' is ambiguous"
    throw po::error(without_userinfo(e.what(), argc, argv));
  }
}

std::chrono::milliseconds duration_value(const po::variables_map& vm, const char* name) {
  std::string error;
  auto d = io::parse_duration(vm[name].as<std::string>(), &error);
  if (!d) throw po::error(fmt::format("--{}: {}", name, error));
  return *d;
}

}  // namespace devreset::cli
