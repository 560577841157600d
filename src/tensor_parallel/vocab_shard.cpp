// The vocabulary's split over the tensor-parallel group.
#include "tensor_parallel/vocab_shard.hpp"

#include <algorithm>
#include <string>

#include "core/contract.hpp"
#include "core/error.hpp"

namespace strata::tensor_parallel {

VocabShard vocab_shard(std::int64_t vocab_size, std::int64_t real_vocab, int tp_rank, int tp_size) {
  STRATA_EXPECTS(tp_size >= 1 && tp_rank >= 0 && tp_rank < tp_size);
  STRATA_EXPECTS(real_vocab >= 1 && real_vocab <= vocab_size);
  if (vocab_size % tp_size != 0) {
    throw STRATA_ERROR("[parallel] tp = " + std::to_string(tp_size) +
                           " does not divide [model] vocab_size = " + std::to_string(vocab_size),
                       "[model] vocab_size",
                       "the embedding and the LM head split the vocabulary evenly over the "
                       "tensor-parallel ranks; pad vocab_size up to a multiple of tp (GPT-2's "
                       "50257 is padded to 50304, a multiple of 64)");
  }
  VocabShard shard;
  shard.size = vocab_size / tp_size;
  shard.begin = shard.size * tp_rank;
  shard.real = std::clamp<std::int64_t>(real_vocab - shard.begin, 0, shard.size);
  return shard;
}

}  // namespace strata::tensor_parallel
