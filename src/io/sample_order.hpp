// The global sample order: which token window each sample of each step
// reads, and which DP rank and micro-batch owns each sample. Pure functions
// of (seed, split, step, sample, layout), so every layout sees the same data.
#pragma once

#include <cstdint>

#include "io/token_dataset.hpp"

namespace strata::io {

// A step's global batch G = micro_batch × grad_accum × dp samples.
struct BatchLayout {
  std::uint64_t micro_batch = 1;
  std::uint64_t grad_accum = 1;
  std::uint64_t dp = 1;

  std::uint64_t global_batch() const { return micro_batch * grad_accum * dp; }
  std::uint64_t per_rank() const { return micro_batch * grad_accum; }
  // Throws an input Error naming the [train]/[parallel] key that is zero.
  void validate() const;
};

// Contiguous range [first, first + count) of global sample indices.
struct SampleRange {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

// DP rank d owns samples [d·G/dp, (d+1)·G/dp).
SampleRange samples_of_rank(const BatchLayout& layout, std::uint64_t dp_rank);
// Its micro-batch m holds d·G/dp + m·micro_batch + [0, micro_batch).
SampleRange samples_of_micro_batch(const BatchLayout& layout, std::uint64_t dp_rank,
                                   std::uint64_t micro);

// Where sample `sample` of step `step` starts, relative to the split's
// first token, drawn uniformly from [0, n_starts) where n_starts is the
// number of windows of block_size + 1 tokens that fit in the split:
//   block = philox4x32_10 with key = seed and counter =
//           (sample, step, stream_id("strata/data/<split>")) (core/philox.hpp,
//           CounterRng(seed, stream).block(step·2^32 + sample));
//   offset = (64-bit word of block · n_starts) >> 64.
// Requires sample < 2^32 and step < 2^32 (checked) and n_starts > 0.
std::uint64_t sample_start(std::uint64_t seed, TokenSplit split, std::uint64_t step,
                           std::uint64_t sample, std::uint64_t n_starts);

}  // namespace strata::io
