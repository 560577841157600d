// Megatron's tensor-parallel attention: c_attn column-parallel over whole
// heads (the rank's rows of Q, of K and of V: TensorSplit{0, 3, r, tp}),
// the attention kernels on the rank's n_head/tp heads, c_proj row-parallel
// (the rank's C/tp columns). Like ParallelMlp it needs one all-reduce each
// way: the partial outputs forward (c_proj's bias entering on TP rank 0),
// the partial input gradients backward.
#pragma once

#include <cstdint>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/attention.hpp"
#include "kernels/views.hpp"
#include "tensor_parallel/parallel_linear.hpp"

namespace strata::tensor_parallel {

class ParallelAttention {
 public:
  // This rank's pieces: column = c_attn (its heads' rows of Q, K and V:
  // [3C/tp, C] and [3C/tp]), row = c_proj ([C, C/tp], bias [C] whole).
  using Weights = ColumnRowWeights;
  using Grads = ColumnRowGrads;

  // batch × seq rows of channels; tp must divide heads (an input error
  // naming both numbers otherwise).
  ParallelAttention(comm::Communicator& tp, MemoryLedger& ledger, int batch, int seq, int channels,
                    int heads);

  void forward(const kernels::ConstMatrixF& input, const Weights& weights,
               const kernels::MatrixF& out);
  void backward(const kernels::ConstMatrixF& dout, const Weights& weights, const Grads& grads,
                const kernels::MatrixF& dinput);

 private:
  comm::Communicator& tp_;
  kernels::AttentionPlan plan_;  // the rank's heads
  std::int64_t rows_, local_;    // N and C/tp
  Tensor qkv_, atty_, saved_, workspace_, dqkv_, datty_;
  kernels::ConstMatrixF input_;
};

}  // namespace strata::tensor_parallel
