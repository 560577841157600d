// The fused variant for small heads (hs a multiple of 16, at most 64): per
// (batch, head) and per block of R query rows, the scores, the causal
// softmax and the value sums one after another while the rows are in L1, in
// our own register-blocked loops (attention_fused_blocks.hpp). Per-head BLAS
// calls at these sizes run at 20–45 % of the SGEMM peak and pay a call and a
// packing copy per panel (docs/blas.md); here nothing above the diagonal's
// vector is computed and the only copy is one transposed K (V backward).
#include <algorithm>

#include "kernels/attention_fused_blocks.hpp"
#include "kernels/attention_heads.hpp"

// Host code only. Under CUDA, nvcc's device pass (which defines
// __CUDA_ARCH__) has nothing to compile here, and nvcc 13.0's device front
// end crashes on this file's vector loops, so that pass does not see them.
#if !defined(__CUDA_ARCH__)

namespace strata::kernels::attention_detail {
namespace {

using namespace attention_fused;

constexpr int kMaxHeadVectors = 4;  // hs ≤ 64

// One head's rows in the packed matrices (row i at base + i·ld) and its
// slices of the saved and scratch buffers.
struct HeadRows {
  const float* q;
  const float* k;
  const float* v;
  int ld_qkv;
  float* work;  // scratch, fused_workspace_floats
  int t;
  int width;  // T rounded up to whole vectors: the row stride of p and the scratch
  float scale;
  const float* next_q;  // the next head's (null for the last), and backward its
  const float* next_p;  // probabilities: prefetched while this head computes
};

struct ForwardHead : HeadRows {
  float* p;  // probabilities, T rows of `width`, saved for backward
  float* out;
  int ld_out;
};

struct BackwardHead : HeadRows {
  const float* p;
  const float* dout;
  int ld_dout;
  float* dq;  // dk, dv: ld_dqkv
  float* dk;
  float* dv;
  int ld_dqkv;
};

// Rows [first, last) of `width` floats from base, into L2 (kWrite: in a
// state that lets them be written without another request). L2, not L1: a
// head's working set fills L1, which would evict them before the next head.
template <bool kWrite = false>
STRATA_ALWAYS_INLINE void prefetch_rows(const float* base, long ld, int first, int last,
                                        int width) {
  constexpr int kLine = 64 / sizeof(float);
  constexpr int kL2 = 2;  // __builtin_prefetch locality: 3 is L1, 2 L2
  for (int i = first; i < last; ++i) {
    const float* row = base + i * ld;
    for (int j = 0; j < width; j += kLine) __builtin_prefetch(row + j, kWrite, kL2);
    __builtin_prefetch(row + width - 1, kWrite, kL2);  // a row need not start on a line
  }
}

// Backward reads q, k, v and the probabilities a whole forward pass after
// they were written, from L3 or memory, and forward writes the
// probabilities to lines long out of cache; a head's rows are 128–256
// bytes strided by 3C floats, which the hardware prefetchers follow too
// late. So each row block asks for the same rows of the next head.
enum class Probabilities { read, written };

template <Probabilities kUse>
STRATA_ALWAYS_INLINE void prefetch_next_head(const HeadRows& x, int hs, int i0, int i1) {
  if (x.next_q == nullptr) return;
  for (const long offset : {0L, static_cast<long>(x.k - x.q), static_cast<long>(x.v - x.q)})
    prefetch_rows(x.next_q + offset, x.ld_qkv, i0, i1, hs);
  prefetch_rows<kUse == Probabilities::written>(x.next_p, x.width, i0, i1, round_up(i1, kLanes));
}

// R row pointers for rows i0 … i0+R−1 of a matrix, the last valid row
// repeated past t (a partial block computes it again and does not store it).
template <int R>
STRATA_ALWAYS_INLINE void block_rows(const float* base, long ld, int i0, int t,
                                     const float* (&rows)[R]) {
  for (int r = 0; r < R; ++r) rows[r] = base + std::min(i0 + r, t - 1) * ld;
}

// Per block of R query rows: S = scale·Q Kᵀ (keys up to the block's last
// row), P = causal softmax(S) into the saved rows, O = P V.
template <int HV>
STRATA_ALWAYS_INLINE void forward_head(const ForwardHead& x) {
  constexpr int kHs = kLanes * HV, kR = rows_per_block(HV);
  const int t = x.t, ld = x.width;
  float* kt = x.work;                           // hs × width
  float* s = kt + static_cast<long>(kHs) * ld;  // R × width
  transpose_rows<HV>(x.k, x.ld_qkv, t, kt, ld);
  for (int i0 = 0; i0 < t; i0 += kR) {
    const int rows = std::min(kR, t - i0), keys = std::min(t, i0 + kR);
    const float* q_rows[kR];
    const float* p_rows[kR];
    block_rows<kR>(x.q, x.ld_qkv, i0, t, q_rows);
    block_rows<kR>(x.p, ld, i0, t, p_rows);
    prefetch_next_head<Probabilities::written>(x, kHs, i0, keys);
    score_rows<kR>(q_rows, kHs, kt, ld, round_up(keys, kLanes) / kLanes, x.scale, s, ld);
    softmax_rows<kR>(s, ld, i0, rows, x.p, ld);
    weighted_rows<kR, HV>(p_rows, keys, x.v, x.ld_qkv, 1.0f,
                          x.out + static_cast<long>(i0) * x.ld_out, x.ld_out, rows);
  }
}

// Per block of R query rows dP = dO Vᵀ, dS = P ∘ (dP − rowsum(P ∘ dP))
// (kept whole), dQ = scale·dS K; then per block of R key columns
// dK = scale·dSᵀ Q and dV = Pᵀ dO over the queries at or after them.
template <int HV>
STRATA_ALWAYS_INLINE void backward_head(const BackwardHead& x) {
  constexpr int kHs = kLanes * HV, kR = rows_per_block(HV);
  const int t = x.t, ld = x.width;
  float* vt = x.work;                            // hs × width
  float* dp = vt + static_cast<long>(kHs) * ld;  // R × width
  float* ds = dp + static_cast<long>(kR) * ld;   // T × width
  transpose_rows<HV>(x.v, x.ld_qkv, t, vt, ld);
  for (int i0 = 0; i0 < t; i0 += kR) {
    const int rows = std::min(kR, t - i0), keys = std::min(t, i0 + kR);
    const float* dout_rows[kR];
    const float* ds_rows[kR];
    block_rows<kR>(x.dout, x.ld_dout, i0, t, dout_rows);
    block_rows<kR>(ds, ld, i0, t, ds_rows);
    prefetch_next_head<Probabilities::read>(x, kHs, i0, keys);
    score_rows<kR>(dout_rows, kHs, vt, ld, round_up(keys, kLanes) / kLanes, 1.0f, dp, ld);
    softmax_grad_rows<kR>(x.p, ld, dp, ld, i0, rows, ds, ld);
    weighted_rows<kR, HV>(ds_rows, keys, x.k, x.ld_qkv, x.scale,
                          x.dq + static_cast<long>(i0) * x.ld_dqkv, x.ld_dqkv, rows);
  }
  for (int j0 = 0; j0 < t; j0 += kR) {
    const int rows = std::min(kR, t - j0);
    const long at = static_cast<long>(j0) * x.ld_dqkv;
    weighted_columns<kR, HV>(ds, ld, j0, j0, t, x.q, x.ld_qkv, x.scale, x.dk + at, x.ld_dqkv, rows);
    weighted_columns<kR, HV>(x.p, ld, j0, j0, t, x.dout, x.ld_dout, 1.0f, x.dv + at, x.ld_dqkv,
                             rows);
  }
}

// The clones: one per ISA level, each with all head sizes inlined.
STRATA_X86_CLONES void forward_one_head(const ForwardHead& x, int head_vectors) {
  switch (head_vectors) {
    case 1: forward_head<1>(x); break;
    case 2: forward_head<2>(x); break;
    case 3: forward_head<3>(x); break;
    default: forward_head<4>(x); break;
  }
}

STRATA_X86_CLONES void backward_one_head(const BackwardHead& x, int head_vectors) {
  switch (head_vectors) {
    case 1: backward_head<1>(x); break;
    case 2: backward_head<2>(x); break;
    case 3: backward_head<3>(x); break;
    default: backward_head<4>(x); break;
  }
}

// Where head `at`'s probabilities start in the saved buffer.
std::size_t saved_offset(const AttentionPlan& plan, const HeadIndex& at) {
  return static_cast<std::size_t>(at.bh) * static_cast<std::size_t>(plan.seq) *
         static_cast<std::size_t>(fused_row_stride(plan.seq));
}

// Head (b, h) and the one after it in the loop order of the passes below.
HeadRows head_rows_of(const AttentionPlan& plan, const ConstMatrixF& qkv, int b, int h,
                      const float* saved, float* work) {
  const long ld = static_cast<long>(qkv.stride(0));
  const auto q_of = [&](const HeadIndex& at) { return qkv.data() + at.seq_begin * ld + at.q_col; };
  const HeadIndex at = head_index(plan, b, h);
  const float* q = q_of(at);
  const bool last = b + 1 == plan.batch && h + 1 == plan.heads;
  const HeadIndex next =
      h + 1 < plan.heads ? head_index(plan, b, h + 1) : head_index(plan, b + 1, 0);
  return {q,
          q + plan.channels,
          q + 2 * plan.channels,
          static_cast<int>(ld),
          work,
          plan.seq,
          fused_row_stride(plan.seq),
          plan.scale(),
          last ? nullptr : q_of(next),
          last ? nullptr : saved + saved_offset(plan, next)};
}

}  // namespace

bool fused_supports(int head_size) {
  return head_size > 0 && head_size % kLanes == 0 && head_size <= kLanes * kMaxHeadVectors;
}

bool fused_preferred() { return simd::host_has_avx512(); }

int fused_row_stride(int seq) { return round_up(seq, kLanes); }

std::size_t fused_workspace_floats(int seq, int head_size) {
  // backward's: transposed V, one row block of dP (R ≤ 8 rows), dS
  const auto width = static_cast<std::size_t>(fused_row_stride(seq));
  return (static_cast<std::size_t>(head_size) + 8 + static_cast<std::size_t>(seq)) * width;
}

void fused_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                   const VectorF& saved, const VectorF& workspace) {
  const int head_vectors = plan.head_size() / kLanes;
  const long ld_out = static_cast<long>(out.stride(0));
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      ForwardHead x{head_rows_of(plan, qkv, b, h, saved.data(), workspace.data()),
                    saved.data() + saved_offset(plan, at),
                    out.data() + at.seq_begin * ld_out + at.q_col, static_cast<int>(ld_out)};
      forward_one_head(x, head_vectors);
    }
  }
}

void fused_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                    const ConstMatrixF& /*out: D comes from P and dP*/, const ConstVectorF& saved,
                    const MatrixF& dqkv, const VectorF& workspace) {
  const int head_vectors = plan.head_size() / kLanes;
  const long ld_d = static_cast<long>(dqkv.stride(0));
  const long ld_dout = static_cast<long>(dout.stride(0));
  for (int b = 0; b < plan.batch; ++b) {
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      float* dq = dqkv.data() + at.seq_begin * ld_d + at.q_col;
      BackwardHead x{head_rows_of(plan, qkv, b, h, saved.data(), workspace.data()),
                     saved.data() + saved_offset(plan, at),
                     dout.data() + at.seq_begin * ld_dout + at.q_col,
                     static_cast<int>(ld_dout),
                     dq,
                     dq + plan.channels,
                     dq + 2 * plan.channels,
                     static_cast<int>(ld_d)};
      backward_one_head(x, head_vectors);
    }
  }
}

}  // namespace strata::kernels::attention_detail

#endif  // !defined(__CUDA_ARCH__)
