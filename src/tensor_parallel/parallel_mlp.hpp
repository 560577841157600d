// Megatron's tensor-parallel MLP: c_fc column-parallel (the rank's 4C/tp
// rows of its weight and bias), GELU on the rank's columns, c_proj
// row-parallel (the rank's 4C/tp columns of its weight). The pair needs one
// all-reduce each way, Megatron's g and f:
//
//   forward   input (replicated) -> c_fc, GELU, c_proj on the local columns
//             -> partial outputs, all-reduced; c_proj's bias enters once,
//             on TP rank 0, before the sum
//   backward  d output (replicated) -> local gradients of all four
//             parameters -> partial input gradients, all-reduced
//
// c_proj's bias is replicated: every rank accumulates the same gradient.
#pragma once

#include <cstdint>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/views.hpp"
#include "tensor_parallel/parallel_linear.hpp"

namespace strata::tensor_parallel {

class ParallelMlp {
 public:
  // This rank's pieces: column = c_fc (fc_w [4C/tp, C], fc_b [4C/tp]),
  // row = c_proj (proj_w [C, 4C/tp], proj_b [C] whole).
  using Weights = ColumnRowWeights;
  using Grads = ColumnRowGrads;

  // rows: N = B·T of every call; channels: C. tp must divide 4C. The
  // activations it keeps for backward ([N, 4C/tp] twice) are ledger
  // activations, its backward scratch workspace.
  ParallelMlp(comm::Communicator& tp, MemoryLedger& ledger, std::int64_t rows,
              std::int64_t channels);

  // out [N, C], overwritten, the same on every TP rank. input is kept (by
  // reference) for backward, as layers keep their input.
  void forward(const kernels::ConstMatrixF& input, const Weights& weights,
               const kernels::MatrixF& out);
  // dinput [N, C], overwritten with the full input gradient on every rank.
  void backward(const kernels::ConstMatrixF& dout, const Weights& weights, const Grads& grads,
                const kernels::MatrixF& dinput);

 private:
  comm::Communicator& tp_;
  std::int64_t rows_, wide_;  // N and 4C/tp
  Tensor fc_, gelu_, dwide_;
  kernels::ConstMatrixF input_;
};

}  // namespace strata::tensor_parallel
