// gelu_forward/backward against PyTorch's tanh formula in double, by finite
// differences through the fp32 kernel, in place, and at extreme inputs.
#include <gtest/gtest.h>

#include "kernels/gelu.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::gelu_backward;
using kernels::gelu_forward;

// PyTorch's approximate='tanh' definition in double: 0.5·x·(1 + tanh(u)),
// written as the identical x·σ(2u) because 1 + tanh(u) cancels even in
// double below u ≈ -19 (x ≈ -7). The derivative likewise, with
// 1 - σ(2u) = e·σ(2u), e = exp(-2u).
double inner_ref(double x) { return std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x); }
double gelu_ref(double x) { return x / (1.0 + std::exp(-2.0 * inner_ref(x))); }
double gelu_grad_ref(double x) {
  const double e = std::exp(-2.0 * inner_ref(x)), s = 1.0 / (1.0 + e);
  return s + x * 2.0 * e * s * s * std::sqrt(2.0 / M_PI) * (1.0 + 3.0 * 0.044715 * x * x);
}

// How far fp32 may be from the exact value: u = sqrt(2/π)(x + 0.044715x³)
// takes ~4 roundings, and exp(-2u) turns u's relative error into 2|u|
// times as much in the result; the exp itself (1e-7) and the few other
// operations add ~8 ulps. Relative to the value, plus a floor for the
// derivative's zero crossing (x ≈ -0.75), where terms of size ~1 cancel.
double tolerance(double x, double want, double floor) {
  return (8.0 * std::abs(inner_ref(x)) + 8.0) * 0x1p-24 * std::abs(want) + floor;
}

std::vector<float> forward(const std::vector<float>& x, std::size_t rows) {
  MatrixF out("out", rows, x.size() / rows);
  gelu_forward(device_matrix(x, rows, x.size() / rows), out);
  return to_host(out);
}

std::vector<float> backward(const std::vector<float>& x, const std::vector<float>& dout,
                            std::size_t rows) {
  const std::size_t cols = x.size() / rows;
  MatrixF dinp("dinp", rows, cols);
  gelu_backward(device_matrix(dout, rows, cols), device_matrix(x, rows, cols), dinp);
  return to_host(dinp);
}

TEST(Gelu, ForwardAndBackwardEqualTheDoubleReference) {
  // Over [-8, 8] plus the sizes' tails (not a multiple of any vector width).
  const std::size_t rows = 7, cols = 1031;
  const auto x = random_floats(rows * cols, 1, -8.0f, 8.0f);
  const auto dout = random_floats(rows * cols, 2);
  const auto y = forward(x, rows), dx = backward(x, dout, rows);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want_y = gelu_ref(x[i]), want_dx = dout[i] * gelu_grad_ref(x[i]);
    ASSERT_NEAR(y[i], want_y, tolerance(x[i], want_y, 0.0)) << "x = " << x[i];
    ASSERT_NEAR(dx[i], want_dx, tolerance(x[i], want_dx, 2e-7 * std::abs(dout[i])))
        << "x = " << x[i];
  }
}

TEST(Gelu, BackwardMatchesFiniteDifferences) {
  // L = Σ w·gelu(x): each x touches one output, so the difference quotient
  // carries one output's rounding (|gelu| <= 3 here: 2e-7) over 2h = 2e-3,
  // 2e-4, and O(h²) truncation below 1e-6: 5e-4 absolute.
  const std::size_t rows = 3, cols = 40;
  auto x = random_floats(rows * cols, 3, -3.0f, 3.0f);
  const auto w = random_floats(rows * cols, 4);
  const auto grad = backward(x, w, rows);
  for (std::size_t i = 0; i < x.size(); ++i) {
    auto objective = [&] {
      const auto y = forward(x, rows);
      return static_cast<double>(w[i]) * y[i];  // the other terms do not move
    };
    EXPECT_NEAR(central_difference(x, i, 1e-3f, objective), grad[i], 5e-4) << "x " << i;
  }
}

TEST(Gelu, InPlaceEqualsOutOfPlace) {
  const std::size_t rows = 4, cols = 300;
  const auto x = random_floats(rows * cols, 5, -5.0f, 5.0f), dout = random_floats(rows * cols, 6);
  MatrixF y = device_matrix(x, rows, cols);
  gelu_forward(y, y);
  EXPECT_EQ(to_host(y), forward(x, rows));
  MatrixF g = device_matrix(dout, rows, cols);
  gelu_backward(g, device_matrix(x, rows, cols), g);
  EXPECT_EQ(to_host(g), backward(x, dout, rows));
}

TEST(Gelu, ExtremeInputsStayFinite) {
  const std::vector<float> x = {-1e30f, -1e4f, -100.0f, -10.0f, 0.0f, 10.0f, 100.0f, 1e4f, 1e30f};
  const auto y = forward(x, 1);
  const auto dx = backward(x, std::vector<float>(x.size(), 1.0f), 1);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_TRUE(std::isfinite(y[i])) << x[i];
    EXPECT_TRUE(std::isfinite(dx[i])) << x[i];
    if (x[i] >= 10.0f) {  // gelu(x) = x and gelu'(x) = 1 to fp32 precision
      EXPECT_EQ(y[i], x[i]);
      EXPECT_EQ(dx[i], 1.0f);
    }
    if (x[i] <= -10.0f) {  // true values below 1e-36 in magnitude
      EXPECT_LE(std::abs(y[i]), 1e-30f);
      EXPECT_LE(std::abs(dx[i]), 1e-30f);
    }
  }
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_FLOAT_EQ(dx[4], 0.5f);
}

TEST(Gelu, NaNPropagates) {
  // A diverged activation must stay visible, not turn into a finite value.
  const std::vector<float> x = {1.0f, std::nanf(""), -1.0f};
  const auto y = forward(x, 1), dx = backward(x, {1.0f, 1.0f, 1.0f}, 1);
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_TRUE(std::isnan(dx[1]));
  EXPECT_FALSE(std::isnan(y[0]) || std::isnan(y[2]) || std::isnan(dx[0]) || std::isnan(dx[2]));
}

}  // namespace
}  // namespace strata::testing
