// Fused softmax cross-entropy against a double reference, by finite
// differences, with padded vocabularies, huge logits, and the three entry
// points agreeing with each other to the bit.
#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/team_reductions.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::cross_entropy_backward;
using kernels::cross_entropy_forward;
using kernels::cross_entropy_forward_backward;

struct Reference {
  std::vector<double> losses, dlogits;
  double mean = 0.0;
};

// log-sum-exp with the max subtracted, all in double, over the real vocab;
// padding gets gradient 0.
Reference reference(const std::vector<float>& logits, const std::vector<std::int32_t>& targets,
                    std::size_t Vp, std::size_t V, double dloss) {
  const std::size_t N = targets.size();
  Reference r;
  r.losses.resize(N), r.dlogits.assign(N * Vp, 0.0);
  for (std::size_t n = 0; n < N; ++n) {
    const float* x = &logits[n * Vp];
    double m = x[0];
    for (std::size_t v = 1; v < V; ++v) m = std::max(m, static_cast<double>(x[v]));
    double sum = 0.0;
    for (std::size_t v = 0; v < V; ++v) sum += std::exp(x[v] - m);
    r.losses[n] = std::log(sum) - (x[targets[n]] - m);
    r.mean += r.losses[n] / N;
    for (std::size_t v = 0; v < V; ++v)
      r.dlogits[n * Vp + v] =
          (std::exp(x[v] - m) / sum - (v == static_cast<std::size_t>(targets[n]))) * dloss;
  }
  return r;
}

struct Case {
  std::size_t N, Vp, V;
  float lo, hi;  // logit range
};

class CrossEntropyCases : public ::testing::TestWithParam<Case> {};

// Random logits whose padding columns hold NaN: if any padded column took
// part, everything would be NaN.
std::vector<float> nan_padded_logits(const Case& k) {
  auto logits = random_floats(k.N * k.Vp, 1, k.lo, k.hi);
  for (std::size_t n = 0; n < k.N; ++n)
    for (std::size_t v = k.V; v < k.Vp; ++v)
      logits[n * k.Vp + v] = std::numeric_limits<float>::quiet_NaN();
  return logits;
}

TEST_P(CrossEntropyCases, AllEntryPointsEqualTheDoubleReference) {
  const Case k = GetParam();
  const auto logits = nan_padded_logits(k);
  const auto targets = random_ints(k.N, 2, 0, static_cast<int>(k.V) - 1);
  const float dloss = 1.0f / static_cast<float>(k.N);
  const Reference want = reference(logits, targets, k.Vp, k.V, dloss);

  MatrixF x = device_matrix(logits, k.N, k.Vp), dx("dx", k.N, k.Vp);
  auto t = device_vector(targets);
  VectorF losses("losses", k.N), fused_losses("fused_losses", k.N);
  const double mean = cross_entropy_forward(x, t, static_cast<std::int64_t>(k.V), losses);
  cross_entropy_backward(x, t, static_cast<std::int64_t>(k.V), dloss, dx);
  MatrixF y = device_matrix(logits, k.N, k.Vp);
  const double fused_mean =
      cross_entropy_forward_backward(y, t, static_cast<std::int64_t>(k.V), dloss, fused_losses);

  // Loss = log(sum) - (x_t - max): log of a sum good to ~1e-6 relative
  // (exp to 1e-7, fp32 partials of 16 terms, blocks in double) plus the
  // rounding of x_t - max (ulp of the logit range): 2e-6 + 1e-6·|range|.
  const double range = std::max(std::abs(k.lo), std::abs(k.hi));
  const double loss_tol = 2e-6 + 1e-6 * range;
  EXPECT_TRUE(all_close(to_host(losses), want.losses, loss_tol, 1e-6));
  EXPECT_NEAR(mean, want.mean, loss_tol);
  // dlogits = (p - onehot)·dloss, p = exp(x - max)·(1/sum): relative error
  // of p ~ 1e-6 (more where exp's argument is large: 2^-24·|x - max|), so
  // 1e-6·dloss absolute + 1e-5 relative (range 1e4 needs the relative part).
  const auto got_dx = to_host(dx);
  EXPECT_TRUE(all_close(got_dx, want.dlogits, 1e-6 * dloss, 1e-5 + 1e-8 * range));
  // The three entry points run the same arithmetic: identical bits.
  EXPECT_EQ(to_host(y), got_dx);
  EXPECT_EQ(to_host(fused_losses), to_host(losses));
  EXPECT_EQ(fused_mean, mean);
  // Padding gradient is exactly 0, and every row of dlogits sums to ~0.
  for (std::size_t n = 0; n < k.N; ++n) {
    double row = 0.0;
    for (std::size_t v = 0; v < k.Vp; ++v) {
      if (v >= k.V) {
        EXPECT_EQ(got_dx[n * k.Vp + v], 0.0f);
      }
      row += got_dx[n * k.Vp + v];
    }
    EXPECT_NEAR(row, 0.0, 1e-6 * dloss * std::sqrt(static_cast<double>(k.V)));
  }
}

// The device form (a team per row), run here on the host backend: the
// same reference and tolerances, separate gradient buffer and in place.
TEST_P(CrossEntropyCases, TeamFormEqualsTheDoubleReference) {
  const Case k = GetParam();
  const auto logits = nan_padded_logits(k);
  const auto targets = random_ints(k.N, 2, 0, static_cast<int>(k.V) - 1);
  const float dloss = 1.0f / static_cast<float>(k.N);
  const Reference want = reference(logits, targets, k.Vp, k.V, dloss);
  const auto vocab = static_cast<std::int64_t>(k.V);

  MatrixF x = device_matrix(logits, k.N, k.Vp), dx("dx", k.N, k.Vp);
  Kokkos::deep_copy(dx, 9.0f);  // every entry must be overwritten
  auto t = device_vector(targets);
  VectorF losses("losses", k.N), in_place_losses("in_place_losses", k.N);
  const double sum = kernels::team_reductions::cross_entropy_rows(x, t, vocab, dloss, dx, losses);
  const double forward_only =
      kernels::team_reductions::cross_entropy_rows(x, t, vocab, 0.0f, MatrixF(), VectorF());
  MatrixF y = device_matrix(logits, k.N, k.Vp);
  kernels::team_reductions::cross_entropy_rows(y, t, vocab, dloss, y, in_place_losses);

  const double range = std::max(std::abs(k.lo), std::abs(k.hi));
  const double loss_tol = 2e-6 + 1e-6 * range;
  EXPECT_TRUE(all_close(to_host(losses), want.losses, loss_tol, 1e-6));
  EXPECT_NEAR(sum / static_cast<double>(k.N), want.mean, loss_tol);
  EXPECT_EQ(forward_only, sum);
  const auto got_dx = to_host(dx);
  EXPECT_TRUE(all_close(got_dx, want.dlogits, 1e-6 * dloss, 1e-5 + 1e-8 * range));
  EXPECT_EQ(to_host(y), got_dx);
  EXPECT_EQ(to_host(in_place_losses), to_host(losses));
  for (std::size_t n = 0; n < k.N; ++n)
    for (std::size_t v = k.V; v < k.Vp; ++v) EXPECT_EQ(got_dx[n * k.Vp + v], 0.0f);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CrossEntropyCases,
    ::testing::Values(Case{6, 65, 65, -4.0f, 4.0f},            // the char model's vocab, no padding
                      Case{5, 72, 65, -4.0f, 4.0f},            // padded
                      Case{1, 1, 1, -1.0f, 1.0f},              // one class: loss 0, grad 0
                      Case{3, 8, 2, -1e4f, 1e4f},              // huge logits, almost all padding
                      Case{4, 300, 257, 1e4f - 8, 1e4f},       // large common offset, a block tail
                      Case{2, 50304, 50257, -10.0f, 10.0f}));  // GPT-2's padded vocab

TEST(CrossEntropy, BackwardMatchesFiniteDifferences) {
  // L = mean loss, through the fp32 forward (in double from there). Each
  // perturbed logit moves one row's loss; its fp32 rounding (~1e-7·|loss|
  // ≈ 5e-7 here) over 2h = 2e-2 gives 3e-5 of noise, O(h²) truncation
  // ~1e-5: 1e-4 absolute.
  const std::size_t N = 3, Vp = 12, V = 10;
  auto logits = random_floats(N * Vp, 3, -3.0f, 3.0f);
  const auto targets = random_ints(N, 4, 0, V - 1);
  auto t = device_vector(targets);
  MatrixF dx("dx", N, Vp);
  cross_entropy_backward(device_matrix(logits, N, Vp), t, V, 1.0f / N, dx);
  const auto grad = to_host(dx);
  auto objective = [&] {
    VectorF losses("losses", N);
    return cross_entropy_forward(device_matrix(logits, N, Vp), t, V, losses);
  };
  for (std::size_t i = 0; i < logits.size(); ++i)
    EXPECT_NEAR(central_difference(logits, i, 1e-2f, objective), grad[i], 1e-4) << "logit " << i;
}

TEST(CrossEntropy, SaturatedRowsNeitherOverflowNorLoseTheLoss) {
  // Target far above the rest: loss ≈ 0 and gradient ≈ 0; target far
  // below: loss = the gap, exactly representable, gradient -dloss there.
  const std::size_t Vp = 4, V = 4;
  const std::vector<float> logits = {1e4f, -1e4f, 0.0f, 5.0f,   // target 0: loss ~ 0
                                     1e4f, -1e4f, 0.0f, 5.0f};  // target 1: loss 2e4
  const std::vector<std::int32_t> targets = {0, 1};
  VectorF losses("losses", 2);
  MatrixF x = device_matrix(logits, 2, Vp);
  const double mean = cross_entropy_forward(x, device_vector(targets), V, losses);
  const auto l = to_host(losses);
  EXPECT_EQ(l[0], 0.0f);
  EXPECT_EQ(l[1], 2e4f);
  EXPECT_EQ(mean, 1e4);
  cross_entropy_forward_backward(x, device_vector(targets), V, 0.5f, losses);
  const auto d = to_host(x);
  EXPECT_EQ(d[0], 0.0f);   // p = 1 at the target
  EXPECT_EQ(d[4], 0.5f);   // p = 1 away from the target: +dloss
  EXPECT_EQ(d[5], -0.5f);  // p = 0 at the target: -dloss
  for (float v : d) EXPECT_TRUE(std::isfinite(v));
}

TEST(CrossEntropy, ANaNLogitMakesItsRowsLossNaN) {
  // Divergence must show in the loss the trainer logs; other rows are fine.
  std::vector<float> logits = random_floats(2 * 16, 5);
  logits[3] = std::nanf("");
  const std::vector<std::int32_t> targets = {7, 7};
  VectorF losses("losses", 2);
  const double mean =
      cross_entropy_forward(device_matrix(logits, 2, 16), device_vector(targets), 16, losses);
  const auto l = to_host(losses);
  EXPECT_TRUE(std::isnan(l[0]));
  EXPECT_TRUE(std::isfinite(l[1]));
  EXPECT_TRUE(std::isnan(mean));
}

#if defined(STRATA_CONTRACTS)
TEST(CrossEntropy, TargetsInThePaddingBreakTheContract) {
  // A target in the padded columns would train the padding: refused.
  MatrixF logits("logits", 1, 8);
  VectorF losses("losses", 1);
  EXPECT_THROW(
      cross_entropy_forward(logits, device_vector(std::vector<std::int32_t>{6}), 5, losses), Error);
}
#endif

}  // namespace
}  // namespace strata::testing
