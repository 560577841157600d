// Internal to the attention kernels: one (batch, head)'s row ranges of the
// packed qkv / out matrices as strided views, and the variants' entry
// points that attention.cpp dispatches to.
#pragma once

#include <cstddef>
#include <utility>

#include "kernels/attention.hpp"

namespace strata::kernels::attention_detail {

// Rows [r0, r1) of one sequence, columns [col, col + hs) of a packed matrix:
// a row-major view whose stride(0) is the packed width, ready for gemm().
template <class View>
auto head_rows(const View& packed, int seq_begin, int col, int hs, int r0, int r1) {
  return Kokkos::subview(packed, std::make_pair(seq_begin + r0, seq_begin + r1),
                         std::make_pair(col, col + hs));
}

// Where head h of sequence b lives.
struct HeadIndex {
  int seq_begin;  // b·T, the sequence's first row
  int q_col;      // h·hs; k at q_col + C, v at q_col + 2C in qkv
  int bh;         // b·NH + h, the head's slot in saved buffers
};

inline HeadIndex head_index(const AttentionPlan& plan, int b, int h) {
  return {b * plan.seq, h * plan.head_size(), b * plan.heads + h};
}

// A contiguous rows × cols matrix in scratch or saved memory.
inline UnmanagedMatrix<float> scratch_matrix(float* data, int rows, int cols) {
  return UnmanagedMatrix<float>(data, static_cast<std::size_t>(rows),
                                static_cast<std::size_t>(cols));
}

void materialized_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                          const VectorF& saved, const VectorF& workspace);
void materialized_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                           const ConstMatrixF& qkv, const ConstMatrixF& out,
                           const ConstVectorF& saved, const MatrixF& dqkv,
                           const VectorF& workspace);
// The fused variant (attention_fused.cpp): which head sizes it has loops
// for, whether `automatic` should pick it on this CPU (its loops are blocked
// for AVX-512's registers), the row stride of its saved probabilities (T
// rounded up to whole vectors) and its scratch per call.
bool fused_supports(int head_size);
bool fused_preferred();
int fused_row_stride(int seq);
std::size_t fused_workspace_floats(int seq, int head_size);
void fused_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                   const VectorF& saved, const VectorF& workspace);
void fused_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                    const ConstMatrixF& out, const ConstVectorF& saved, const MatrixF& dqkv,
                    const VectorF& workspace);
void tiled_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                   const VectorF& saved, const VectorF& workspace);
void tiled_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                    const ConstMatrixF& out, const ConstVectorF& saved, const MatrixF& dqkv,
                    const VectorF& workspace);
// The materialised variant's device form (attention_materialized_portable.cpp):
// whole heads, Kokkos row kernels; the plan's buffers.
void materialized_portable_forward(const AttentionPlan& plan, const ConstMatrixF& qkv,
                                   const MatrixF& out, const VectorF& saved);
void materialized_portable_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                                    const ConstMatrixF& qkv, const ConstMatrixF& out,
                                    const ConstVectorF& saved, const MatrixF& dqkv,
                                    const VectorF& workspace);
void portable_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                      const VectorF& saved);
void portable_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                       const ConstMatrixF& out, const ConstVectorF& saved, const MatrixF& dqkv,
                       const VectorF& workspace);

}  // namespace strata::kernels::attention_detail
