// The row-parallel end of a Megatron pair (a column-parallel linear layer,
// some local op, a row-parallel one): the partial products of the rank's
// input columns, summed over the TP group by g, with the replicated bias
// entering once. The column-parallel end needs no helper: its forward is a
// local GEMM on the replicated input, its backward a local GEMM followed by
// f's conjugate (copy_to_region_backward).
#pragma once

#include "comm/communicator.hpp"
#include "kernels/views.hpp"

namespace strata::tensor_parallel {

// out = Σ over the group of input · weightᵀ, plus bias once: the bias
// enters through TP rank 0's partial, then g sums the partials in place.
// weight_scratch: as kernels::matmul_forward's (empty: none).
void row_parallel_forward(comm::Communicator& tp, const kernels::ConstMatrixF& input,
                          const kernels::ConstMatrixF& weight, const kernels::ConstVectorF& bias,
                          const kernels::MatrixF& out,
                          const kernels::VectorF& weight_scratch = kernels::VectorF());

}  // namespace strata::tensor_parallel
