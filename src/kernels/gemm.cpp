// GEMM dispatch: shape checks once, then the host BLAS straight through its
// CBLAS entry point, or KokkosKernels where memory is not host memory.
#include "kernels/gemm.hpp"

#include <KokkosBlas3_gemm.hpp>

#include <string>

#include "core/error.hpp"

// Declared here rather than through <cblas.h>: every BLAS we link (OpenBLAS,
// BLIS, MKL, netlib's libblas3) exports this symbol, but the header's name
// and folder differ between them. The enums are passed as their int values.
extern "C" void cblas_sgemm(int layout, int trans_a, int trans_b, int m, int n, int k, float alpha,
                            const float* a, int lda, const float* b, int ldb, float beta, float* c,
                            int ldc);

namespace strata::kernels {
namespace {

constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
constexpr int kCblasTrans = 112;

struct GemmShape {
  int m, n, k;
};

// Checked in every build, not only with contracts on: a wrong shape here
// would have the BLAS read or write past the views, and the check costs a
// few comparisons against a call of microseconds at least.
GemmShape checked_shape(Trans trans_a, Trans trans_b, const ConstMatrixF& a, const ConstMatrixF& b,
                        const MatrixF& c) {
  const auto rows = [](const auto& v, Trans t) {
    return t == Trans::no ? v.extent(0) : v.extent(1);
  };
  const auto cols = [](const auto& v, Trans t) {
    return t == Trans::no ? v.extent(1) : v.extent(0);
  };
  const auto unit_columns = [](const auto& v) { return v.span() == 0 || v.stride(1) == 1; };
  if (rows(a, trans_a) != c.extent(0) || cols(b, trans_b) != c.extent(1) ||
      cols(a, trans_a) != rows(b, trans_b) || !unit_columns(a) || !unit_columns(b) ||
      !unit_columns(c)) {
    throw STRATA_ERROR(
        "gemm called with mismatched or non-row-major views: op(A) " +
            std::to_string(rows(a, trans_a)) + "x" + std::to_string(cols(a, trans_a)) + ", op(B) " +
            std::to_string(rows(b, trans_b)) + "x" + std::to_string(cols(b, trans_b)) + ", C " +
            std::to_string(c.extent(0)) + "x" + std::to_string(c.extent(1)),
        "strata::kernels::gemm", "this is a bug in Strata; please report it");
  }
  return {static_cast<int>(c.extent(0)), static_cast<int>(c.extent(1)),
          static_cast<int>(cols(a, trans_a))};
}

// BLAS insists on a leading dimension ≥ max(1, columns) even for empty or
// one-row matrices, whose stride(0) Kokkos may report as 0.
int leading_dim(std::size_t stride, std::size_t columns) {
  return static_cast<int>(std::max<std::size_t>({stride, columns, 1}));
}

}  // namespace

namespace detail {

void gemm_cblas(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a,
                const ConstMatrixF& b, float beta, const MatrixF& c) {
  const GemmShape s = checked_shape(trans_a, trans_b, a, b, c);
  if (s.m == 0 || s.n == 0) return;
  cblas_sgemm(kCblasRowMajor, trans_a == Trans::no ? kCblasNoTrans : kCblasTrans,
              trans_b == Trans::no ? kCblasNoTrans : kCblasTrans, s.m, s.n, s.k, alpha, a.data(),
              leading_dim(a.stride(0), a.extent(1)), b.data(),
              leading_dim(b.stride(0), b.extent(1)), beta, c.data(),
              leading_dim(c.stride(0), c.extent(1)));
}

void gemm_kokkoskernels(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a,
                        const ConstMatrixF& b, float beta, const MatrixF& c) {
  const GemmShape s = checked_shape(trans_a, trans_b, a, b, c);
  if (s.m == 0 || s.n == 0) return;
  // KokkosBlas::gemm returns without touching C when K == 0; BLAS scales C
  // by beta. Keep BLAS's meaning on every route.
  if (s.k == 0) {
    Kokkos::parallel_for(
        "strata::gemm_k0",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({0, 0}, {c.extent(0), c.extent(1)}),
        KOKKOS_LAMBDA(std::size_t i, std::size_t j) {
          c(i, j) = beta == 0.0f ? 0.0f : beta * c(i, j);
        });
    return;
  }
  KokkosBlas::gemm(trans_a == Trans::no ? "N" : "T", trans_b == Trans::no ? "N" : "T", alpha, a, b,
                   beta, c);
}

}  // namespace detail

void gemm(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a, const ConstMatrixF& b,
          float beta, const MatrixF& c) {
  // Host memory: call the BLAS directly. KokkosBlas::gemm reaches the same
  // sgemm for LayoutRight host views, but adds a profiling region and view
  // re-wrapping per call, which shows on the many small per-head GEMMs of
  // attention (docs/blas.md has the numbers).
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible) {
    detail::gemm_cblas(trans_a, trans_b, alpha, a, b, beta, c);
  } else {
    detail::gemm_kokkoskernels(trans_a, trans_b, alpha, a, b, beta, c);
  }
}

}  // namespace strata::kernels
