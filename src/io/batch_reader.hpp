// Batches for training and evaluation: each rank reads only its own samples
// of the global batch (sample_order.hpp) from the token file, in parallel.
#pragma once

#include <cstdint>
#include <vector>

#include "io/sample_order.hpp"
#include "io/token_dataset_reader.hpp"

namespace strata::io {

// rows samples of block_size positions each, row-major. Row r is global
// sample samples[r]; inputs[r][t] is the token at offsets[r] + t of the file
// and targets[r][t] the one after it.
struct TokenBatch {
  std::uint64_t rows = 0;
  std::uint64_t block_size = 0;
  std::vector<std::uint64_t> samples;
  std::vector<std::uint64_t> offsets;
  std::vector<std::int32_t> inputs;
  std::vector<std::int32_t> targets;

  std::int32_t input(std::uint64_t row, std::uint64_t t) const {
    return inputs[row * block_size + t];
  }
  std::int32_t target(std::uint64_t row, std::uint64_t t) const {
    return targets[row * block_size + t];
  }
};

class BatchReader {
 public:
  // Keeps a reference to data, which must outlive the reader. The block
  // size must fit in both splits (TokenDataset::open checked it when given
  // the same block_size); a split that is too short throws here.
  BatchReader(const TokenDataset& data, BatchLayout layout, std::uint64_t block_size,
              std::uint64_t seed);

  const BatchLayout& layout() const { return layout_; }

  // File offset of the first input token of global sample `sample` of `step`.
  std::uint64_t sample_offset(TokenSplit split, std::uint64_t step, std::uint64_t sample) const;

  // Micro-batch `micro` of DP rank dp_rank at `step`: one independent read.
  TokenBatch micro_batch(TokenSplit split, std::uint64_t step, std::uint64_t dp_rank,
                         std::uint64_t micro) const;
  // All grad_accum micro-batches of dp_rank at `step`, in order, one read.
  TokenBatch rank_batch(TokenSplit split, std::uint64_t step, std::uint64_t dp_rank) const;
  // Any contiguous range of global samples (a one-rank reader asks for [0, G)).
  TokenBatch read_samples(TokenSplit split, std::uint64_t step, SampleRange range) const;

 private:
  const TokenDataset* data_;
  BatchLayout layout_;
  std::uint64_t block_size_;
  std::uint64_t seed_;
};

}  // namespace strata::io
