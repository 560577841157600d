// matmul_forward / matmul_backward against double references and finite
// differences, with and without bias, non-square, one row, and the
// overwrite/accumulate contract of every gradient.
#include <gtest/gtest.h>

#include "dense_test_support.hpp"
#include "kernels/matmul.hpp"

namespace {

using namespace strata::testing::dense;
using strata::kernels::GradMode;
using strata::kernels::matmul_backward;
using strata::kernels::matmul_forward;
using strata::kernels::detail::BiasFusion;

struct Shape {
  std::size_t n, c, oc;
};
const Shape kShapes[] = {{6, 5, 7}, {1, 8, 3}, {33, 64, 17}, {130, 48, 96}};

HostMatrix reference_forward(const MatrixF& inp, const MatrixF& w, const VectorF* bias) {
  HostMatrix out = reference_product(to_host(inp), false, to_host(w), true);
  if (bias != nullptr) {
    const auto b = to_host_vector(*bias);
    for (std::size_t i = 0; i < out.rows; ++i)
      for (std::size_t j = 0; j < out.cols; ++j) out(i, j) += b[j];
  }
  return out;
}

TEST(Matmul, ForwardWithAndWithoutBiasBothFusions) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE("N=" + std::to_string(s.n) + " C=" + std::to_string(s.c) +
                 " OC=" + std::to_string(s.oc));
    const auto inp = random_matrix(s.n, s.c, 1), w = random_matrix(s.oc, s.c, 2);
    const auto bias = random_vector(s.oc, 3);
    for (BiasFusion fusion : {BiasFusion::preload, BiasFusion::epilogue}) {
      MatrixF out("out", s.n, s.oc);
      Kokkos::deep_copy(out, 7.0f);  // must be overwritten
      strata::kernels::detail::matmul_forward(inp, w, bias, out, fusion);
      EXPECT_LT(normwise_error(to_host(out), reference_forward(inp, w, &bias)), 1e-6);
      strata::kernels::detail::matmul_forward(inp, w, VectorF(), out, fusion);
      EXPECT_LT(normwise_error(to_host(out), reference_forward(inp, w, nullptr)), 1e-6);
    }
    MatrixF out("out", s.n, s.oc);
    matmul_forward(inp, w, bias, out);
    EXPECT_LT(normwise_error(to_host(out), reference_forward(inp, w, &bias)), 1e-6);
  }
}

// dinp = dout·W (overwrite or accumulate), dW += doutᵀ·inp, dbias += Σ dout.
TEST(Matmul, BackwardAgainstDoubleReference) {
  for (const Shape& s : kShapes) {
    for (GradMode mode : {GradMode::overwrite, GradMode::accumulate}) {
      SCOPED_TRACE("N=" + std::to_string(s.n) +
                   " accumulate=" + std::to_string(mode == GradMode::accumulate));
      const auto inp = random_matrix(s.n, s.c, 4), w = random_matrix(s.oc, s.c, 5);
      const auto dout = random_matrix(s.n, s.oc, 6);
      auto dinp = random_matrix(s.n, s.c, 7), dw = random_matrix(s.oc, s.c, 8);
      auto dbias = random_vector(s.oc, 9);
      const HostMatrix dinp0 = to_host(dinp), dw0 = to_host(dw);
      const auto dbias0 = to_host_vector(dbias);
      matmul_backward(dout, inp, w, dinp, dw, dbias, mode);

      HostMatrix want_dinp = reference_product(to_host(dout), false, to_host(w), false);
      if (mode == GradMode::accumulate)
        for (std::size_t i = 0; i < want_dinp.v.size(); ++i) want_dinp.v[i] += dinp0.v[i];
      HostMatrix want_dw = reference_product(to_host(dout), true, to_host(inp), false);
      for (std::size_t i = 0; i < want_dw.v.size(); ++i) want_dw.v[i] += dw0.v[i];
      std::vector<double> want_dbias = dbias0;
      const HostMatrix d = to_host(dout);
      for (std::size_t i = 0; i < s.n; ++i)
        for (std::size_t j = 0; j < s.oc; ++j) want_dbias[j] += d(i, j);

      EXPECT_LT(normwise_error(to_host(dinp), want_dinp), 1e-6);
      EXPECT_LT(normwise_error(to_host(dw), want_dw), 1e-6);
      EXPECT_LT(normwise_error(to_host_vector(dbias), want_dbias), 1e-6);
    }
  }
}

// L = Σ G∘out is linear in each of inp, W, bias, so a central difference
// is exact up to rounding: it checks the gradients without trusting the
// reference's algebra.
TEST(Matmul, BackwardMatchesFiniteDifferences) {
  const Shape s{5, 6, 4};
  const auto inp = random_matrix(s.n, s.c, 10), w = random_matrix(s.oc, s.c, 11);
  const auto bias = random_vector(s.oc, 12);
  const auto g = random_matrix(s.n, s.oc, 13);
  const HostMatrix gh = to_host(g);
  const auto loss = [&] {
    MatrixF out("out", s.n, s.oc);
    matmul_forward(inp, w, bias, out);
    const HostMatrix o = to_host(out);
    double sum = 0.0;
    for (std::size_t i = 0; i < o.v.size(); ++i) sum += o.v[i] * gh.v[i];
    return sum;
  };
  MatrixF dinp("dinp", s.n, s.c), dw("dw", s.oc, s.c);
  VectorF dbias("dbias", s.oc);
  matmul_backward(g, inp, w, dinp, dw, dbias);
  const float eps = 1e-2f;
  const auto central = [&](float& x) {
    const float x0 = x;
    x = x0 + eps;
    const double up = loss();
    x = x0 - eps;
    const double down = loss();
    x = x0;
    return (up - down) / (2.0 * eps);
  };
  const HostMatrix dinp_h = to_host(dinp), dw_h = to_host(dw);
  const auto dbias_h = to_host_vector(dbias);
  for (std::size_t i = 0; i < s.n; ++i)
    for (std::size_t j = 0; j < s.c; ++j) EXPECT_NEAR(central(inp(i, j)), dinp_h(i, j), 1e-4);
  for (std::size_t i = 0; i < s.oc; ++i)
    for (std::size_t j = 0; j < s.c; ++j) EXPECT_NEAR(central(w(i, j)), dw_h(i, j), 1e-4);
  for (std::size_t j = 0; j < s.oc; ++j) EXPECT_NEAR(central(bias(j)), dbias_h[j], 1e-4);
}

TEST(Matmul, EmptyGradientViewsAreSkipped) {
  const auto inp = random_matrix(4, 3, 14), w = random_matrix(2, 3, 15),
             dout = random_matrix(4, 2, 16);
  auto dw = random_matrix(2, 3, 17);
  const HostMatrix dw0 = to_host(dw);
  matmul_backward(dout, inp, w, MatrixF(), dw, VectorF());
  HostMatrix want = reference_product(to_host(dout), true, to_host(inp), false);
  for (std::size_t i = 0; i < want.v.size(); ++i) want.v[i] += dw0.v[i];
  EXPECT_LT(normwise_error(to_host(dw), want), 1e-6);
}

}  // namespace
