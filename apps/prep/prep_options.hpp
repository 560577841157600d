// strata-prep's command line: parsing with Boost.Program_options and the
// checks that make a bad option an input error naming it and the fix.
#pragma once

#include <optional>
#include <string>

namespace strata::prep {

struct PrepOptions {
  std::string input;      // file, directory or brown:<dir>
  std::string output;     // the .h5 to write
  std::string tokenizer;  // Tokenizer::name(): "gpt2-bpe" or "char"
  std::string bpe_dir;    // resolved: --bpe-dir, else $STRATA_BPE_DIR, else the build's default
  std::string bpe_dir_origin;  // which of the three it came from, for messages
  double val_fraction = 0.1;
};

// nullopt after printing --help. Throws an input Error for anything wrong.
std::optional<PrepOptions> parse_prep_options(int argc, char** argv);

}  // namespace strata::prep
