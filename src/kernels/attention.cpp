// Attention planning, argument checks and dispatch, and the materialised
// variant: per head the causal T×T probabilities, in block-triangular GEMMs.
// (The fused and tiled variants live in attention_fused.cpp, attention_tiled.cpp.)
#include "kernels/attention.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "kernels/attention_heads.hpp"
#include "kernels/attention_rows.hpp"
#include "kernels/gemm.hpp"

namespace strata::kernels {

namespace {
// The host variants issue BLAS calls per query panel, or run vector loops,
// from host code. Device memory (kDeviceMemoryIsHostMemory false) takes the
// materialised variant's device form (its GEMMs on the vendor BLAS) while
// its B·NH·T² saved floats stay modest, the portable one, which saves one
// float per row, for longer sequences. At gpt2-124M, T = 1024, B = 8 on
// an H100 a layer's forward and backward took about 26 ms materialised
// against 86 ms portable (docs/gpu.md).
constexpr int kDeviceMaterializedMaxSeq = 2048;
AttentionAlgo device_choice(int seq) {
  return seq <= kDeviceMaterializedMaxSeq ? AttentionAlgo::materialized : AttentionAlgo::portable;
}
}  // namespace

float AttentionPlan::scale() const { return 1.0f / std::sqrt(static_cast<float>(head_size())); }

AttentionPlan plan_attention(int batch, int seq, int channels, int heads,
                             const AttentionOptions& options) {
  if (heads < 1 || channels < 1 || channels % heads != 0) {
    throw_input_error("[model] n_head",
                      std::to_string(heads) + " heads do not divide n_embd = " +
                          std::to_string(channels) + " channels into equal heads",
                      "choose n_head so that n_embd / n_head is a whole number (GPT-2: 64)");
  }
  if (batch < 1 || seq < 1 || options.block_q < 0 || options.block_k < 0) {
    throw STRATA_ERROR("attention planned for an empty batch or negative blocks (" +
                           std::to_string(batch) + "x" + std::to_string(seq) + ")",
                       "strata::kernels::plan_attention",
                       "this is a bug in Strata; please report it");
  }
  AttentionPlan plan;
  plan.batch = batch;
  plan.seq = seq;
  plan.channels = channels;
  plan.heads = heads;
  const bool fused_fits = attention_detail::fused_supports(plan.head_size());
  if (options.algo == AttentionAlgo::fused && !fused_fits) {
    throw STRATA_ERROR("fused attention asked for head size " + std::to_string(plan.head_size()),
                       "strata::kernels::plan_attention",
                       "use AttentionAlgo::automatic, which falls back to materialized");
  }
  if (!kDeviceMemoryIsHostMemory && options.algo != AttentionAlgo::automatic &&
      options.algo != AttentionAlgo::portable && options.algo != AttentionAlgo::materialized) {
    throw STRATA_ERROR("a host attention variant was asked for in device memory",
                       "strata::kernels::plan_attention",
                       "use AttentionAlgo::automatic, which picks a device variant there");
  }
  const bool fused_wins =
      fused_fits && attention_detail::fused_preferred() && seq < AttentionPlan::fused_below_seq;
  plan.algo = options.algo != AttentionAlgo::automatic ? options.algo
              : !kDeviceMemoryIsHostMemory             ? device_choice(seq)
              : fused_wins                             ? AttentionAlgo::fused
              : seq < AttentionPlan::tiled_from_seq    ? AttentionAlgo::materialized
                                                       : AttentionAlgo::tiled;
  const auto heads_total = static_cast<std::size_t>(batch) * static_cast<std::size_t>(heads);
  const auto t = static_cast<std::size_t>(seq);
  if (plan.algo == AttentionAlgo::fused) {
    // Rows padded to whole vectors, so a block's loads never leave its row.
    plan.saved_floats =
        heads_total * t * static_cast<std::size_t>(attention_detail::fused_row_stride(seq));
    plan.workspace_floats = attention_detail::fused_workspace_floats(seq, plan.head_size());
  } else if (plan.algo == AttentionAlgo::materialized) {
    // Row panels of 64 queries: a panel's scores stay in L1/L2 between the
    // QKᵀ GEMM, the softmax and the PV GEMM, and skipping the blocks above
    // the diagonal saves up to half the FLOPs; 64 was fastest forward +
    // backward at T = 256 and within noise of the best at 1024 (docs/blas.md).
    // (Device memory: whole heads, no panels; block_q = T says so.)
    plan.block_q = !kDeviceMemoryIsHostMemory ? seq : options.block_q > 0 ? options.block_q : 64;
    plan.block_k = seq;
    plan.saved_floats = heads_total * t * t;
    plan.workspace_floats = t * t + t;  // backward: dP/dS of one head, and D
  } else if (plan.algo == AttentionAlgo::portable) {
    plan.saved_floats = heads_total * t;      // log-sum-exp per row
    plan.workspace_floats = heads_total * t;  // backward: D per row
  } else {
    // 128 queries × 64 keys: the best forward + backward at T = 1024 in the
    // sweep of docs/blas.md (backward, five GEMMs per tile, dominates).
    plan.block_q = options.block_q > 0 ? options.block_q : 128;
    plan.block_k = options.block_k > 0 ? options.block_k : 64;
    const auto tile = static_cast<std::size_t>(plan.block_q) * plan.block_k;
    plan.saved_floats = heads_total * t;  // log-sum-exp per row
    // forward: one score tile, m, l, corr; backward: score and dP tiles, D.
    plan.workspace_floats = std::max(tile + 3 * plan.block_q, 2 * tile + t);
  }
  return plan;
}

namespace {

// Always checked: a short buffer here means out-of-bounds writes.
void check_arguments(const AttentionPlan& plan, const ConstMatrixF& qkv, std::size_t out_cols,
                     std::size_t out_rows, std::size_t saved, std::size_t workspace) {
  const auto rows = static_cast<std::size_t>(plan.batch) * static_cast<std::size_t>(plan.seq);
  const auto c = static_cast<std::size_t>(plan.channels);
  if (plan.algo == AttentionAlgo::automatic || qkv.extent(0) != rows || qkv.extent(1) != 3 * c ||
      out_rows != rows || out_cols != c || saved < plan.saved_floats ||
      workspace < plan.workspace_floats) {
    throw STRATA_ERROR(
        "attention arguments do not match its plan (B=" + std::to_string(plan.batch) +
            " T=" + std::to_string(plan.seq) + " C=" + std::to_string(plan.channels) + ")",
        "strata::kernels::attention", "this is a bug in Strata; please report it");
  }
}

}  // namespace

void attention_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                       const VectorF& saved, const VectorF& workspace) {
  check_arguments(plan, qkv, out.extent(1), out.extent(0), saved.extent(0), workspace.extent(0));
  if (plan.algo == AttentionAlgo::portable) {
    attention_detail::portable_forward(plan, qkv, out, saved);
  } else if (plan.algo == AttentionAlgo::fused) {
    attention_detail::fused_forward(plan, qkv, out, saved, workspace);
  } else if (plan.algo == AttentionAlgo::materialized && !kDeviceMemoryIsHostMemory) {
    attention_detail::materialized_portable_forward(plan, qkv, out, saved);
  } else if (plan.algo == AttentionAlgo::materialized) {
    attention_detail::materialized_forward(plan, qkv, out, saved, workspace);
  } else {
    attention_detail::tiled_forward(plan, qkv, out, saved, workspace);
  }
}

void attention_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                        const ConstMatrixF& qkv, const ConstMatrixF& out, const ConstVectorF& saved,
                        const MatrixF& dqkv, const VectorF& workspace) {
  check_arguments(plan, qkv, out.extent(1), out.extent(0), saved.extent(0), workspace.extent(0));
  if (dout.extent(0) != out.extent(0) || dout.extent(1) != out.extent(1) ||
      dqkv.extent(0) != qkv.extent(0) || dqkv.extent(1) != qkv.extent(1)) {
    throw STRATA_ERROR("attention_backward: dout/dqkv shapes differ from out/qkv",
                       "strata::kernels::attention_backward",
                       "this is a bug in Strata; please report it");
  }
  if (plan.algo == AttentionAlgo::portable) {
    attention_detail::portable_backward(plan, dout, qkv, out, saved, dqkv, workspace);
  } else if (plan.algo == AttentionAlgo::fused) {
    attention_detail::fused_backward(plan, dout, qkv, out, saved, dqkv, workspace);
  } else if (plan.algo == AttentionAlgo::materialized && !kDeviceMemoryIsHostMemory) {
    attention_detail::materialized_portable_backward(plan, dout, qkv, out, saved, dqkv, workspace);
  } else if (plan.algo == AttentionAlgo::materialized) {
    attention_detail::materialized_backward(plan, dout, qkv, out, saved, dqkv, workspace);
  } else {
    attention_detail::tiled_backward(plan, dout, qkv, out, saved, dqkv, workspace);
  }
}

namespace attention_detail {

// Per head, per panel of query rows [r0, r1): S = scale·Q Kᵀ over keys
// [0, r1) only (later keys are masked), softmax in place, O = P V. The
// probabilities stay in `saved`, panels above the diagonal never written.
void materialized_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                          const VectorF& saved, const VectorF& /*workspace*/) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      const auto probs =
          scratch_matrix(saved.data() + static_cast<std::size_t>(at.bh) * t * t, t, t);
      for (int r0 = 0; r0 < t; r0 += plan.block_q) {
        const int r1 = std::min(t, r0 + plan.block_q);
        const auto panel = Kokkos::subview(probs, std::make_pair(r0, r1), std::make_pair(0, r1));
        gemm(Trans::no, Trans::yes, plan.scale(),
             head_rows(qkv, at.seq_begin, at.q_col, hs, r0, r1),
             head_rows(qkv, at.seq_begin, at.q_col + c, hs, 0, r1), 0.0f, panel);
        attention_rows::softmax({panel.data(), t, r1 - r0, r1, r0 + 1});
        gemm(Trans::no, Trans::no, 1.0f, panel,
             head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, 0, r1), 0.0f,
             head_rows(out, at.seq_begin, at.q_col, hs, r0, r1));
      }
    }
  }
}

// With D[i] = dO[i]·O[i] (= Σ_j P_ij dP_ij):
//   dP = dO Vᵀ,  dS = P ∘ (dP − D),  dQ = scale·dS K,
//   dK = scale·dSᵀ Q,  dV = Pᵀ dO,
// row panels for dP/dS/dQ, then column panels for dK/dV (a key column only
// meets the queries at or after it).
void materialized_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                           const ConstMatrixF& qkv, const ConstMatrixF& out,
                           const ConstVectorF& saved, const MatrixF& dqkv,
                           const VectorF& workspace) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  const auto grad = scratch_matrix(workspace.data(), t, t);  // dP, then dS in place
  float* d = workspace.data() + static_cast<std::size_t>(t) * t;
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      const float* probs_data = saved.data() + static_cast<std::size_t>(at.bh) * t * t;
      const UnmanagedMatrix<const float> probs(probs_data, t, t);
      for (int i = 0; i < t; ++i) {
        d[i] = attention_rows::dot(&dout(at.seq_begin + i, at.q_col),
                                   &out(at.seq_begin + i, at.q_col), hs);
      }
      for (int r0 = 0; r0 < t; r0 += plan.block_q) {
        const int r1 = std::min(t, r0 + plan.block_q);
        const auto panel = Kokkos::subview(grad, std::make_pair(r0, r1), std::make_pair(0, r1));
        gemm(Trans::no, Trans::yes, 1.0f, head_rows(dout, at.seq_begin, at.q_col, hs, r0, r1),
             head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, 0, r1), 0.0f, panel);
        attention_rows::softmax_grad({panel.data(), t, r1 - r0, r1, r0 + 1},
                                     probs_data + static_cast<std::size_t>(r0) * t, t, d + r0);
        gemm(Trans::no, Trans::no, plan.scale(), panel,
             head_rows(qkv, at.seq_begin, at.q_col + c, hs, 0, r1), 0.0f,
             head_rows(dqkv, at.seq_begin, at.q_col, hs, r0, r1));
      }
      for (int c0 = 0; c0 < t; c0 += plan.block_q) {
        const int c1 = std::min(t, c0 + plan.block_q);
        const auto rows = std::make_pair(c0, t), cols = std::make_pair(c0, c1);
        gemm(Trans::yes, Trans::no, plan.scale(), Kokkos::subview(grad, rows, cols),
             head_rows(qkv, at.seq_begin, at.q_col, hs, c0, t), 0.0f,
             head_rows(dqkv, at.seq_begin, at.q_col + c, hs, c0, c1));
        gemm(Trans::yes, Trans::no, 1.0f, Kokkos::subview(probs, rows, cols),
             head_rows(dout, at.seq_begin, at.q_col, hs, c0, t), 0.0f,
             head_rows(dqkv, at.seq_begin, at.q_col + 2 * c, hs, c0, c1));
      }
    }
  }
}

}  // namespace attention_detail
}  // namespace strata::kernels
