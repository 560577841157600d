// gemm(): every transpose combination, alpha/beta, strided views, the edge
// shapes BLAS treats specially, and the two host routes agreeing.
#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"
#include "dense_test_support.hpp"
#include "kernels/gemm.hpp"

namespace {

using namespace strata::testing::dense;
using strata::kernels::ConstMatrixF;
using strata::kernels::gemm;
using strata::kernels::Trans;

using GemmFn = void (*)(Trans, Trans, float, const ConstMatrixF&, const ConstMatrixF&, float,
                        const MatrixF&);

struct Route {
  const char* name;
  GemmFn fn;
};
const Route kRoutes[] = {{"dispatch", &gemm},
                         {"cblas", &strata::kernels::detail::gemm_cblas},
                         {"kokkoskernels", &strata::kernels::detail::gemm_kokkoskernels}};

// C = alpha·op(A)·op(B) + beta·C against double, for M×N×K = 7×5×3 and a
// tall one, all four transpose pairs, on every route.
TEST(Gemm, AllTransposesAgainstDoubleReference) {
  for (const Route& route : kRoutes) {
    for (int shape = 0; shape < 2; ++shape) {
      const std::size_t m = shape == 0 ? 7 : 130, n = shape == 0 ? 5 : 9, k = shape == 0 ? 3 : 67;
      for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
          SCOPED_TRACE(std::string(route.name) + " ta=" + std::to_string(ta) +
                       " tb=" + std::to_string(tb));
          const auto a = ta ? random_matrix(k, m, 1) : random_matrix(m, k, 1);
          const auto b = tb ? random_matrix(n, k, 2) : random_matrix(k, n, 2);
          const auto c = random_matrix(m, n, 3);
          const HostMatrix c0 = to_host(c);
          route.fn(ta ? Trans::yes : Trans::no, tb ? Trans::yes : Trans::no, 0.5f, a, b, -2.0f, c);
          HostMatrix want = reference_product(to_host(a), ta, to_host(b), tb);
          for (std::size_t i = 0; i < want.v.size(); ++i)
            want.v[i] = 0.5 * want.v[i] - 2.0 * c0.v[i];
          EXPECT_LT(normwise_error(to_host(c), want), 1e-6);
        }
      }
    }
  }
}

// One head's columns of a packed matrix, as attention passes them: only the
// block of C may change, and it must be right.
TEST(Gemm, StridedSubviewsTouchOnlyTheirBlock) {
  for (const Route& route : kRoutes) {
    SCOPED_TRACE(route.name);
    const auto a_full = random_matrix(10, 24, 4), b_full = random_matrix(12, 24, 5);
    const auto c_full = random_matrix(10, 30, 6);
    const HostMatrix before = to_host(c_full);
    const auto a = Kokkos::subview(a_full, std::make_pair(2, 9), std::make_pair(8, 16));    // 7×8
    const auto b = Kokkos::subview(b_full, std::make_pair(1, 6), std::make_pair(16, 24));   // 5×8
    const auto c = Kokkos::subview(c_full, std::make_pair(3, 10), std::make_pair(20, 25));  // 7×5
    route.fn(Trans::no, Trans::yes, 1.0f, a, b, 0.0f, c);
    const HostMatrix want = reference_product(to_host(a), false, to_host(b), true);
    EXPECT_LT(normwise_error(to_host(c), want), 1e-6);
    const HostMatrix after = to_host(c_full);
    for (std::size_t i = 0; i < after.rows; ++i)
      for (std::size_t j = 0; j < after.cols; ++j) {
        const bool inside = i >= 3 && i < 10 && j >= 20 && j < 25;
        if (!inside) {
          EXPECT_EQ(after(i, j), before(i, j)) << i << "," << j;
        }
      }
  }
}

TEST(Gemm, BetaZeroOverwritesNaN) {
  for (const Route& route : kRoutes) {
    SCOPED_TRACE(route.name);
    const auto a = random_matrix(4, 3, 7), b = random_matrix(3, 6, 8);
    MatrixF c("c", 4, 6);
    Kokkos::deep_copy(c, std::numeric_limits<float>::quiet_NaN());
    route.fn(Trans::no, Trans::no, 1.0f, a, b, 0.0f, c);
    EXPECT_LT(normwise_error(to_host(c), reference_product(to_host(a), false, to_host(b), false)),
              1e-6);
  }
}

// K = 0 is an empty sum: C = beta·C. M = 0 or N = 0: nothing to do. One row.
TEST(Gemm, EdgeShapes) {
  for (const Route& route : kRoutes) {
    SCOPED_TRACE(route.name);
    MatrixF a0("a0", 3, 0), b0("b0", 0, 4);
    const auto c = random_matrix(3, 4, 9);
    const HostMatrix before = to_host(c);
    route.fn(Trans::no, Trans::no, 1.0f, a0, b0, 0.5f, c);
    const HostMatrix after = to_host(c);
    for (std::size_t i = 0; i < after.v.size(); ++i) EXPECT_EQ(after.v[i], 0.5 * before.v[i]);

    MatrixF empty("empty", 0, 4);
    route.fn(Trans::no, Trans::no, 1.0f, MatrixF("a", 0, 2), random_matrix(2, 4, 10), 0.0f, empty);

    const auto row = random_matrix(1, 5, 11), w = random_matrix(8, 5, 12);
    MatrixF out("out", 1, 8);
    route.fn(Trans::no, Trans::yes, 1.0f, row, w, 0.0f, out);
    EXPECT_LT(
        normwise_error(to_host(out), reference_product(to_host(row), false, to_host(w), true)),
        1e-6);
  }
}

TEST(Gemm, MismatchedShapesThrow) {
  MatrixF a("a", 3, 4), b("b", 5, 6), c("c", 3, 6);
  EXPECT_THROW(gemm(Trans::no, Trans::no, 1.0f, a, b, 0.0f, c), strata::Error);
  EXPECT_THROW(gemm(Trans::no, Trans::yes, 1.0f, a, b, 0.0f, c), strata::Error);
}

TEST(Gemm, HostRoutesGiveTheSameBits) {
  const auto a = random_matrix(96, 80, 13), b = random_matrix(80, 72, 14);
  MatrixF c1("c1", 96, 72), c2("c2", 96, 72);
  strata::kernels::detail::gemm_cblas(Trans::no, Trans::no, 1.0f, a, b, 0.0f, c1);
  strata::kernels::detail::gemm_kokkoskernels(Trans::no, Trans::no, 1.0f, a, b, 0.0f, c2);
  EXPECT_EQ(to_host(c1).v, to_host(c2).v);
}

}  // namespace
