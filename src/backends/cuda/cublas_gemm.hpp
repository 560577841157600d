// CublasGemm: the GEMMs of the linear layers on an NVIDIA GPU through
// cuBLAS, with bf16 or fp16 (or fp32) inputs and fp32 accumulation
// (cublasGemmEx, CUBLAS_COMPUTE_32F), so low-precision training keeps fp32
// sums as the CPU path does. Matrices are row-major, as everywhere in
// Strata; cuBLAS is column-major, and C = op(A)·op(B) is computed as
// Cᵀ = op(B)ᵀ·op(A)ᵀ, which needs no copy.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.hpp"

namespace strata::backends::cuda {

enum class Transpose { no, yes };

// A row-major matrix in device memory: rows × cols logical, leading
// dimension ld (elements between rows), in dtype.
struct DeviceMatrix {
  const void* data = nullptr;
  DType dtype = DType::fp32;
  std::int64_t ld = 0;
};

class CublasGemm {
 public:
  // Work is enqueued on stream. Throws an Error with the binding fix when
  // no CUDA device is visible.
  explicit CublasGemm(cudaStream_t stream);
  ~CublasGemm();
  CublasGemm(const CublasGemm&) = delete;
  CublasGemm& operator=(const CublasGemm&) = delete;

  // C[m, n] = alpha · op(A) · op(B) + beta · C, op(A) [m, k], op(B) [k, n];
  // sums in fp32 whatever the dtypes. c_dtype: fp32, or the inputs' dtype.
  void gemm(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
            const DeviceMatrix& a, const DeviceMatrix& b, float beta, void* c, DType c_dtype,
            std::int64_t ldc);

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace strata::backends::cuda
