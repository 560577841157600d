// Causal multi-head self-attention forward and backward on packed qkv, in
// three variants behind one plan: materialised probabilities through BLAS,
// the same fused into register-blocked loops for small heads, or
// flash-style tiles with an online softmax.
#pragma once

#include <cstddef>

#include "kernels/views.hpp"

namespace strata::kernels {

enum class AttentionAlgo {
  automatic,     // fused where it applies (and AVX-512), else materialized below
                 // tiled_from_seq, else tiled
  materialized,  // per head the T×T probabilities, saved for backward: fast for short T
  tiled,         // only a log-sum-exp per row saved; scores recomputed in backward: O(T) memory
  fused,         // materialized in our own vector loops, no BLAS: head sizes 16, 32, 48, 64
  portable,      // Kokkos teams, one row each; a log-sum-exp per row saved: the one
                 // variant for device memory (CUDA, HIP), which automatic always picks there
};

// Everything forward and backward must agree on, fixed once per model: the
// shape, the resolved variant and how many floats its buffers need (so the
// caller allocates them as ledger-counted Tensors).
struct AttentionPlan {
  // From this sequence length on `automatic` picks `tiled`. Measured at
  // hs 64 on one Zen 5 core (docs/blas.md): materialised is faster up to
  // T = 512 and level at 1024, where its B·NH·T² saved floats (192 MiB per
  // layer for GPT-2 at B = 4) start to dominate the activations.
  static constexpr int tiled_from_seq = 1024;
  // `automatic` picks `fused` below this length when the head size allows
  // it and the CPU has AVX-512. At hs 64 it is faster up to T = 512 and
  // slower at 1024, where its T×T scratch of dS outgrows L2 (docs/performance.md).
  static constexpr int fused_below_seq = 1024;

  int batch = 0;                                     // B
  int seq = 0;                                       // T
  int channels = 0;                                  // C = heads · head_size
  int heads = 0;                                     // NH
  AttentionAlgo algo = AttentionAlgo::materialized;  // never automatic once planned
  int block_q = 0;  // query rows per GEMM panel / tile (not fused: its blocks are fixed)
  int block_k = 0;  // key columns per tile (tiled only)
  std::size_t saved_floats = 0;      // forward → backward: probabilities or log-sum-exps
  std::size_t workspace_floats = 0;  // scratch for either pass, reused across heads

  int head_size() const { return channels / heads; }
  float scale() const;  // 1 / sqrt(head_size)
};

struct AttentionOptions {
  AttentionAlgo algo = AttentionAlgo::automatic;
  int block_q = 0;  // 0: the measured default of the variant
  int block_k = 0;  // 0: the measured default (tiled only)
};

// Throws strata::Error (naming [model] n_head) when heads does not divide
// channels; batch, seq ≥ 1; `fused` asked for a head size it has no loops for.
AttentionPlan plan_attention(int batch, int seq, int channels, int heads,
                             const AttentionOptions& options = {});

// qkv [B·T, 3C]: columns [0, C) queries, [C, 2C) keys, [2C, 3C) values, head
// h in columns h·hs … (h+1)·hs − 1 of each (PyTorch's c_attn output).
// out [B·T, C]: the heads' outputs side by side. Overwrites out and saved;
// saved (plan.saved_floats) must be kept for backward; workspace
// (plan.workspace_floats) is scratch.
void attention_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                       const VectorF& saved, const VectorF& workspace);

// dqkv [B·T, 3C] = ∂loss/∂qkv from dout [B·T, C], given forward's qkv, out
// and saved. Overwrites dqkv (its only producer in the model).
void attention_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                        const ConstMatrixF& qkv, const ConstMatrixF& out, const ConstVectorF& saved,
                        const MatrixF& dqkv, const VectorF& workspace);

}  // namespace strata::kernels
