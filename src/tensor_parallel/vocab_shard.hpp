// A tensor-parallel rank's block of the vocabulary: the rows of wte it holds
// and, under the tied LM head, the logits' columns it computes.
#pragma once

#include <cstdint>

namespace strata::tensor_parallel {

struct VocabShard {
  std::int64_t begin = 0;  // first class id held here
  std::int64_t size = 0;   // classes held here: vocab_size / tp
  std::int64_t real = 0;   // of them, those below the tokenizer's vocabulary (a prefix)
};

// Rank tp_rank's equal block of a vocabulary of vocab_size classes (the
// model's, possibly padded), of which the first real_vocab are real. An
// input error names [model] vocab_size and [parallel] tp when tp does not
// divide vocab_size: pad the vocabulary (nanoGPT's 50304 divides by 64).
VocabShard vocab_shard(std::int64_t vocab_size, std::int64_t real_vocab, int tp_rank, int tp_size);

}  // namespace strata::tensor_parallel
