// The device forms of the bias and LayerNorm-parameter gradients (a team per
// column), run on the host backend against double references: the sums are
// added into the existing gradients, strided rows are read right, and a
// column of one row or many rows comes out whole.
#include "kernels/team_reductions.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "dense_test_support.hpp"

namespace strata::testing::dense {
namespace {

using kernels::team_reductions::add_column_sums;
using kernels::team_reductions::add_layernorm_param_grads;

struct Shape {
  std::size_t rows, cols;
};

constexpr Shape kShapes[] = {{1, 1}, {1, 70}, {300, 1}, {257, 33}, {1024, 96}};

TEST(TeamReductions, ColumnSumsAddIntoTheBiasGradient) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(std::to_string(s.rows) + "x" + std::to_string(s.cols));
    // A strided view: the columns of a wider matrix.
    const MatrixF wide = random_matrix(s.rows, s.cols + 5, 3);
    const auto dout =
        Kokkos::subview(wide, Kokkos::ALL, std::make_pair<std::size_t>(2, 2 + s.cols));
    const VectorF dbias = random_vector(s.cols, 4);
    std::vector<double> want(s.cols);
    for (std::size_t j = 0; j < s.cols; ++j) {
      want[j] = dbias(j);
      for (std::size_t i = 0; i < s.rows; ++i) want[j] += dout(i, j);
    }
    add_column_sums(dout, dbias);
    for (std::size_t j = 0; j < s.cols; ++j)
      EXPECT_NEAR(dbias(j), want[j], 1e-5 * (1.0 + static_cast<double>(s.rows))) << j;
  }
}

TEST(TeamReductions, LayerNormParameterGradientsAddIn) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(std::to_string(s.rows) + "x" + std::to_string(s.cols));
    const MatrixF dout = random_matrix(s.rows, s.cols, 5), inp = random_matrix(s.rows, s.cols, 6);
    const VectorF mean = random_vector(s.rows, 7), rstd = random_vector(s.rows, 8);
    const VectorF dweight = random_vector(s.cols, 9), dbias = random_vector(s.cols, 10);
    std::vector<double> want_w(s.cols), want_b(s.cols);
    for (std::size_t c = 0; c < s.cols; ++c) {
      want_w[c] = dweight(c);
      want_b[c] = dbias(c);
      for (std::size_t n = 0; n < s.rows; ++n) {
        want_w[c] += static_cast<double>(dout(n, c)) * (inp(n, c) - mean(n)) * rstd(n);
        want_b[c] += dout(n, c);
      }
    }
    add_layernorm_param_grads(dout, inp, mean, rstd, dweight, dbias);
    const double tol = 1e-5 * (1.0 + static_cast<double>(s.rows));
    for (std::size_t c = 0; c < s.cols; ++c) {
      EXPECT_NEAR(dweight(c), want_w[c], tol) << c;
      EXPECT_NEAR(dbias(c), want_b[c], tol) << c;
    }
  }
}

}  // namespace
}  // namespace strata::testing::dense
