// Character-level tokenizer as in nanoGPT's shakespeare_char: the vocabulary
// is the sorted set of distinct code points of the training text, and a
// token is a code point's index in it.
#pragma once

#include <string>
#include <unordered_map>

#include "io/tokenizer/tokenizer.hpp"

namespace strata::io {

class CharTokenizer final : public Tokenizer {
 public:
  static constexpr const char* kName = "char";

  // The distinct code points of `text` (valid UTF-8, non-empty), sorted.
  static CharTokenizer fit(std::string_view text);

  // From a stored vocabulary: its characters in ascending code point order,
  // each once, as UTF-8 (exactly what vocabulary() returns).
  explicit CharTokenizer(std::string_view vocabulary);

  std::string name() const override { return kName; }
  std::uint32_t vocab_size() const override { return static_cast<std::uint32_t>(chars_.size()); }
  // A character outside the vocabulary, or invalid UTF-8, is an error naming
  // the character and its byte offset.
  std::vector<TokenId> encode(std::string_view text) const override;
  std::string decode(const std::vector<TokenId>& ids) const override;

  const std::string& vocabulary() const { return vocabulary_; }
  const std::vector<char32_t>& chars() const { return chars_; }

 private:
  explicit CharTokenizer(std::vector<char32_t> chars);

  std::vector<char32_t> chars_;     // id -> code point, ascending
  std::string vocabulary_;          // chars_ as UTF-8
  std::vector<TokenId> ascii_ids_;  // code point < 128 -> id, or kAbsent
  std::unordered_map<char32_t, TokenId> other_ids_;
};

}  // namespace strata::io
