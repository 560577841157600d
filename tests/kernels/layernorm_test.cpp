// layernorm_forward/backward against a plain double reference, by finite
// differences through the fp32 kernel, and at the edges (C = 1, a large
// common offset, accumulation into dinp and the parameter gradients).
#include <gtest/gtest.h>

#include "kernels/layernorm.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::layernorm_backward;
using kernels::layernorm_forward;

struct Reference {
  std::vector<double> out, mean, rstd, dinp, dweight, dbias;
};

// Straight from the definition, in double: biased variance, eps 1e-5.
Reference reference(std::size_t N, std::size_t C, const std::vector<float>& x,
                    const std::vector<float>& w, const std::vector<float>& b,
                    const std::vector<float>& dout) {
  Reference r;
  r.out.resize(N * C), r.mean.resize(N), r.rstd.resize(N), r.dinp.resize(N * C);
  r.dweight.assign(C, 0.0), r.dbias.assign(C, 0.0);
  for (std::size_t n = 0; n < N; ++n) {
    double mean = 0.0, var = 0.0;
    for (std::size_t c = 0; c < C; ++c) mean += x[n * C + c];
    mean /= C;
    for (std::size_t c = 0; c < C; ++c) var += (x[n * C + c] - mean) * (x[n * C + c] - mean);
    var /= C;
    const double rstd = 1.0 / std::sqrt(var + 1e-5);
    r.mean[n] = mean, r.rstd[n] = rstd;
    double sum_g = 0.0, sum_gx = 0.0;
    for (std::size_t c = 0; c < C; ++c) {
      const double xhat = (x[n * C + c] - mean) * rstd, g = dout[n * C + c];
      r.out[n * C + c] = xhat * w[c] + b[c];
      r.dweight[c] += g * xhat;
      r.dbias[c] += g;
      sum_g += g * w[c];
      sum_gx += g * w[c] * xhat;
    }
    for (std::size_t c = 0; c < C; ++c) {
      const double xhat = (x[n * C + c] - mean) * rstd;
      r.dinp[n * C + c] = rstd * (dout[n * C + c] * w[c] - sum_g / C - xhat * sum_gx / C);
    }
  }
  return r;
}

struct Outputs {
  std::vector<float> out, mean, rstd, dinp, dweight, dbias;
};

// Forward then backward through the kernels; dinp, dweight, dbias start
// from the given values (they accumulate).
Outputs run_layernorm(std::size_t N, std::size_t C, const std::vector<float>& x,
                      const std::vector<float>& w, const std::vector<float>& b,
                      const std::vector<float>& dout, const std::vector<float>& dinp0,
                      const std::vector<float>& dw0, const std::vector<float>& db0) {
  MatrixF inp = device_matrix(x, N, C), out("out", N, C), dinp = device_matrix(dinp0, N, C);
  VectorF weight = device_vector(w), bias = device_vector(b), mean("mean", N), rstd("rstd", N);
  VectorF dweight = device_vector(dw0), dbias = device_vector(db0);
  layernorm_forward(inp, weight, bias, out, mean, rstd);
  layernorm_backward(device_matrix(dout, N, C), inp, weight, mean, rstd, dinp, dweight, dbias);
  return {to_host(out),  to_host(mean),    to_host(rstd),
          to_host(dinp), to_host(dweight), to_host(dbias)};
}

std::vector<double> plus(std::vector<double> a, const std::vector<float>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

class LayerNormShapes : public ::testing::TestWithParam<std::pair<std::size_t, std::size_t>> {};

TEST_P(LayerNormShapes, ForwardAndBackwardEqualTheDoubleReference) {
  const auto [N, C] = GetParam();
  const auto x = random_floats(N * C, 1, -2.0f, 2.0f), w = random_floats(C, 2, 0.5f, 1.5f);
  const auto b = random_floats(C, 3), dout = random_floats(N * C, 4);
  // Nonzero starting gradients: the backward must add, not overwrite.
  const auto dinp0 = random_floats(N * C, 5), dw0 = random_floats(C, 6), db0 = random_floats(C, 7);
  const Outputs got = run_layernorm(N, C, x, w, b, dout, dinp0, dw0, db0);
  const Reference want = reference(N, C, x, w, b, dout);
  // fp32 sums over C <= 1024 terms in 16 lanes, then a handful of
  // operations per element: errors of a few 1e-7 relative to values of
  // order 1 (xhat <= sqrt(C)); 1e-5 leaves a wide margin yet catches any
  // wrong term, which errs by O(1). dweight sums N rows: N·2^-24 more.
  EXPECT_TRUE(all_close(got.out, want.out, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(got.mean, want.mean, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(got.rstd, want.rstd, 0.0, 1e-5));
  EXPECT_TRUE(all_close(got.dinp, plus(want.dinp, dinp0), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(got.dweight, plus(want.dweight, dw0), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(got.dbias, plus(want.dbias, db0), 1e-5, 1e-5));
}

// Central differences of L = Σ w_out·out through the fp32 forward, against
// the backward fed dout = w_out. Only outputs of the perturbed row change
// between the two evaluations; their fp32 rounding (≈ C·|out|·2^-24 ≈
// 1e-6 for C = 24) over a step 2h = 2e-2 bounds the noise at ~1e-4, and
// the O(h²) truncation is ~1e-4 too: 2e-3 absolute plus 1e-2 relative is
// far below the O(1) error of a wrong formula.
TEST_P(LayerNormShapes, BackwardMatchesFiniteDifferences) {
  const auto [N, C] = GetParam();
  auto x = random_floats(N * C, 11, -2.0f, 2.0f), w = random_floats(C, 12, 0.5f, 1.5f);
  auto b = random_floats(C, 13);
  const auto w_out = random_floats(N * C, 14);
  auto objective = [&] {
    MatrixF out("out", N, C);
    VectorF mean("mean", N), rstd("rstd", N);
    layernorm_forward(device_matrix(x, N, C), device_vector(w), device_vector(b), out, mean, rstd);
    const auto y = to_host(out);
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(w_out[i]) * y[i];
    return sum;
  };
  const std::vector<float> zeros_nc(N * C, 0.0f), zeros_c(C, 0.0f);
  const Outputs got = run_layernorm(N, C, x, w, b, w_out, zeros_nc, zeros_c, zeros_c);
  const float h = 1e-2f;
  for (std::size_t i = 0; i < x.size(); i += 5)
    EXPECT_NEAR(central_difference(x, i, h, objective), got.dinp[i],
                2e-3 + 1e-2 * std::abs(got.dinp[i]))
        << "inp " << i;
  for (std::size_t c = 0; c < C; c += 3) {
    EXPECT_NEAR(central_difference(w, c, h, objective), got.dweight[c],
                2e-3 + 1e-2 * std::abs(got.dweight[c]))
        << "weight " << c;
    EXPECT_NEAR(central_difference(b, c, h, objective), got.dbias[c],
                2e-3 + 1e-2 * std::abs(got.dbias[c]))
        << "bias " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormShapes,
                         ::testing::Values(std::make_pair(std::size_t{3}, std::size_t{24}),
                                           std::make_pair(std::size_t{1}, std::size_t{7}),
                                           std::make_pair(std::size_t{5}, std::size_t{37}),
                                           std::make_pair(std::size_t{2}, std::size_t{128})));

TEST(LayerNorm, LargeShapesEqualTheDoubleReference) {
  const std::size_t N = 64, C = 768;  // GPT-2 small's width, 16-lane multiple
  const auto x = random_floats(N * C, 21, -3.0f, 3.0f), w = random_floats(C, 22);
  const auto b = random_floats(C, 23), dout = random_floats(N * C, 24);
  const std::vector<float> zeros_nc(N * C, 0.0f), zeros_c(C, 0.0f);
  const Outputs got = run_layernorm(N, C, x, w, b, dout, zeros_nc, zeros_c, zeros_c);
  const Reference want = reference(N, C, x, w, b, dout);
  EXPECT_TRUE(all_close(got.out, want.out, 2e-5, 1e-5));
  EXPECT_TRUE(all_close(got.dinp, want.dinp, 2e-5, 1e-5));
  EXPECT_TRUE(all_close(got.dweight, want.dweight, 1e-4, 1e-5));
  EXPECT_TRUE(all_close(got.dbias, want.dbias, 1e-4, 1e-5));
}

TEST(LayerNorm, OneColumnGivesTheBiasAndNoInputGradient) {
  // C = 1: the row is its own mean, variance 0, rstd = 1/sqrt(eps), xhat
  // = 0: out = bias exactly, dinp = 0, dweight += 0, dbias += dout.
  const std::size_t N = 4, C = 1;
  const std::vector<float> x = {3.0f, -1.0f, 0.0f, 1e6f}, w = {2.0f}, b = {0.25f};
  const std::vector<float> dout = {1.0f, 2.0f, 3.0f, 4.0f};
  const Outputs got =
      run_layernorm(N, C, x, w, b, dout, std::vector<float>(N, 0.0f), {0.0f}, {0.0f});
  for (std::size_t n = 0; n < N; ++n) {
    EXPECT_EQ(got.out[n], 0.25f);
    EXPECT_EQ(got.dinp[n], 0.0f);
  }
  EXPECT_FLOAT_EQ(got.rstd[0], static_cast<float>(1.0 / std::sqrt(1e-5)));
  EXPECT_EQ(got.dweight[0], 0.0f);
  EXPECT_EQ(got.dbias[0], 10.0f);
}

TEST(LayerNorm, LargeCommonOffsetKeepsTheVariance) {
  // Rows of 1000 + N(0, 1)-ish: E[x²] - E[x]² in fp32 would lose the
  // variance to cancellation (~6% error); the two-pass form keeps it. The
  // inputs themselves are fp32, so xhat carries ulp(1000)/σ ≈ 6e-5: 1e-3.
  const std::size_t N = 4, C = 256;
  auto x = random_floats(N * C, 31, -1.7f, 1.7f);
  for (auto& v : x) v += 1000.0f;
  const std::vector<float> w(C, 1.0f), b(C, 0.0f);
  const auto dout = random_floats(N * C, 32);
  const Outputs got = run_layernorm(N, C, x, w, b, dout, std::vector<float>(N * C, 0.0f),
                                    std::vector<float>(C, 0.0f), std::vector<float>(C, 0.0f));
  const Reference want = reference(N, C, x, w, b, dout);
  EXPECT_TRUE(all_close(got.out, want.out, 1e-3, 0.0));
  EXPECT_TRUE(all_close(got.rstd, want.rstd, 0.0, 1e-4));
  EXPECT_TRUE(all_close(got.dinp, want.dinp, 1e-3, 0.0));
}

}  // namespace
}  // namespace strata::testing
