// AdamW: one fused pass over parameters, gradients and both moments.
#include "kernels/adamw.hpp"

#include <cmath>

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"

namespace strata::kernels {
namespace {

// Host backends (kHostExec) run chunks of kChunk elements through the ISA
// clones below; device backends one element per thread.
constexpr std::int64_t kChunk = 4096;

// The per-step scalars, rounded to fp32 on the host.
struct StepScalars {
  float grad_scale, decay, one_minus_b1, b2, one_minus_b2, neg_step_size, bc2_sqrt, eps;
};

KOKKOS_INLINE_FUNCTION void update(const StepScalars& k, float* p_p, const float* g_p, float* m_p,
                                   float* v_p, std::int64_t i) {
  const float g = g_p[i] * k.grad_scale;
  const float p = p_p[i] * k.decay;
  const float m = m_p[i] + k.one_minus_b1 * (g - m_p[i]);
  const float v = v_p[i] * k.b2 + (k.one_minus_b2 * g) * g;
  const float denom = kmath::sqrt(v) / k.bc2_sqrt + k.eps;
  p_p[i] = p + (k.neg_step_size * m) / denom;
  m_p[i] = m;
  v_p[i] = v;
}

// The host loop, compiled for SSE2, AVX2+FMA and AVX-512 and picked when
// the program loads (sqrt and divide throughput bound the SSE2 loop).
STRATA_X86_CLONES void update_span(StepScalars k, float* p, const float* g, float* m, float* v,
                                   std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) update(k, p, g, m, v, i);
}

}  // namespace

void adamw_update(const VectorF& params, const ConstVectorF& grads, const VectorF& m,
                  const VectorF& v, const AdamWHyper& hyper, std::int64_t step, float grad_scale) {
  const std::int64_t size = params.extent(0);
  STRATA_EXPECTS(static_cast<std::int64_t>(grads.extent(0)) == size);
  STRATA_EXPECTS(static_cast<std::int64_t>(m.extent(0)) == size);
  STRATA_EXPECTS(static_cast<std::int64_t>(v.extent(0)) == size);
  STRATA_EXPECTS(step >= 1);

  // Host scalars in double, rounded once, as torch does with Python floats.
  const double t = static_cast<double>(step);
  StepScalars k{};
  k.grad_scale = grad_scale;
  k.decay = static_cast<float>(1.0 - hyper.lr * hyper.weight_decay);
  k.one_minus_b1 = static_cast<float>(1.0 - hyper.beta1);
  k.b2 = static_cast<float>(hyper.beta2);
  k.one_minus_b2 = static_cast<float>(1.0 - hyper.beta2);
  k.neg_step_size = static_cast<float>(-hyper.lr / (1.0 - std::pow(hyper.beta1, t)));
  k.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(hyper.beta2, t)));
  k.eps = static_cast<float>(hyper.eps);

  float* p = params.data();
  const float* g = grads.data();
  float* m_p = m.data();
  float* v_p = v.data();
  if (kHostExec) {
    Kokkos::parallel_for(
        "strata::adamw_update",
        Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, (size + kChunk - 1) / kChunk),
        [=](std::int64_t chunk) {
          const std::int64_t b = chunk * kChunk, e = b + kChunk < size ? b + kChunk : size;
          update_span(k, p + b, g + b, m_p + b, v_p + b, e - b);
        });
  } else {
    Kokkos::parallel_for(
        "strata::adamw_update", Kokkos::RangePolicy<ExecSpace>(0, size),
        KOKKOS_LAMBDA(std::int64_t i) { update(k, p, g, m_p, v_p, i); });
  }
}

}  // namespace strata::kernels
