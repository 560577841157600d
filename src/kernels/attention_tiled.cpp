// Tiled (flash-style) causal attention: scores exist one query×key tile at a
// time; forward keeps a running max and sum per row (online softmax) and
// saves only log-sum-exp, backward recomputes each tile's probabilities.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/attention_heads.hpp"
#include "kernels/attention_rows.hpp"
#include "kernels/gemm.hpp"

namespace strata::kernels::attention_detail {

// For each query block [r0, r1), the key blocks [c0, c1) up to the diagonal:
//   S = scale·Q Kᵀ;  m_new = max(m, rowmax S);  P = exp(S − m_new);
//   l = l·e^(m − m_new) + Σ P;  O = O·e^(m − m_new) + P V
// then O /= l and lse = m + log l. O accumulates in `out` itself.
void tiled_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                   const VectorF& saved, const VectorF& workspace) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  const int bq = plan.block_q, bk = plan.block_k;
  float* tile = workspace.data();
  float* m = tile + static_cast<std::size_t>(bq) * bk;
  float* l = m + bq;
  float* corr = l + bq;
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      float* lse = saved.data() + static_cast<std::size_t>(at.bh) * t;
      for (int r0 = 0; r0 < t; r0 += bq) {
        const int r1 = std::min(t, r0 + bq), rows = r1 - r0;
        std::fill(m, m + rows, -std::numeric_limits<float>::infinity());
        std::fill(l, l + rows, 0.0f);
        const auto q = head_rows(qkv, at.seq_begin, at.q_col, hs, r0, r1);
        const auto o = head_rows(out, at.seq_begin, at.q_col, hs, r0, r1);
        for (int c0 = 0; c0 < r1; c0 += bk) {  // keys at or after r1 are all masked
          const int c1 = std::min(r1, c0 + bk), width = c1 - c0;
          const auto s = scratch_matrix(tile, rows, width);
          gemm(Trans::no, Trans::yes, plan.scale(), q,
               head_rows(qkv, at.seq_begin, at.q_col + c, hs, c0, c1), 0.0f, s);
          attention_rows::online_softmax({tile, width, rows, width, r0 + 1 - c0}, m, l, corr);
          if (c0 > 0) {
            for (int r = 0; r < rows; ++r) {
              if (corr[r] != 1.0f) attention_rows::scale(&o(r, 0), hs, corr[r]);
            }
          }
          gemm(Trans::no, Trans::no, 1.0f, s,
               head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, c0, c1), c0 == 0 ? 0.0f : 1.0f,
               o);
        }
        for (int r = 0; r < rows; ++r) {
          attention_rows::scale(&o(r, 0), hs, 1.0f / l[r]);
          lse[r0 + r] = m[r] + std::log(l[r]);
        }
      }
    }
  }
}

// For each key block [c0, c1), the query blocks that can see it:
//   P = exp(scale·Q Kᵀ − lse);  dV += Pᵀ dO;  dP = dO Vᵀ;
//   dS = P ∘ (dP − D);  dQ += scale·dS K;  dK += scale·dSᵀ Q
// with D = rowsum(dO ∘ O). Keys outermost, so a block's dK, dV are finished
// before the next; dQ is overwritten by the first key block (which every
// query row sees) and added to by the rest.
void tiled_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                    const ConstMatrixF& out, const ConstVectorF& saved, const MatrixF& dqkv,
                    const VectorF& workspace) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  const int bq = plan.block_q, bk = plan.block_k;
  const std::size_t tile_floats = static_cast<std::size_t>(bq) * bk;
  float* p_tile = workspace.data();
  float* dp_tile = p_tile + tile_floats;
  float* d = dp_tile + tile_floats;
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      const float* lse = saved.data() + static_cast<std::size_t>(at.bh) * t;
      for (int i = 0; i < t; ++i) {
        d[i] = attention_rows::dot(&dout(at.seq_begin + i, at.q_col),
                                   &out(at.seq_begin + i, at.q_col), hs);
      }
      for (int c0 = 0; c0 < t; c0 += bk) {
        const int c1 = std::min(t, c0 + bk), width = c1 - c0;
        const auto k = head_rows(qkv, at.seq_begin, at.q_col + c, hs, c0, c1);
        const auto v = head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, c0, c1);
        const auto dk = head_rows(dqkv, at.seq_begin, at.q_col + c, hs, c0, c1);
        const auto dv = head_rows(dqkv, at.seq_begin, at.q_col + 2 * c, hs, c0, c1);
        const int first_r0 = (c0 / bq) * bq;  // the query block holding row c0
        for (int r0 = first_r0; r0 < t; r0 += bq) {
          const int r1 = std::min(t, r0 + bq), rows = r1 - r0;
          const bool first = r0 == first_r0;
          const auto q = head_rows(qkv, at.seq_begin, at.q_col, hs, r0, r1);
          const auto dout_rows = head_rows(dout, at.seq_begin, at.q_col, hs, r0, r1);
          const auto p = scratch_matrix(p_tile, rows, width);
          const auto ds = scratch_matrix(dp_tile, rows, width);
          gemm(Trans::no, Trans::yes, plan.scale(), q, k, 0.0f, p);
          attention_rows::probabilities({p_tile, width, rows, width, r0 + 1 - c0}, lse + r0);
          gemm(Trans::yes, Trans::no, 1.0f, p, dout_rows, first ? 0.0f : 1.0f, dv);
          gemm(Trans::no, Trans::yes, 1.0f, dout_rows, v, 0.0f, ds);
          attention_rows::softmax_grad({dp_tile, width, rows, width, r0 + 1 - c0}, p_tile, width,
                                       d + r0);
          gemm(Trans::no, Trans::no, plan.scale(), ds, k, c0 == 0 ? 0.0f : 1.0f,
               head_rows(dqkv, at.seq_begin, at.q_col, hs, r0, r1));
          gemm(Trans::yes, Trans::no, plan.scale(), ds, q, first ? 0.0f : 1.0f, dk);
        }
      }
    }
  }
}

}  // namespace strata::kernels::attention_detail
