// residual_forward/backward: exact against the definition (one fp32 add per
// element), in place, accumulating, and with dout aliasing an input's grad.
#include <gtest/gtest.h>

#include "kernels/residual.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::residual_backward;
using kernels::residual_forward;

constexpr std::size_t kRows = 5, kCols = 1027;  // a tail past every chunk/vector width

// Each element is one fp32 addition, so the kernel must match a scalar fp32
// add to the bit: no tolerance.
std::vector<double> sum_fp32(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] + b[i];  // float + float: fp32
  return out;
}

TEST(Residual, ForwardIsTheFp32Sum) {
  const auto a = random_floats(kRows * kCols, 1), b = random_floats(kRows * kCols, 2);
  MatrixF out("out", kRows, kCols);
  residual_forward(device_matrix(a, kRows, kCols), device_matrix(b, kRows, kCols), out);
  EXPECT_TRUE(all_close(to_host(out), sum_fp32(a, b), 0.0, 0.0));
}

TEST(Residual, ForwardInPlace) {
  const auto a = random_floats(kRows * kCols, 3), b = random_floats(kRows * kCols, 4);
  MatrixF x = device_matrix(a, kRows, kCols);
  residual_forward(x, device_matrix(b, kRows, kCols), x);  // x += branch
  EXPECT_TRUE(all_close(to_host(x), sum_fp32(a, b), 0.0, 0.0));
}

TEST(Residual, BackwardAddsDoutToBothInputs) {
  const auto dout = random_floats(kRows * kCols, 5);
  const auto da0 = random_floats(kRows * kCols, 6), db0 = random_floats(kRows * kCols, 7);
  MatrixF da = device_matrix(da0, kRows, kCols), db = device_matrix(db0, kRows, kCols);
  residual_backward(device_matrix(dout, kRows, kCols), da, db);
  EXPECT_TRUE(all_close(to_host(da), sum_fp32(da0, dout), 0.0, 0.0));
  EXPECT_TRUE(all_close(to_host(db), sum_fp32(db0, dout), 0.0, 0.0));
}

TEST(Residual, BackwardWithDoutAsOneGradientLeavesItAlone) {
  // The in-place residual stream: the identity path's gradient is dout
  // itself, so only the other input gets dout added.
  const auto dout = random_floats(kRows * kCols, 8), db0 = random_floats(kRows * kCols, 9);
  MatrixF g = device_matrix(dout, kRows, kCols), db = device_matrix(db0, kRows, kCols);
  residual_backward(g, g, db);
  EXPECT_TRUE(all_close(to_host(g), widen(dout), 0.0, 0.0));
  EXPECT_TRUE(all_close(to_host(db), sum_fp32(db0, dout), 0.0, 0.0));
  MatrixF da = device_matrix(db0, kRows, kCols);
  residual_backward(g, da, g);
  EXPECT_TRUE(all_close(to_host(g), widen(dout), 0.0, 0.0));
  EXPECT_TRUE(all_close(to_host(da), sum_fp32(db0, dout), 0.0, 0.0));
}

TEST(Residual, BackwardMatchesFiniteDifferences) {
  // L = Σ w·(a + b) is linear: dL/da = dL/db = w. A central difference
  // through the fp32 forward recovers w up to one output's rounding
  // (2^-23) over 2h = 0.2: 1e-5.
  const std::size_t rows = 2, cols = 9;
  auto a = random_floats(rows * cols, 10), b = random_floats(rows * cols, 11);
  const auto w = random_floats(rows * cols, 12);
  MatrixF da("da", rows, cols), db("db", rows, cols);
  residual_backward(device_matrix(w, rows, cols), da, db);
  const auto ga = to_host(da), gb = to_host(db);
  auto objective = [&] {
    MatrixF out("out", rows, cols);
    residual_forward(device_matrix(a, rows, cols), device_matrix(b, rows, cols), out);
    const auto y = to_host(out);
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(w[i]) * y[i];
    return sum;
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(central_difference(a, i, 0.1f, objective), ga[i], 1e-5) << "a " << i;
    EXPECT_NEAR(central_difference(b, i, 0.1f, objective), gb[i], 1e-5) << "b " << i;
  }
}

}  // namespace
}  // namespace strata::testing
