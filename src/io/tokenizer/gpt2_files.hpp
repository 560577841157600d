// Reading GPT-2's vocabulary files, encoder.json (token text -> id) and
// vocab.bpe (merges in rank order), with errors that name the file and line.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace strata::io {

struct Gpt2VocabFiles {
  // Index = token id; each token's bytes (decoded from its byte-level text).
  std::vector<std::string> token_bytes;
  // The merges, rank = index, each pair decoded to bytes.
  std::vector<std::pair<std::string, std::string>> merges;
};

// Reads <dir>/encoder.json and <dir>/vocab.bpe. Throws strata::Error naming
// the file, and the line for vocab.bpe, when one is missing or corrupt.
Gpt2VocabFiles read_gpt2_vocab_files(const std::filesystem::path& dir);

}  // namespace strata::io
