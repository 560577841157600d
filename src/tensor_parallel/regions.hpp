// Megatron's paired region operators over the tensor-parallel group, in one
// place: each is a forward and, in backward, its conjugate. The model's
// tensor-parallel layers (src/model) are built from them.
//
//   operator          forward                          backward
//   copy_to (f)       identity: every rank holds x     all-reduce: Σ of the partial dx
//   reduce_from (g)   all-reduce: Σ of partial y       identity: dy is replicated
//   scatter_columns   keep the rank's column block     all-gather the column blocks
//   gather_columns    all-gather the column blocks     keep the rank's column block
//
// Matrices are row-major [N, cols]; a column block is cols/tp consecutive
// columns, block r on rank r. One-rank groups make no collective.
#pragma once

#include "comm/communicator.hpp"
#include "kernels/views.hpp"

namespace strata::tensor_parallel {

// f: the input of a column-parallel layer. Forward is the identity, so only
// the backward exists as a call: sums the partial input gradients in place.
void copy_to_region_backward(comm::Communicator& tp, const kernels::MatrixF& dinput);

// g: the output of a row-parallel layer. Sums the partial outputs in place;
// its backward is the identity.
void reduce_from_region_forward(comm::Communicator& tp, const kernels::MatrixF& output);

// full [N, C] -> local [N, C/tp]: the rank's column block (its conjugate in
// backward is gather_columns).
void scatter_columns(comm::Communicator& tp, const kernels::ConstMatrixF& full,
                     const kernels::MatrixF& local);

// local [N, C/tp] -> full [N, C] on every rank (its conjugate in backward is
// scatter_columns). staging: N·C floats of scratch for the all-gather.
void gather_columns(comm::Communicator& tp, const kernels::ConstMatrixF& local,
                    const kernels::MatrixF& full, const kernels::VectorF& staging);

}  // namespace strata::tensor_parallel
