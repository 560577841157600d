// The one place where an fp32 GEMM goes to a BLAS: row-major views in,
// cblas_sgemm on the host, KokkosBlas::gemm (cuBLAS/rocBLAS) on devices.
#pragma once

#include "kernels/views.hpp"

namespace strata::kernels {

enum class Trans { no, yes };

// C = alpha · op(A) · op(B) + beta · C, all row-major. Rows may be strided
// (a subview of a wider matrix, e.g. one head's columns of qkv: stride(0) is
// the leading dimension), columns must be contiguous. op(A) is M×K, op(B)
// K×N, C M×N. beta == 0 overwrites C without reading it, as BLAS does, so
// C may hold garbage or NaNs. C must not alias A or B.
void gemm(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a, const ConstMatrixF& b,
          float beta, const MatrixF& c);

// 2·M·N·K, the flop count benchmarks report against.
inline double gemm_flops(double m, double n, double k) { return 2.0 * m * n * k; }

namespace detail {
// The two host routes, exposed so perf/kernels_gemm_benchmark.cpp and the
// tests can compare them; gemm() picks one (docs/blas.md says which, why).
void gemm_cblas(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a,
                const ConstMatrixF& b, float beta, const MatrixF& c);
void gemm_kokkoskernels(Trans trans_a, Trans trans_b, float alpha, const ConstMatrixF& a,
                        const ConstMatrixF& b, float beta, const MatrixF& c);
}  // namespace detail

}  // namespace strata::kernels
