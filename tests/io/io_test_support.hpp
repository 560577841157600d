// Helpers shared by the io tests: scratch directories (one per test run,
// shared by all ranks) and small token files with known contents.
#pragma once

#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "io/token_dataset.hpp"

namespace strata::io::testing {

using strata::testing::ScratchDir;
using strata::testing::SharedScratchDir;

// Deterministic tokens below vocab_size that differ from their neighbours,
// so a read from a wrong offset cannot pass by accident.
inline std::vector<std::uint32_t> pattern_tokens(std::uint64_t n, std::uint64_t vocab_size) {
  std::vector<std::uint32_t> tokens(n);
  for (std::uint64_t i = 0; i < n; ++i)
    tokens[i] = static_cast<std::uint32_t>((i * 2654435761ull + 12345) % vocab_size);
  return tokens;
}

inline TokenFileInfo test_info(std::uint64_t n, std::uint64_t train, std::uint64_t vocab_size,
                               const std::string& tokenizer = "gpt2-bpe") {
  TokenFileInfo info;
  info.tokenizer = tokenizer;
  info.vocab_size = vocab_size;
  info.source = "test pattern";
  info.source_sha256 = std::string(64, '0');
  info.n_tokens = n;
  info.train_tokens = train;
  info.val_fraction = static_cast<double>(n - train) / static_cast<double>(n);
  return info;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace strata::io::testing
