// adamw_update against the AdamW definition in double over several steps,
// against torch's fp32 operation order, and for the per-call weight decay,
// the fused gradient scale and the first step's closed form.
#include <gtest/gtest.h>

#include "kernels/adamw.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::adamw_update;
using kernels::AdamWHyper;

struct State {
  std::vector<float> p, m, v;
};

State run_steps(State s, const std::vector<std::vector<float>>& grads, const AdamWHyper& hyper,
                float grad_scale = 1.0f) {
  VectorF p = device_vector(s.p), m = device_vector(s.m), v = device_vector(s.v);
  for (std::size_t t = 0; t < grads.size(); ++t)
    adamw_update(p, device_vector(grads[t]), m, v, hyper, static_cast<std::int64_t>(t + 1),
                 grad_scale);
  return {to_host(p), to_host(m), to_host(v)};
}

// The textbook AdamW (Loshchilov & Hutter, as torch.optim.AdamW) in double.
std::vector<double> reference_params(const State& s0, const std::vector<std::vector<float>>& grads,
                                     const AdamWHyper& h) {
  std::vector<double> p(s0.p.begin(), s0.p.end()), m(s0.m.begin(), s0.m.end()),
      v(s0.v.begin(), s0.v.end());
  for (std::size_t t = 1; t <= grads.size(); ++t)
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double g = grads[t - 1][i];
      p[i] *= 1.0 - h.lr * h.weight_decay;
      m[i] = h.beta1 * m[i] + (1.0 - h.beta1) * g;
      v[i] = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
      const double m_hat = m[i] / (1.0 - std::pow(h.beta1, t));
      const double v_hat = v[i] / (1.0 - std::pow(h.beta2, t));
      p[i] -= h.lr * m_hat / (std::sqrt(v_hat) + h.eps);
    }
  return p;
}

std::vector<std::vector<float>> random_grads(std::size_t steps, std::size_t size, unsigned seed) {
  std::vector<std::vector<float>> grads;
  for (std::size_t t = 0; t < steps; ++t)
    grads.push_back(random_floats(size, seed + t, -0.1f, 0.1f));
  return grads;
}

TEST(AdamW, TenStepsFollowTheDoubleDefinition) {
  const std::size_t size = 4099;  // a tail past every chunk and vector width
  const AdamWHyper hyper{1e-3, 0.9, 0.95, 1e-8, 0.1};
  const State s0{random_floats(size, 1), std::vector<float>(size, 0.0f),
                 std::vector<float>(size, 0.0f)};
  const auto grads = random_grads(10, size, 100);
  const State got = run_steps(s0, grads, hyper);
  // Each step moves p by at most ~lr = 1e-3 (|m̂/sqrt(v̂)| <~ 1), computed
  // in fp32 to a few ulps of that move plus the rounding of p itself
  // (2^-24·|p| <= 6e-8) per step: over 10 steps, 2e-6 absolute.
  EXPECT_TRUE(all_close(got.p, reference_params(s0, grads, hyper), 2e-6, 0.0));
}

TEST(AdamW, MatchesTorchOrderInFp32) {
  // The same steps written out in torch's single-tensor order in fp32. An
  // ISA clone with FMA contracts some products, so allow a few ulps, and an
  // ulp of the operands where m or p cancel to near 0.
  const std::size_t size = 1000;
  const AdamWHyper h{6e-4, 0.9, 0.999, 1e-8, 0.01};
  State s{random_floats(size, 2), random_floats(size, 3, -0.01f, 0.01f),
          random_floats(size, 4, 0.0f, 1e-4f)};
  const auto grads = random_grads(3, size, 200);
  const State got = run_steps(s, grads, h);
  for (std::size_t t = 1; t <= grads.size(); ++t) {
    const float decay = static_cast<float>(1.0 - h.lr * h.weight_decay);
    const float w1 = static_cast<float>(1.0 - h.beta1), b2 = static_cast<float>(h.beta2);
    const float w2 = static_cast<float>(1.0 - h.beta2);
    const float step = static_cast<float>(h.lr / (1.0 - std::pow(h.beta1, t)));
    const float bc2 = static_cast<float>(std::sqrt(1.0 - std::pow(h.beta2, t)));
    for (std::size_t i = 0; i < size; ++i) {
      const float g = grads[t - 1][i];
      s.p[i] *= decay;                    // param.mul_(1 - lr·wd)
      s.m[i] += w1 * (g - s.m[i]);        // exp_avg.lerp_(grad, 1 - β1)
      s.v[i] = s.v[i] * b2 + w2 * g * g;  // .mul_(β2).addcmul_(g, g, 1 - β2)
      const float denom = std::sqrt(s.v[i]) / bc2 + static_cast<float>(h.eps);
      s.p[i] += -step * s.m[i] / denom;  // addcdiv_(m, denom, -step)
    }
  }
  EXPECT_TRUE(all_close(got.p, widen(s.p), 1e-9, 4e-7));
  EXPECT_TRUE(all_close(got.m, widen(s.m), 2e-9, 4e-7));
  EXPECT_TRUE(all_close(got.v, widen(s.v), 0.0, 4e-7));
}

TEST(AdamW, FirstStepWithoutDecayIsLrTimesSign) {
  // t = 1: m̂ = g, v̂ = g², so p -= lr·g/(|g| + eps) ≈ lr·sign(g).
  const std::vector<float> p0 = {1.0f, -2.0f, 0.5f, 0.0f}, g = {0.3f, -1e-3f, 2.0f, 0.0f};
  const AdamWHyper hyper{0.01, 0.9, 0.999, 1e-8, 0.0};
  const State got =
      run_steps({p0, std::vector<float>(4, 0.0f), std::vector<float>(4, 0.0f)}, {g}, hyper);
  EXPECT_NEAR(got.p[0], 0.99f, 1e-7);
  EXPECT_NEAR(got.p[1], -1.99f, 3e-7);
  EXPECT_NEAR(got.p[2], 0.49f, 1e-7);
  EXPECT_EQ(got.p[3], 0.0f);  // zero gradient, no decay: untouched (0/eps = 0)
}

TEST(AdamW, WeightDecayIsPerCallAndDecoupled) {
  // Zero gradients: Adam's update is exactly 0, so only the decay shows:
  // p·(1 - lr·wd) with wd from this call, and nothing with wd = 0 (the
  // biases and LayerNorm parameters).
  const std::vector<float> p0 = random_floats(64, 5);
  const std::vector<std::vector<float>> zero = {std::vector<float>(64, 0.0f)};
  const State init{p0, std::vector<float>(64, 0.0f), std::vector<float>(64, 0.0f)};
  const State decayed = run_steps(init, zero, {0.1, 0.9, 0.999, 1e-8, 0.5});
  const State kept = run_steps(init, zero, {0.1, 0.9, 0.999, 1e-8, 0.0});
  for (std::size_t i = 0; i < p0.size(); ++i) {
    EXPECT_EQ(decayed.p[i], p0[i] * 0.95f);
    EXPECT_EQ(kept.p[i], p0[i]);
  }
}

TEST(AdamW, FusedGradScaleEqualsScaledGradients) {
  // Clipping fused into the update equals clipping the gradients first:
  // g·scale is the same fp32 product either way.
  const std::size_t size = 777;
  const AdamWHyper hyper{1e-3, 0.9, 0.95, 1e-8, 0.1};
  const State s0{random_floats(size, 6), std::vector<float>(size, 0.0f),
                 std::vector<float>(size, 0.0f)};
  auto grads = random_grads(2, size, 300);
  const float scale = 0.37f;
  const State fused = run_steps(s0, grads, hyper, scale);
  for (auto& g : grads)
    for (auto& x : g) x *= scale;
  const State scaled = run_steps(s0, grads, hyper);
  EXPECT_EQ(fused.p, scaled.p);
  EXPECT_EQ(fused.m, scaled.m);
  EXPECT_EQ(fused.v, scaled.v);
}

}  // namespace
}  // namespace strata::testing
