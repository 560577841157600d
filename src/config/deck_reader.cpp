// The INI input deck. Boost.Program_options parses it; a second pass over the
// same text, following Boost's line rules, gives each setting its line number
// so that every error can say file:line.
#include <boost/program_options.hpp>

#include <map>
#include <sstream>
#include <vector>

#include "config/impl/input_file.hpp"
#include "config/impl/key_table.hpp"
#include "config/impl/nearest_key.hpp"
#include "config/load.hpp"
#include "core/error.hpp"

namespace strata::config {
namespace {

namespace po = boost::program_options;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

struct DeckLine {
  std::string key;  // "section.name" as Boost will report it
  int line = 0;
};

// Same rules as Boost's config-file iterator: '#' starts a comment anywhere,
// "[name]" opens a section, "name = value" is a setting, anything else is a
// syntax error (reported here, with its line, before Boost sees it).
std::vector<DeckLine> scan_settings(const std::string& text, const std::string& path) {
  std::vector<DeckLine> settings;
  std::istringstream lines(text);
  std::string raw, prefix;
  for (int number = 1; std::getline(lines, raw); ++number) {
    std::string line = raw.substr(0, raw.find('#'));
    line = trim(line);
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      prefix = line.substr(1, line.size() - 2);
      if (prefix.empty() || prefix.back() != '.') prefix += '.';
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos)
      throw_input_error(path + ":" + std::to_string(number),
                        "'" + trim(raw) + "' is neither a [section] nor a key = value line",
                        "write settings as `key = value` under a [section] header; comments start "
                        "with #");
    settings.push_back({prefix + trim(line.substr(0, equals)), number});
  }
  return settings;
}

po::options_description deck_options() {
  po::options_description options;
  for (const auto& spec : impl::deck_keys())
    options.add_options()(spec.key().c_str(), po::value<std::string>());
  return options;
}

[[noreturn]] void reject_unknown(const std::string& key, const std::string& where) {
  const auto dot = key.find('.');
  const bool has_section = dot != std::string::npos && dot > 0;
  const std::string written = has_section ? impl::deck_subject(key) : key;
  const auto suggestion = impl::nearest_key(key, impl::all_dotted_keys());
  std::string fix = suggestion ? "did you mean " + impl::deck_subject(*suggestion) + "? " : "";
  fix += has_section ? "Remove or correct the key; docs/config.md lists every key"
                     : "put the key under its [section] header; docs/config.md lists every key";
  throw_input_error(written, "unknown key (" + where + ")", fix);
}

}  // namespace

void read_deck(const std::string& path, Config& config) {
  const std::string text = impl::read_input_file(path, "deck");
  const std::vector<DeckLine> lines = scan_settings(text, path);

  std::istringstream stream(text);
  const po::options_description options = deck_options();
  po::parsed_options parsed(&options);
  try {
    parsed = po::parse_config_file(stream, options, /*allow_unregistered=*/true);
  } catch (const po::error& error) {
    throw_input_error(path, std::string("cannot be parsed as an INI deck: ") + error.what(),
                      "write `key = value` lines under [section] headers");
  }

  // Boost reports settings in file order, one per key = value line.
  const bool lines_match = parsed.options.size() == lines.size();
  std::map<std::string, std::string> first_seen;
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const po::option& option = parsed.options[i];
    const std::string where = lines_match ? path + ":" + std::to_string(lines[i].line) : path;
    if (option.unregistered) reject_unknown(option.string_key, where);
    const impl::KeySpec& spec = impl::key_spec(option.string_key);
    const auto [previous, fresh] = first_seen.emplace(option.string_key, where);
    if (!fresh)
      throw_input_error(spec.subject(), "is set twice (" + previous->second + " and " + where + ")",
                        "keep one of the two settings");
    const std::string value = option.value.empty() ? std::string() : option.value.front();
    const KeyOrigin origin{spec.subject(), where};
    spec.set(config, value, origin);
    config.origins[spec.key()] = origin;
  }
}

}  // namespace strata::config
