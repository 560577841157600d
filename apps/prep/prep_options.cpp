// Option parsing. Unknown options name the nearest valid one, because a
// typo in a batch script should cost one glance, not a trip to --help.
#include "prep_options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "core/error.hpp"

namespace strata::prep {
namespace po = boost::program_options;
namespace {

const char* kUsage =
    "usage: strata-prep --input <file | dir | brown:<dir>> --output <tokens.h5>\n"
    "                   --tokenizer gpt2|char [--bpe-dir <dir>] [--val-fraction 0.1]";

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string nearest_option(const std::string& wrong, const po::options_description& options) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& option : options.options()) {
    const std::string name = "--" + option->long_name();
    const std::size_t distance = edit_distance(wrong, name);
    if (distance < best_distance) best_distance = distance, best = name;
  }
  return best;
}

std::string valid_options(const po::options_description& options) {
  std::string list;
  for (const auto& option : options.options())
    list += (list.empty() ? "" : ", ") + std::string("--") + option->long_name();
  return list;
}

double parse_val_fraction(const std::string& text) {
  const std::string subject = "--val-fraction " + text;
  const std::string fix =
      "give a number in [0, 1), e.g. --val-fraction 0.1 (0 for no validation split)";
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
    throw_input_error(subject, "is not a number", fix);
  if (value < 0.0 || value >= 1.0)
    throw_input_error(subject, "is outside [0, 1): the validation split is a fraction of the text",
                      fix);
  return value;
}

std::string tokenizer_name(const std::string& text) {
  if (text == "gpt2" || text == "gpt2-bpe") return "gpt2-bpe";
  if (text == "char") return "char";
  throw_input_error("--tokenizer " + text, "is not a known tokenizer",
                    "use --tokenizer gpt2 (GPT-2 byte-level BPE, vocab 50257) or --tokenizer char "
                    "(characters of the input text)");
}

// Boost reads "-0.5" as an option; so "--val-fraction -0.5" would be
// reported as a missing value. Gluing "--name -<digit...>" into
// "--name=-..." lets the value reach its own range check.
std::vector<std::string> glue_negative_values(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool is_long_option = arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos;
    if (is_long_option && i + 1 < argc && argv[i + 1][0] == '-' &&
        (std::isdigit(static_cast<unsigned char>(argv[i + 1][1])) || argv[i + 1][1] == '.')) {
      args.push_back(arg + "=" + argv[++i]);
    } else {
      args.push_back(arg);
    }
  }
  return args;
}

}  // namespace

std::optional<PrepOptions> parse_prep_options(int argc, char** argv) {
  po::options_description options("strata-prep: text to an HDF5 token file");
  options.add_options()("help", "show this help")(
      "input", po::value<std::string>(), "text file, directory of text files, or brown:<dir>")(
      "output", po::value<std::string>(), "token file to write (.h5)")(
      "tokenizer", po::value<std::string>(), "gpt2 or char")(
      "bpe-dir", po::value<std::string>(),
      "folder with encoder.json and vocab.bpe (default: $STRATA_BPE_DIR, "
      "else " STRATA_DEFAULT_BPE_DIR
      ")")("val-fraction", po::value<std::string>()->default_value("0.1"),
           "fraction of the tokens, at the end, kept for validation: [0, 1)");
  po::variables_map values;
  try {
    // No prefix guessing: a script's --out should not silently mean --output.
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(glue_negative_values(argc, argv))
                  .options(options)
                  .style(style)
                  .run(),
              values);
    po::notify(values);
  } catch (const po::unknown_option& error) {
    const std::string wrong = error.get_option_name();
    throw_input_error(wrong, "is not an option of strata-prep",
                      "did you mean " + nearest_option(wrong, options) +
                          "? Valid options: " + valid_options(options));
  } catch (const po::error& error) {
    throw_input_error("command line", error.what(), std::string(kUsage));
  }
  if (values.count("help")) {
    std::cout << kUsage << "\n\n" << options << "\n";
    return std::nullopt;
  }
  for (const char* required : {"input", "output", "tokenizer"})
    if (!values.count(required))
      throw_input_error(std::string("--") + required, "is required", std::string(kUsage));

  PrepOptions prep;
  prep.input = values["input"].as<std::string>();
  prep.output = values["output"].as<std::string>();
  prep.tokenizer = tokenizer_name(values["tokenizer"].as<std::string>());
  prep.val_fraction = parse_val_fraction(values["val-fraction"].as<std::string>());
  if (values.count("bpe-dir")) {
    prep.bpe_dir = values["bpe-dir"].as<std::string>();
    prep.bpe_dir_origin = "--bpe-dir";
  } else if (const char* env = std::getenv("STRATA_BPE_DIR"); env && *env) {
    prep.bpe_dir = env;
    prep.bpe_dir_origin = "STRATA_BPE_DIR";
  } else {
    prep.bpe_dir = STRATA_DEFAULT_BPE_DIR;
    prep.bpe_dir_origin = "the default GPT-2 folder";
  }
  return prep;
}

}  // namespace strata::prep
