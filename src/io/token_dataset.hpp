// The token file format ("strata-tokens" v1) that strata-prep writes and
// training reads: its attributes, its train/val split, and the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::io {

inline constexpr const char* kTokenFormat = "strata-tokens";
inline constexpr std::uint64_t kTokenFormatVersion = 1;
inline constexpr const char* kTokensDataset = "tokens";

enum class TokenSplit { train = 0, val = 1 };
const char* split_name(TokenSplit split);

// Half-open range [begin, end) of token positions in /tokens.
struct TokenRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
};

// Everything stored beside the tokens (the root group's attributes).
struct TokenFileInfo {
  std::string tokenizer;  // Tokenizer::name(): "gpt2-bpe" or "char"
  std::uint64_t vocab_size = 0;
  std::string tokenizer_vocab;  // char: the vocabulary string; gpt2-bpe: ""
  std::string source;           // where the text came from, for people
  std::string source_sha256;    // of the exact text given to the tokenizer
  std::uint64_t n_tokens = 0;
  double val_fraction = 0.0;  // as requested; the cut sits at a boundary
  std::uint64_t train_tokens = 0;

  // train = [0, train_tokens), val = [train_tokens, n_tokens).
  TokenRange range(TokenSplit split) const;
  // Bytes per stored token: 2 (uint16) when every id fits, else 4 (uint32).
  unsigned token_bytes() const { return vocab_size <= 65536 ? 2 : 4; }
};

// Writes tokens and info to path atomically: the file is built under a
// temporary name in the same directory, flushed, fsynced and renamed, so a
// crash leaves either the old file or the complete new one. info.n_tokens
// must equal tokens.size(); every id must be < info.vocab_size. Serial: call
// it on one rank. Errors name path.
void write_token_file(const std::string& path, const std::vector<std::uint32_t>& tokens,
                      const TokenFileInfo& info);

// Throws an input Error naming `option` if path cannot be created: its
// directory is missing or not writable, or path is a directory. Meant to run
// before hours of tokenizing rather than after.
void require_writable_output(const std::string& path, const std::string& option);

}  // namespace strata::io
