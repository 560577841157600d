// CublasGemm: row-major GEMMs through cublasGemmEx with fp32 compute.
#include "backends/cuda/cublas_gemm.hpp"

#include <climits>
#include <string>

#include "backends/cuda/cuda_check.hpp"
#include "core/error.hpp"

namespace strata::backends::cuda {
namespace {

cudaDataType_t cuda_type(DType dtype) {
  switch (dtype) {
    case DType::fp32: return CUDA_R_32F;
    case DType::bf16: return CUDA_R_16BF;
    case DType::fp16: return CUDA_R_16F;
  }
  return CUDA_R_32F;
}

cublasOperation_t op(Transpose t) { return t == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

int blas_int(std::int64_t value, const char* what) {
  if (value >= 0 && value <= INT_MAX) return static_cast<int>(value);
  throw STRATA_ERROR(
      std::string(what) + " = " + std::to_string(value) + " is outside what one cuBLAS call takes",
      "CublasGemm", "this is a bug in the caller: split the GEMM");
}

}  // namespace

CublasGemm::CublasGemm(cudaStream_t stream) {
  require_cuda_device("cuBLAS");
  check_cublas(cublasCreate(&handle_), "cublasCreate");
  check_cublas(cublasSetStream(handle_, stream), "cublasSetStream");
}

CublasGemm::~CublasGemm() {
  if (handle_) cublasDestroy(handle_);
}

void CublasGemm::gemm(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k,
                      float alpha, const DeviceMatrix& a, const DeviceMatrix& b, float beta,
                      void* c, DType c_dtype, std::int64_t ldc) {
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the same
  // buffers, read with the roles of A and B swapped.
  check_cublas(
      cublasGemmEx(handle_, op(tb), op(ta), blas_int(n, "n"), blas_int(m, "m"), blas_int(k, "k"),
                   &alpha, b.data, cuda_type(b.dtype), blas_int(b.ld, "ldb"), a.data,
                   cuda_type(a.dtype), blas_int(a.ld, "lda"), &beta, c, cuda_type(c_dtype),
                   blas_int(ldc, "ldc"), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
      "cublasGemmEx");
}

}  // namespace strata::backends::cuda
