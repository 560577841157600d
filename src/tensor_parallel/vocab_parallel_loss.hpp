// The vocabulary-parallel softmax cross-entropy of Megatron's tensor
// parallelism: every TP rank holds the logits of its block of the
// vocabulary ([N, V/tp], from its rows of the tied wte), and two reductions
// over the TP group stand in for the full [N, V] rows that never exist.
//
//   1. each row's max over the rank's real columns    all-reduce max  (N floats)
//   2. exp(x - max) in place, its row sums, and the
//      target's shifted logit where the rank holds it  all-reduce sum  (2N floats)
//   3. loss = log Σ - (x_target - max) on every rank, and the logits become
//      d loss / d logits = (softmax - onehot)·dloss for the rank's columns.
#pragma once

#include <cstdint>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/views.hpp"
#include "tensor_parallel/vocab_shard.hpp"

namespace strata::tensor_parallel {

class VocabParallelCrossEntropy {
 public:
  // rows: the N every call runs on. The row statistics (3N floats) are
  // ledger workspace.
  VocabParallelCrossEntropy(comm::Communicator& tp, MemoryLedger& ledger, std::int64_t rows);

  // logits [N, shard.size]: this rank's columns, OVERWRITTEN with d loss /
  // d logits (dloss per row, as kernels::cross_entropy_forward_backward;
  // pass 0 to evaluate only). targets [N] are global class ids below the
  // real vocabulary. losses [N] receives every row's loss, equal on all TP
  // ranks. Returns the mean loss over the N rows.
  double forward_backward(const kernels::MatrixF& logits,
                          const kernels::Vector<const std::int32_t>& targets,
                          const VocabShard& shard, float dloss, const kernels::VectorF& losses);

 private:
  comm::Communicator& tp_;
  std::int64_t rows_;
  Tensor stats_;  // [3, N]: row max, then the exp sums and target logits reduced together
};

}  // namespace strata::tensor_parallel
