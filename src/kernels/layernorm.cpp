// LayerNorm forward and backward: one work item per row for the row
// statistics, one per column block for the parameter gradients.
#include "kernels/layernorm.hpp"

#include <cstdint>

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/residual.hpp"
#include "kernels/team_reductions.hpp"

namespace strata::kernels {
namespace {

// Rows run on the host (kHostExec) through the ISA clones below; on a
// device, one row per thread (correct, not yet fast: a device wants a team
// per row).

// Independent partial sums per row: they break the add-latency chain and
// fill one AVX-512 register (fp32 sums are not reassociated without
// -ffast-math, so the lanes must be written out).
constexpr int kLanes = 16;

// Parameter-gradient columns per work item: row chunks on the host
// (vectorised inner loop), one column per device thread (coalesced).
constexpr std::int64_t kWidth = kHostExec ? 256 : 1;

// Σ_c f(c) over [0, C) in kLanes fp32 partials, then added up in order.
template <class Term>
KOKKOS_INLINE_FUNCTION float lane_sum(std::int64_t C, Term term) {
  float lane[kLanes] = {};
  const std::int64_t main = C - C % kLanes;
  for (std::int64_t c = 0; c < main; c += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += term(c + l);
  for (std::int64_t c = main; c < C; ++c) lane[c - main] += term(c);
  float total = 0.0f;
  for (int l = 0; l < kLanes; ++l) total += lane[l];
  return total;
}

KOKKOS_INLINE_FUNCTION void forward_row(const float* x, const float* w, const float* b,
                                        std::int64_t C, float eps, float* y, float* mean,
                                        float* rstd) {
  const float inv_C = 1.0f / static_cast<float>(C);
  const float m = lane_sum(C, [=](std::int64_t c) { return x[c]; }) * inv_C;
  const float var = lane_sum(C, [=](std::int64_t c) { return (x[c] - m) * (x[c] - m); }) * inv_C;
  const float s = 1.0f / kmath::sqrt(var + eps);
  for (std::int64_t c = 0; c < C; ++c) y[c] = (x[c] - m) * s * w[c] + b[c];
  *mean = m;
  *rstd = s;
}

// dx += s·(g·w - mean(g·w) - xhat·mean(g·w·xhat)), xhat = (x - m)·s.
KOKKOS_INLINE_FUNCTION void backward_row(const float* g, const float* x, const float* w, float m,
                                         float s, std::int64_t C, float* dx) {
  const float inv_C = 1.0f / static_cast<float>(C);
  const float mean_g = lane_sum(C, [=](std::int64_t c) { return g[c] * w[c]; }) * inv_C;
  const float mean_gx =
      lane_sum(C, [=](std::int64_t c) { return g[c] * w[c] * ((x[c] - m) * s); }) * inv_C;
  for (std::int64_t c = 0; c < C; ++c)
    dx[c] += s * ((g[c] * w[c] - mean_g) - ((x[c] - m) * s) * mean_gx);
}

// The host's loops, compiled for SSE2, AVX2+FMA and AVX-512 and picked when
// the program loads (the build's default flags target SSE2 only).
STRATA_X86_CLONES void forward_row_host(const float* x, const float* w, const float* b,
                                        std::int64_t C, float eps, float* y, float* mean,
                                        float* rstd) {
  forward_row(x, w, b, C, eps, y, mean, rstd);
}
STRATA_X86_CLONES void backward_row_host(const float* g, const float* x, const float* w, float m,
                                         float s, std::int64_t C, float* dx) {
  backward_row(g, x, w, m, s, C, dx);
}

// One row of backward_row plus its terms of the parameter gradients, for a
// host that runs the rows one after another (see layernorm_backward): the
// same additions in the same order as param_columns, while the row is in L1.
STRATA_X86_CLONES void backward_row_and_params_host(const float* g, const float* x, const float* w,
                                                    float m, float s, std::int64_t C, float* dx,
                                                    float* dw, float* db) {
  backward_row(g, x, w, m, s, C, dx);
  for (std::int64_t c = 0; c < C; ++c) {
    dw[c] += g[c] * ((x[c] - m) * s);
    db[c] += g[c];
  }
}

// a + b into sum, then forward_row on it while the row is in L1.
STRATA_X86_CLONES void residual_forward_row_host(const float* a, const float* b, float* sum,
                                                 const float* w, const float* bias, std::int64_t C,
                                                 float eps, float* y, float* mean, float* rstd) {
  for (std::int64_t c = 0; c < C; ++c) sum[c] = a[c] + b[c];
  forward_row(sum, w, bias, C, eps, y, mean, rstd);
}

// dw[c] += Σ_n g·xhat and db[c] += Σ_n g over [c0, c1), rows in order: the
// same order for every element whatever the block split, so deterministic.
KOKKOS_INLINE_FUNCTION void param_columns(const float* g_p, const float* x_p, std::int64_t g_ld,
                                          std::int64_t x_ld, const float* mean, const float* rstd,
                                          std::int64_t N, std::int64_t c0, std::int64_t c1,
                                          float* dw, float* db) {
  for (std::int64_t n = 0; n < N; ++n) {
    const float* g = g_p + n * g_ld;
    const float* x = x_p + n * x_ld;
    const float m = mean[n], s = rstd[n];
    for (std::int64_t c = c0; c < c1; ++c) {
      dw[c] += g[c] * ((x[c] - m) * s);
      db[c] += g[c];
    }
  }
}
STRATA_X86_CLONES void param_columns_host(const float* g_p, const float* x_p, std::int64_t g_ld,
                                          std::int64_t x_ld, const float* mean, const float* rstd,
                                          std::int64_t N, std::int64_t c0, std::int64_t c1,
                                          float* dw, float* db) {
  param_columns(g_p, x_p, g_ld, x_ld, mean, rstd, N, c0, c1, dw, db);
}

// body(i) for i in [0, count): a plain host lambda on host backends (so it
// may call the clones), the portable one elsewhere.
template <class HostBody, class DeviceBody>
void for_each(const char* label, std::int64_t count, HostBody host, DeviceBody device) {
  if (kHostExec)
    Kokkos::parallel_for(label, Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, count),
                         host);
  else
    Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, count), device);
}

}  // namespace

void layernorm_forward(const ConstMatrixF& inp, const ConstVectorF& weight,
                       const ConstVectorF& bias, const MatrixF& out, const VectorF& mean,
                       const VectorF& rstd, float eps) {
  const std::int64_t N = inp.extent(0), C = inp.extent(1);
  STRATA_EXPECTS(out.extent(0) == inp.extent(0) && out.extent(1) == inp.extent(1));
  STRATA_EXPECTS(static_cast<std::int64_t>(weight.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(bias.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(mean.extent(0)) == N);
  STRATA_EXPECTS(static_cast<std::int64_t>(rstd.extent(0)) == N);
  STRATA_EXPECTS(C > 0);

  const float* x = inp.data();
  const float* w = weight.data();
  const float* b = bias.data();
  float* y = out.data();
  float* mu = mean.data();
  float* rs = rstd.data();
  const std::int64_t x_ld = inp.stride(0), y_ld = out.stride(0);
  for_each(
      "strata::layernorm_forward", N,
      [=](std::int64_t n) {
        forward_row_host(x + n * x_ld, w, b, C, eps, y + n * y_ld, mu + n, rs + n);
      },
      KOKKOS_LAMBDA(std::int64_t n) {
        forward_row(x + n * x_ld, w, b, C, eps, y + n * y_ld, mu + n, rs + n);
      });
}

void layernorm_backward(const ConstMatrixF& dout, const ConstMatrixF& inp,
                        const ConstVectorF& weight, const ConstVectorF& mean,
                        const ConstVectorF& rstd, const MatrixF& dinp, const VectorF& dweight,
                        const VectorF& dbias) {
  const std::int64_t N = inp.extent(0), C = inp.extent(1);
  STRATA_EXPECTS(dout.extent(0) == inp.extent(0) && dout.extent(1) == inp.extent(1));
  STRATA_EXPECTS(dinp.extent(0) == inp.extent(0) && dinp.extent(1) == inp.extent(1));
  STRATA_EXPECTS(static_cast<std::int64_t>(weight.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(dweight.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(dbias.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(mean.extent(0)) == N);
  STRATA_EXPECTS(static_cast<std::int64_t>(rstd.extent(0)) == N);
  STRATA_EXPECTS(C > 0);

  const float* g = dout.data();
  const float* x = inp.data();
  const float* w = weight.data();
  const float* mu = mean.data();
  const float* rs = rstd.data();
  float* dx = dinp.data();
  const std::int64_t g_ld = dout.stride(0), x_ld = inp.stride(0), dx_ld = dinp.stride(0);
  float* dw = dweight.data();
  float* db = dbias.data();
  if (kHostExec && Kokkos::DefaultHostExecutionSpace().concurrency() == 1) {
    // One thread: one pass, rows in order, so each parameter gradient sees
    // the additions of the two-pass path below in the same order (the same
    // bits) without reading dout and inp a second time.
    for (std::int64_t n = 0; n < N; ++n)
      backward_row_and_params_host(g + n * g_ld, x + n * x_ld, w, mu[n], rs[n], C, dx + n * dx_ld,
                                   dw, db);
    return;
  }
  for_each(
      "strata::layernorm_backward_dinp", N,
      [=](std::int64_t n) {
        backward_row_host(g + n * g_ld, x + n * x_ld, w, mu[n], rs[n], C, dx + n * dx_ld);
      },
      KOKKOS_LAMBDA(std::int64_t n) {
        backward_row(g + n * g_ld, x + n * x_ld, w, mu[n], rs[n], C, dx + n * dx_ld);
      });

  if (kHostExec) {
    Kokkos::parallel_for(
        "strata::layernorm_backward_dparams",
        Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, (C + kWidth - 1) / kWidth),
        [=](std::int64_t block) {
          const std::int64_t c0 = block * kWidth, c1 = c0 + kWidth < C ? c0 + kWidth : C;
          param_columns_host(g, x, g_ld, x_ld, mu, rs, N, c0, c1, dw, db);
        });
    return;
  }
  // A thread per column left a GPU nearly idle: a team per column.
  team_reductions::add_layernorm_param_grads(dout, inp, mean, rstd, dweight, dbias);
}

void layernorm_residual_forward(const ConstMatrixF& a, const ConstMatrixF& b, const MatrixF& sum,
                                const ConstVectorF& weight, const ConstVectorF& bias,
                                const MatrixF& out, const VectorF& mean, const VectorF& rstd,
                                float eps) {
  const std::int64_t N = a.extent(0), C = a.extent(1);
  STRATA_EXPECTS(b.extent(0) == a.extent(0) && b.extent(1) == a.extent(1));
  STRATA_EXPECTS(sum.extent(0) == a.extent(0) && sum.extent(1) == a.extent(1));
  if (!kHostExec) {  // a device: the two kernels
    residual_forward(a, b, sum);
    layernorm_forward(sum, weight, bias, out, mean, rstd, eps);
    return;
  }
  STRATA_EXPECTS(out.extent(0) == a.extent(0) && out.extent(1) == a.extent(1));
  STRATA_EXPECTS(static_cast<std::int64_t>(weight.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(bias.extent(0)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(mean.extent(0)) == N);
  STRATA_EXPECTS(static_cast<std::int64_t>(rstd.extent(0)) == N);
  STRATA_EXPECTS(C > 0);
  const float* pa = a.data();
  const float* pb = b.data();
  float* ps = sum.data();
  const float* w = weight.data();
  const float* bi = bias.data();
  float* y = out.data();
  float* mu = mean.data();
  float* rs = rstd.data();
  const std::int64_t a_ld = a.stride(0), b_ld = b.stride(0), s_ld = sum.stride(0),
                     y_ld = out.stride(0);
  Kokkos::parallel_for("strata::layernorm_residual_forward",
                       Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, N),
                       [=](std::int64_t n) {
                         residual_forward_row_host(pa + n * a_ld, pb + n * b_ld, ps + n * s_ld, w,
                                                   bi, C, eps, y + n * y_ld, mu + n, rs + n);
                       });
}

namespace team_reductions {

void add_layernorm_param_grads(const ConstMatrixF& dout, const ConstMatrixF& inp,
                               const ConstVectorF& mean, const ConstVectorF& rstd,
                               const VectorF& dweight, const VectorF& dbias) {
  const std::int64_t N = inp.extent(0);
  const float* g = dout.data();
  const float* x = inp.data();
  const float* mu = mean.data();
  const float* rs = rstd.data();
  float* dw = dweight.data();
  float* db = dbias.data();
  const std::int64_t g_ld = dout.stride(0), x_ld = inp.stride(0);
  using Team = Kokkos::TeamPolicy<ExecSpace>;
  Kokkos::parallel_for(
      "strata::layernorm_backward_dparams_teams",
      Team(static_cast<int>(inp.extent(1)), Kokkos::AUTO),
      KOKKOS_LAMBDA(const Team::member_type& team) {
        const std::int64_t c = team.league_rank();
        float dw_sum = 0, db_sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, N),
            [&](std::int64_t n, float& sum) {
              sum += g[n * g_ld + c] * ((x[n * x_ld + c] - mu[n]) * rs[n]);
            },
            dw_sum);
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, N),
            [&](std::int64_t n, float& sum) { sum += g[n * g_ld + c]; }, db_sum);
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          dw[c] += dw_sum;
          db[c] += db_sum;
        });
      });
}

}  // namespace team_reductions

}  // namespace strata::kernels
