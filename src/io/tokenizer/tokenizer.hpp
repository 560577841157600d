// Tokenizer: text to token ids and back. Two implementations: GPT-2's
// byte-level BPE (gpt2_bpe.hpp) and a character-level one (char_tokenizer.hpp).
// strata-prep records name() and vocab_size() in the token file, so a reader
// can refuse a file made with another tokenizer.
#pragma once

#include <cstdint>
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
};

}  // namespace strata::io
