// The two ends of a Megatron pair (a column-parallel linear layer, some
// local op, a row-parallel one), which ParallelMlp and ParallelAttention
// share: the weights each rank holds, the row-parallel forward that ends in
// g, and the column-parallel backward that ends in f's conjugate.
#pragma once

#include "comm/communicator.hpp"
#include "kernels/views.hpp"

namespace strata::tensor_parallel {

// This rank's pieces: the column-parallel layer's rows of weight and bias,
// the row-parallel layer's columns of weight, and its bias whole
// (replicated).
struct ColumnRowWeights {
  kernels::ConstMatrixF column_w;
  kernels::ConstVectorF column_b;
  kernels::ConstMatrixF row_w;
  kernels::ConstVectorF row_b;
};
struct ColumnRowGrads {  // accumulated into, as the kernels do
  kernels::MatrixF column_w;
  kernels::VectorF column_b;
  kernels::MatrixF row_w;
  kernels::VectorF row_b;
};

// out = Σ over the group of input · row_wᵀ, plus row_b once: the bias
// enters through TP rank 0's partial, then g sums the partials in place.
void row_parallel_forward(comm::Communicator& tp, const kernels::ConstMatrixF& input,
                          const kernels::ConstMatrixF& weight, const kernels::ConstVectorF& bias,
                          const kernels::MatrixF& out);

// The column-parallel layer's backward: accumulates its local weight and
// bias gradients and leaves the full input gradient (f's conjugate: the sum
// of the ranks' partials) in dinput on every rank.
void column_parallel_backward(comm::Communicator& tp, const kernels::ConstMatrixF& dout,
                              const kernels::ConstMatrixF& input,
                              const kernels::ConstMatrixF& weight, const kernels::MatrixF& dinput,
                              const kernels::MatrixF& dweight, const kernels::VectorF& dbias);

}  // namespace strata::tensor_parallel
