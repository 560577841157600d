// The materialised variant for device memory: the same probabilities and
// GEMMs as attention.cpp's, with the row work (causal softmax, D, dS) as
// Kokkos kernels rather than host loops, and whole heads instead of query
// panels (a GPU gains nothing from a panel that fits a CPU's cache, and
// launches fewer kernels without them). The GEMMs go to cuBLAS/rocBLAS
// through gemm(); the saved probabilities and the workspace are exactly
// the host plan's, so the ledger's activation formulas hold on a GPU.
#include <Kokkos_Core.hpp>

#include "kernels/attention_heads.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/gemm.hpp"

namespace strata::kernels::attention_detail {
namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;

// rows × T probabilities in place: row r is query i = r mod T of its head,
// softmax over keys 0..i, zero after (so P V and Pᵀ dO may run over all
// keys).
void causal_softmax(float* scores, std::int64_t rows, int seq) {
  Kokkos::parallel_for(
      "strata::attention_causal_softmax", Team(static_cast<int>(rows), Kokkos::AUTO),
      KOKKOS_LAMBDA(const Member& team) {
        const std::int64_t r = team.league_rank();
        const int keys = static_cast<int>(r % seq) + 1;
        float* row = scores + r * seq;
        float max = 0;  // the Max reducer starts from the lowest float
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, keys),
            [&](int j, float& m) { m = row[j] > m ? row[j] : m; }, Kokkos::Max<float>(max));
        float sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, keys),
            [&](int j, float& partial) { partial += kmath::exp(row[j] - max); }, sum);
        const float inverse = 1.0f / sum;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, seq), [&](int j) {
          row[j] = j < keys ? kmath::exp(row[j] - max) * inverse : 0.0f;
        });
      });
}

}  // namespace

void materialized_portable_forward(const AttentionPlan& plan, const ConstMatrixF& qkv,
                                   const MatrixF& out, const VectorF& saved) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  const auto heads = static_cast<std::int64_t>(plan.batch) * plan.heads;
  for (int b = 0; b < plan.batch; ++b)
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      gemm(Trans::no, Trans::yes, plan.scale(), head_rows(qkv, at.seq_begin, at.q_col, hs, 0, t),
           head_rows(qkv, at.seq_begin, at.q_col + c, hs, 0, t), 0.0f,
           scratch_matrix(saved.data() + static_cast<std::size_t>(at.bh) * t * t, t, t));
    }
  causal_softmax(saved.data(), heads * t, t);
  for (int b = 0; b < plan.batch; ++b)
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      gemm(Trans::no, Trans::no, 1.0f,
           scratch_matrix(saved.data() + static_cast<std::size_t>(at.bh) * t * t, t, t),
           head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, 0, t), 0.0f,
           head_rows(out, at.seq_begin, at.q_col, hs, 0, t));
    }
}

// dP = dO Vᵀ, dS = P ∘ (dP − D) with D[i] = dO[i]·O[i], dQ = scale·dS K,
// dK = scale·dSᵀ Q, dV = Pᵀ dO; one head at a time in the plan's workspace.
void materialized_portable_backward(const AttentionPlan& plan, const ConstMatrixF& dout,
                                    const ConstMatrixF& qkv, const ConstMatrixF& out,
                                    const ConstVectorF& saved, const MatrixF& dqkv,
                                    const VectorF& workspace) {
  const int t = plan.seq, hs = plan.head_size(), c = plan.channels;
  float* grad_data = workspace.data();  // dP, then dS in place
  float* d = workspace.data() + static_cast<std::size_t>(t) * t;
  const auto grad = scratch_matrix(grad_data, t, t);
  const float* go = dout.data();
  const float* o = out.data();
  const auto ldd = static_cast<std::int64_t>(dout.stride(0)),
             ldo = static_cast<std::int64_t>(out.stride(0));
  for (int b = 0; b < plan.batch; ++b)
    for (int h = 0; h < plan.heads; ++h) {
      const HeadIndex at = head_index(plan, b, h);
      const float* probs_data = saved.data() + static_cast<std::size_t>(at.bh) * t * t;
      const UnmanagedMatrix<const float> probs(probs_data, t, t);
      const std::int64_t first = at.seq_begin, col = at.q_col;
      Kokkos::parallel_for(
          "strata::attention_row_dots", Kokkos::RangePolicy<ExecSpace>(0, t), KOKKOS_LAMBDA(int i) {
            const float* a = go + (first + i) * ldd + col;
            const float* bo = o + (first + i) * ldo + col;
            float sum = 0;
            for (int k = 0; k < hs; ++k) sum += a[k] * bo[k];
            d[i] = sum;
          });
      gemm(Trans::no, Trans::yes, 1.0f, head_rows(dout, at.seq_begin, at.q_col, hs, 0, t),
           head_rows(qkv, at.seq_begin, at.q_col + 2 * c, hs, 0, t), 0.0f, grad);
      Kokkos::parallel_for(
          "strata::attention_softmax_grad",
          Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(
              0, static_cast<std::int64_t>(t) * t),
          KOKKOS_LAMBDA(std::int64_t e) {
            grad_data[e] = probs_data[e] * (grad_data[e] - d[e / t]);
          });
      gemm(Trans::no, Trans::no, plan.scale(), grad,
           head_rows(qkv, at.seq_begin, at.q_col + c, hs, 0, t), 0.0f,
           head_rows(dqkv, at.seq_begin, at.q_col, hs, 0, t));
      gemm(Trans::yes, Trans::no, plan.scale(), grad,
           head_rows(qkv, at.seq_begin, at.q_col, hs, 0, t), 0.0f,
           head_rows(dqkv, at.seq_begin, at.q_col + c, hs, 0, t));
      gemm(Trans::yes, Trans::no, 1.0f, probs, head_rows(dout, at.seq_begin, at.q_col, hs, 0, t),
           0.0f, head_rows(dqkv, at.seq_begin, at.q_col + 2 * c, hs, 0, t));
    }
}

}  // namespace strata::kernels::attention_detail
