// Fused softmax cross-entropy: one work item per row, three passes over the
// row (max, exp and sum, scale), the last two served from cache.
#include "kernels/cross_entropy.hpp"

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/softmax_rows.hpp"
#include "kernels/team_reductions.hpp"

namespace strata::kernels {
namespace {

using TargetsI32 = Vector<const std::int32_t>;

// Rows run on the host (kHostExec) through the ISA clones below; on a
// device, one team per row (team_reductions.hpp). exp_approx comes from
// fast_math.hpp.
using softmax_rows::row_max;
using softmax_rows::sum_exp;

// One row of the backward: reads logits x, leaves dlogits in d (d may be
// x). Returns the row's loss.
KOKKOS_INLINE_FUNCTION float row_backward(const float* x, std::int64_t V, std::int64_t Vp,
                                          std::int32_t target, float dloss, float* d) {
  const float m = row_max(x, V);
  const float x_target = x[target];  // read before d (maybe x) is written
  const double sum = sum_exp<true>(x, m, V, d);
  const float scale = static_cast<float>(dloss / sum);
  for (std::int64_t c = 0; c < V; ++c) d[c] *= scale;
  for (std::int64_t c = V; c < Vp; ++c) d[c] = 0.0f;
  d[target] -= dloss;
  return static_cast<float>(kmath::log(sum)) - (x_target - m);
}

// Preconditions only: compiled out of Release builds, hence the casts.
void check_shapes(const ConstMatrixF& logits, const TargetsI32& targets, std::int64_t vocab) {
  (void)logits, (void)targets, (void)vocab;
  STRATA_EXPECTS(targets.extent(0) == logits.extent(0));
  STRATA_EXPECTS(vocab > 0 && vocab <= static_cast<std::int64_t>(logits.extent(1)));
#if defined(STRATA_CONTRACTS)
  std::int64_t bad = 0;
  Kokkos::parallel_reduce(
      "strata::cross_entropy_check", Kokkos::RangePolicy<ExecSpace>(0, targets.extent(0)),
      KOKKOS_LAMBDA(std::int64_t n, std::int64_t & sum) {
        sum += (targets(n) < 0 || targets(n) >= vocab) ? 1 : 0;
      },
      bad);
  STRATA_EXPECTS(bad == 0);
#endif
}

KOKKOS_INLINE_FUNCTION float row_forward(const float* x, std::int64_t V, std::int32_t target) {
  const float m = row_max(x, V);
  return static_cast<float>(kmath::log(sum_exp<false>(x, m, V, nullptr))) - (x[target] - m);
}

// The host's row loops, compiled for SSE2, AVX2+FMA and AVX-512 and picked
// when the program loads: the default flags target SSE2 only, and the exp
// makes these loops compute-bound.
STRATA_X86_CLONES float row_forward_host(const float* x, std::int64_t V, std::int32_t target) {
  return row_forward(x, V, target);
}
STRATA_X86_CLONES float row_backward_host(const float* x, std::int64_t V, std::int64_t Vp,
                                          std::int32_t target, float dloss, float* d) {
  return row_backward(x, V, Vp, target, dloss, d);
}

using softmax_rows::sum_rows;

}  // namespace

double cross_entropy_forward(const ConstMatrixF& logits, const TargetsI32& targets,
                             std::int64_t vocab, const VectorF& losses) {
  check_shapes(logits, targets, vocab);
  STRATA_EXPECTS(losses.extent(0) == logits.extent(0));
  const std::int64_t N = logits.extent(0), ld = logits.stride(0);
  if (N == 0) return 0.0;
  const float* x = logits.data();
  const std::int32_t* t = targets.data();
  float* loss = losses.data();
  // A device: a team per row (a thread per row left a GPU nearly idle).
  if (!kHostExec)
    return team_reductions::cross_entropy_rows(logits, targets, vocab, 0.0f, MatrixF(), losses) /
           static_cast<double>(N);
  const double total = sum_rows(
      "strata::cross_entropy_forward", N,
      [=](std::int64_t n) { return loss[n] = row_forward_host(x + n * ld, vocab, t[n]); },
      KOKKOS_LAMBDA(std::int64_t n, double& sum) {
        sum += loss[n] = row_forward(x + n * ld, vocab, t[n]);
      });
  return total / static_cast<double>(N);
}

void cross_entropy_backward(const ConstMatrixF& logits, const TargetsI32& targets,
                            std::int64_t vocab, float dloss, const MatrixF& dlogits) {
  check_shapes(logits, targets, vocab);
  STRATA_EXPECTS(dlogits.extent(0) == logits.extent(0) && dlogits.extent(1) == logits.extent(1));
  const std::int64_t N = logits.extent(0), Vp = logits.extent(1);
  const std::int64_t x_ld = logits.stride(0), d_ld = dlogits.stride(0);
  const float* x = logits.data();
  const std::int32_t* t = targets.data();
  float* d = dlogits.data();
  if (!kHostExec) {
    team_reductions::cross_entropy_rows(logits, targets, vocab, dloss, dlogits, VectorF());
    return;
  }
  sum_rows(
      "strata::cross_entropy_backward", N,
      [=](std::int64_t n) {
        return row_backward_host(x + n * x_ld, vocab, Vp, t[n], dloss, d + n * d_ld);
      },
      KOKKOS_LAMBDA(std::int64_t n, double& sum) {
        sum += row_backward(x + n * x_ld, vocab, Vp, t[n], dloss, d + n * d_ld);
      });
}

double cross_entropy_forward_backward(const MatrixF& logits, const TargetsI32& targets,
                                      std::int64_t vocab, float dloss, const VectorF& losses) {
  check_shapes(logits, targets, vocab);
  STRATA_EXPECTS(losses.extent(0) == logits.extent(0));
  const std::int64_t N = logits.extent(0), Vp = logits.extent(1), ld = logits.stride(0);
  if (N == 0) return 0.0;
  float* x = logits.data();
  const std::int32_t* t = targets.data();
  float* loss = losses.data();
  if (!kHostExec)
    return team_reductions::cross_entropy_rows(logits, targets, vocab, dloss, logits, losses) /
           static_cast<double>(N);
  const double total = sum_rows(
      "strata::cross_entropy_forward_backward", N,
      [=](std::int64_t n) {
        return loss[n] = row_backward_host(x + n * ld, vocab, Vp, t[n], dloss, x + n * ld);
      },
      KOKKOS_LAMBDA(std::int64_t n, double& sum) {
        sum += loss[n] = row_backward(x + n * ld, vocab, Vp, t[n], dloss, x + n * ld);
      });
  return total / static_cast<double>(N);
}

namespace team_reductions {

double cross_entropy_rows(const ConstMatrixF& logits, const Vector<const std::int32_t>& targets,
                          std::int64_t vocab, float dloss, const MatrixF& dlogits,
                          const VectorF& losses) {
  const std::int64_t N = logits.extent(0), Vp = logits.extent(1), x_ld = logits.stride(0);
  const bool grad = dlogits.data() != nullptr;
  STRATA_EXPECTS(!grad ||
                 (dlogits.extent(0) == logits.extent(0) && dlogits.extent(1) == logits.extent(1)));
  STRATA_EXPECTS(losses.data() == nullptr || losses.extent(0) == logits.extent(0));
  const float* x = logits.data();
  float* d = dlogits.data();
  const std::int64_t d_ld = grad ? static_cast<std::int64_t>(dlogits.stride(0)) : 0;
  const std::int32_t* t = targets.data();
  float* loss = losses.data();
  const std::int64_t V = vocab;
  using Team = Kokkos::TeamPolicy<ExecSpace>;
  double total = 0;
  Kokkos::parallel_reduce(
      "strata::cross_entropy_teams", Team(static_cast<int>(N), Kokkos::AUTO),
      KOKKOS_LAMBDA(const Team::member_type& team, double& sum) {
        const std::int64_t n = team.league_rank();
        const float* row = x + n * x_ld;
        const std::int32_t target = t[n];
        const float x_target = row[target];  // read before any thread writes d (maybe x)
        float max = 0;                       // the Max reducer starts from the lowest float
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, V),
            [&](std::int64_t c, float& m) { m = row[c] > m ? row[c] : m; },
            Kokkos::Max<float>(max));
        double exp_sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, V),
            [&](std::int64_t c, double& partial) { partial += kmath::exp(row[c] - max); }, exp_sum);
        const float row_loss = static_cast<float>(kmath::log(exp_sum)) - (x_target - max);
        if (grad) {
          float* out = d + n * d_ld;
          const float scale = static_cast<float>(dloss / exp_sum);
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, Vp), [&](std::int64_t c) {
            out[c] = c < V ? kmath::exp(row[c] - max) * scale : 0.0f;
          });
          team.team_barrier();
          Kokkos::single(Kokkos::PerTeam(team), [&]() { out[target] -= dloss; });
        }
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          if (loss != nullptr) loss[n] = row_loss;
          sum += row_loss;
        });
      },
      total);
  return total;
}

}  // namespace team_reductions

}  // namespace strata::kernels
