// Command-line overrides, `--section.key=value` or `--section.key value`,
// parsed with Boost.Program_options against the same key table as the deck.
#include <boost/program_options.hpp>

#include <cctype>

#include "config/impl/key_table.hpp"
#include "config/impl/nearest_key.hpp"
#include "config/load.hpp"
#include "core/error.hpp"

namespace strata::config {
namespace {

namespace po = boost::program_options;

const char* const kDeckOption = "deck";
const char* const kDeepSpeedOption = "deepspeed";
const char* const kCommandLine = "command line";

po::options_description override_options() {
  po::options_description options;
  for (const auto& spec : impl::deck_keys())
    options.add_options()(spec.key().c_str(), po::value<std::string>());
  options.add_options()(kDeckOption, po::value<std::string>())(
      kDeepSpeedOption, po::value<std::string>())("help,h", "");
  return options;
}

// Boost reports "--train.micro_bach=4"-style tokens; keep the bare key.
std::string bare_key(std::string token) {
  token = token.substr(token.find_first_not_of('-') == std::string::npos
                           ? token.size()
                           : token.find_first_not_of('-'));
  return token.substr(0, token.find('='));
}

[[noreturn]] void reject_unknown(const std::string& token) {
  const std::string key = bare_key(token);
  auto candidates = impl::all_dotted_keys();
  candidates.push_back(kDeepSpeedOption);
  const auto suggestion = impl::nearest_key(key, candidates);
  std::string fix = suggestion ? "did you mean --" + *suggestion + "? " : "";
  fix += "Overrides are written --section.key=value; docs/config.md lists every key";
  throw_input_error("--" + key, "unknown option on the command line", fix);
}

// Boost takes "-1" or "-3e-4" after "--key" for a short option, so
// `--activation_checkpointing.num_blocks -1` would fail; join such pairs into the
// `--key=value` form before Boost sees them.
std::vector<std::string> join_negative_values(const std::vector<std::string>& args) {
  std::vector<std::string> joined;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool bare_key = arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos &&
                          impl::find_key(arg.substr(2)) != nullptr;
    const bool negative_next =
        i + 1 < args.size() && args[i + 1].size() > 1 && args[i + 1][0] == '-' &&
        (std::isdigit(static_cast<unsigned char>(args[i + 1][1])) || args[i + 1][1] == '.');
    if (bare_key && negative_next) {
      joined.push_back(arg + "=" + args[++i]);
    } else {
      joined.push_back(arg);
    }
  }
  return joined;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& raw_args) {
  const std::vector<std::string> args = join_negative_values(raw_args);
  const po::options_description options = override_options();
  po::positional_options_description positional;
  positional.add(kDeckOption, 1);
  // No prefix guessing: --train.micro must not quietly mean --train.micro_batch.
  const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
  po::parsed_options parsed(&options);
  try {
    parsed =
        po::command_line_parser(args).options(options).positional(positional).style(style).run();
  } catch (const po::unknown_option& error) {
    reject_unknown(error.get_option_name());
  } catch (const po::too_many_positional_options_error&) {
    throw_input_error("command line", "more than one deck file given",
                      "give one deck and write overrides as --section.key=value");
  } catch (const po::error& error) {
    throw_input_error("command line", error.what(),
                      "write overrides as --section.key=value or --section.key value");
  }

  CommandLine result;
  for (const po::option& option : parsed.options) {
    const std::string value = option.value.empty() ? std::string() : option.value.front();
    if (option.string_key == kDeckOption) {
      result.deck_path = value;
    } else if (option.string_key == kDeepSpeedOption) {
      result.overrides.emplace_back("train.deepspeed_config", value);
    } else if (option.string_key == "help") {
      result.help = true;
    } else {
      result.overrides.emplace_back(option.string_key, value);
    }
  }
  return result;
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_command_line(args);
}

std::string command_line_usage(const std::string& app_name) {
  return "usage: " + app_name +
         " [deck.ini] [--section.key=value ...] [--deepspeed ds_config.json] [--help]\n"
         "  deck.ini            INI input deck; omitted: every key at its default\n"
         "  --section.key=value override one deck key, e.g. --train.micro_batch=8\n"
         "  --deepspeed FILE    merge a DeepSpeed ds_config.json (same as "
         "--train.deepspeed_config=FILE)\n"
         "Every key, its type and default: docs/config.md\n";
}

void apply_overrides(const CommandLine& command_line, Config& config) {
  for (const auto& [key, value] : command_line.overrides) {
    const impl::KeySpec* spec = impl::find_key(key);
    if (!spec) reject_unknown(key);
    const KeyOrigin origin{"--" + key, kCommandLine};
    spec->set(config, value, origin);
    config.origins[key] = origin;
  }
}

}  // namespace strata::config
