// Portable attention: Kokkos teams, one query row (forward, dQ) or one key
// row (dK, dV) per team, scores kept in team scratch and recomputed in
// backward from the saved log-sum-exp, as flash attention does. Written for
// device memory, where the host variants' per-head BLAS calls cannot run;
// on the host backends it runs too, which is how its tests check it
// against the materialised variant.
#include <Kokkos_Core.hpp>

#include "kernels/attention_heads.hpp"
#include "kernels/fast_math.hpp"

namespace strata::kernels::attention_detail {
namespace {

using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using ScratchFloats =
    Kokkos::View<float*, ExecSpace::scratch_memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

// Scores of a row live in the team's scratch: level 0 (on-chip shared
// memory on GPUs) while it fits, else level 1 (global memory).
constexpr std::size_t kLevel0Bytes = 32 * 1024;

// The scratch level for `count` floats per team (shmem_size is host code,
// so kernels are handed the level rather than work it out).
int scratch_level(std::size_t count) {
  return ScratchFloats::shmem_size(count) <= kLevel0Bytes ? 0 : 1;
}

Team team_policy(int league, std::size_t count) {
  return Team(league, Kokkos::AUTO)
      .set_scratch_size(scratch_level(count), Kokkos::PerTeam(ScratchFloats::shmem_size(count)));
}

// Where (b, h, row) lives: rows of a sequence are consecutive in qkv.
struct RowIndex {
  int row;   // b·T + t: the row of qkv / out / dout
  int pos;   // t
  int head;  // h
  int bh;    // b·NH + h
};

KOKKOS_INLINE_FUNCTION RowIndex row_index(int league_rank, int seq, int heads) {
  // league = (b·NH + h)·T + t: a team's neighbours share a head's K and V.
  const int t = league_rank % seq, bh = league_rank / seq;
  return {(bh / heads) * seq + t, t, bh % heads, bh};
}

KOKKOS_INLINE_FUNCTION float dot(const float* a, const float* b, int n) {
  float sum = 0;
  for (int d = 0; d < n; ++d) sum += a[d] * b[d];
  return sum;
}

}  // namespace

void portable_forward(const AttentionPlan& plan, const ConstMatrixF& qkv, const MatrixF& out,
                      const VectorF& saved) {
  const int seq = plan.seq, heads = plan.heads, hs = plan.head_size(), c = plan.channels;
  const float scale = plan.scale();
  const float* base = qkv.data();
  const auto ld = static_cast<int>(qkv.stride(0));
  float* o = out.data();
  const auto ldo = static_cast<int>(out.stride(0));
  float* lse = saved.data();
  const int level = scratch_level(static_cast<std::size_t>(seq));
  Kokkos::parallel_for(
      "strata::attention_portable_forward",
      team_policy(plan.batch * heads * seq, static_cast<std::size_t>(seq)),
      KOKKOS_LAMBDA(const Member& team) {
        const RowIndex r = row_index(team.league_rank(), seq, heads);
        const int seq_begin = r.row - r.pos;
        const float* q = base + static_cast<std::size_t>(r.row) * ld + r.head * hs;
        const ScratchFloats s(team.team_scratch(level), static_cast<std::size_t>(seq));
        const int keys = r.pos + 1;  // causal: keys 0..t
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, keys), [&](int j) {
          const float* k = base + static_cast<std::size_t>(seq_begin + j) * ld + c + r.head * hs;
          s(j) = scale * dot(q, k, hs);
        });
        team.team_barrier();
        float max = 0;  // the Max reducer starts from the lowest float
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, keys), [&](int j, float& m) { m = s(j) > m ? s(j) : m; },
            Kokkos::Max<float>(max));
        float sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, keys),
            [&](int j, float& total) {
              s(j) = kmath::exp(s(j) - max);
              total += s(j);
            },
            sum);
        team.team_barrier();
        const float inverse = 1.0f / sum;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, hs), [&](int d) {
          const float* v =
              base + static_cast<std::size_t>(seq_begin) * ld + 2 * c + r.head * hs + d;
          float acc = 0;
          for (int j = 0; j < keys; ++j) acc += s(j) * v[static_cast<std::size_t>(j) * ld];
          o[static_cast<std::size_t>(r.row) * ldo + r.head * hs + d] = acc * inverse;
        });
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          lse[static_cast<std::size_t>(r.bh) * seq + r.pos] = max + kmath::log(sum);
        });
      });
}

void portable_backward(const AttentionPlan& plan, const ConstMatrixF& dout, const ConstMatrixF& qkv,
                       const ConstMatrixF& out, const ConstVectorF& saved, const MatrixF& dqkv,
                       const VectorF& workspace) {
  const int seq = plan.seq, heads = plan.heads, hs = plan.head_size(), c = plan.channels;
  const float scale = plan.scale();
  const float* base = qkv.data();
  const auto ld = static_cast<int>(qkv.stride(0));
  const float* o = out.data();
  const auto ldo = static_cast<int>(out.stride(0));
  const float* dO = dout.data();
  const auto ldd = static_cast<int>(dout.stride(0));
  float* dbase = dqkv.data();
  const auto ldg = static_cast<int>(dqkv.stride(0));
  const float* lse = saved.data();
  float* delta = workspace.data();  // D = rowsum(dO ∘ O), one per (b, h, t)
  const int league = plan.batch * heads * seq;
  const int dq_level = scratch_level(static_cast<std::size_t>(seq));
  const int dkv_level = scratch_level(2 * static_cast<std::size_t>(seq));

  // Query rows: D, then dQ = scale · Σ_j dS_ij k_j with dS = P ∘ (dP − D).
  Kokkos::parallel_for(
      "strata::attention_portable_backward_dq", team_policy(league, static_cast<std::size_t>(seq)),
      KOKKOS_LAMBDA(const Member& team) {
        const RowIndex r = row_index(team.league_rank(), seq, heads);
        const int seq_begin = r.row - r.pos;
        const float* q = base + static_cast<std::size_t>(r.row) * ld + r.head * hs;
        const float* go = dO + static_cast<std::size_t>(r.row) * ldd + r.head * hs;
        const float* oi = o + static_cast<std::size_t>(r.row) * ldo + r.head * hs;
        const float row_lse = lse[static_cast<std::size_t>(r.bh) * seq + r.pos];
        float d_i = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, hs), [&](int d, float& total) { total += go[d] * oi[d]; },
            d_i);
        Kokkos::single(Kokkos::PerTeam(team),
                       [&]() { delta[static_cast<std::size_t>(r.bh) * seq + r.pos] = d_i; });
        const ScratchFloats ds(team.team_scratch(dq_level), static_cast<std::size_t>(seq));
        const int keys = r.pos + 1;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, keys), [&](int j) {
          const std::size_t key_row = static_cast<std::size_t>(seq_begin + j) * ld;
          const float p =
              kmath::exp(scale * dot(q, base + key_row + c + r.head * hs, hs) - row_lse);
          const float dp = dot(go, base + key_row + 2 * c + r.head * hs, hs);
          ds(j) = p * (dp - d_i);
        });
        team.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, hs), [&](int d) {
          const float* k = base + static_cast<std::size_t>(seq_begin) * ld + c + r.head * hs + d;
          float acc = 0;
          for (int j = 0; j < keys; ++j) acc += ds(j) * k[static_cast<std::size_t>(j) * ld];
          dbase[static_cast<std::size_t>(r.row) * ldg + r.head * hs + d] = scale * acc;
        });
      });

  // Key rows: dV_j = Σ_i P_ij dO_i and dK_j = scale · Σ_i dS_ij q_i over the
  // queries i ≥ j that see key j.
  Kokkos::parallel_for(
      "strata::attention_portable_backward_dkv",
      team_policy(league, 2 * static_cast<std::size_t>(seq)), KOKKOS_LAMBDA(const Member& team) {
        const RowIndex r = row_index(team.league_rank(), seq, heads);
        const int seq_begin = r.row - r.pos;
        const float* k = base + static_cast<std::size_t>(r.row) * ld + c + r.head * hs;
        const float* v = k + c;
        const ScratchFloats pd(team.team_scratch(dkv_level), 2 * static_cast<std::size_t>(seq));
        const int queries = seq - r.pos;  // i = pos .. T-1
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, queries), [&](int n) {
          const int i = r.pos + n;
          const std::size_t at = static_cast<std::size_t>(r.bh) * seq + i;
          const float* q = base + static_cast<std::size_t>(seq_begin + i) * ld + r.head * hs;
          const float* go = dO + static_cast<std::size_t>(seq_begin + i) * ldd + r.head * hs;
          const float p = kmath::exp(scale * dot(q, k, hs) - lse[at]);
          pd(n) = p;
          pd(seq + n) = p * (dot(go, v, hs) - delta[at]);
        });
        team.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, hs), [&](int d) {
          float dv = 0, dk = 0;
          for (int n = 0; n < queries; ++n) {
            const std::size_t row = static_cast<std::size_t>(seq_begin + r.pos + n);
            dv += pd(n) * dO[row * ldd + r.head * hs + d];
            dk += pd(seq + n) * base[row * ld + r.head * hs + d];
          }
          float* g = dbase + static_cast<std::size_t>(r.row) * ldg + r.head * hs + d;
          g[c] = scale * dk;
          g[2 * c] = dv;
        });
      });
}

}  // namespace strata::kernels::attention_detail
