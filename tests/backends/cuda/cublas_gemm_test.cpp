// cuBLAS GEMMs and pinned memory of the CUDA backend. Without a visible GPU
// (CI, this project's CPU machines) both refuse with an Error naming what
// needed the GPU and the binding fix. With one, the three GEMMs of a linear
// layer (forward A·Wᵀ, input gradient D·W, weight gradient Dᵀ·X) on bf16
// and fp16 inputs equal a double-precision product of the same rounded
// inputs to fp32-summation accuracy, and a pinned round trip is exact.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "backends/cuda/cublas_gemm.hpp"
#include "backends/cuda/cuda_check.hpp"
#include "backends/cuda/pinned_memory.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"

namespace strata::backends::cuda {
namespace {

template <class Make>
void expect_refused(Make make, const char* user) {
  try {
    make();
    FAIL() << user << " was set up without a visible GPU";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find(user), std::string::npos) << text;
    EXPECT_NE(text.find("CUDA_VISIBLE_DEVICES"), std::string::npos) << text;
  }
}

// Row-major rows × cols of a fixed pattern, rounded to dtype (kept as the
// 16-bit words for the device and as floats for the reference).
struct Operand {
  std::vector<std::uint16_t> words;
  std::vector<float> values;
  Operand(std::int64_t rows, std::int64_t cols, double seed, DType dtype) {
    for (std::int64_t i = 0; i < rows * cols; ++i) {
      const auto x = static_cast<float>(std::sin(seed + 0.37 * static_cast<double>(i)));
      if (dtype == DType::bf16) {
        const bf16_t h = to_bf16(x);
        words.push_back(h.bits);
        values.push_back(to_float(h));
      } else {
        const fp16_t h = to_fp16(x);
        words.push_back(h.bits);
        values.push_back(to_float(h));
      }
    }
  }
};

void* to_device(const void* host, std::size_t bytes) {
  void* device = nullptr;
  check_cuda(cudaMalloc(&device, bytes), "cudaMalloc");
  check_cuda(cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
  return device;
}

// C = op(A)·op(B) in double from row-major floats.
std::vector<double> reference(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                              const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<double> c(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::int64_t p = 0; p < k; ++p)
        sum += static_cast<double>(a[ta ? p * m + i : i * k + p]) * b[tb ? j * k + p : p * n + j];
      c[static_cast<std::size_t>(i * n + j)] = sum;
    }
  return c;
}

TEST(CudaBackend, GemmsOfALinearLayerOrAClearRefusal) {
  if (visible_cuda_devices() == 0) {
    expect_refused([] { CublasGemm gemm(nullptr); }, "cuBLAS");
    expect_refused([] { PinnedHostBuffer buffer(1024); }, "pinned host memory");
    return;
  }
  CublasGemm gemm(nullptr);
  const std::int64_t N = 48, C = 64, OC = 96;  // rows, in, out
  for (DType dtype : {DType::bf16, DType::fp16}) {
    const Operand x(N, C, 0.3, dtype), w(OC, C, 1.1, dtype), d(N, OC, 2.7, dtype);
    void* dx = to_device(x.words.data(), x.words.size() * 2);
    void* dw = to_device(w.words.data(), w.words.size() * 2);
    void* dd = to_device(d.words.data(), d.words.size() * 2);
    struct Case {
      const char* name;
      bool ta, tb;
      std::int64_t m, n, k;
      const Operand *a, *b;
      void* da;
      void* db;
      std::int64_t lda, ldb;
    };
    const Case cases[] = {{"forward x·wᵀ", false, true, N, OC, C, &x, &w, dx, dw, C, C},
                          {"input grad d·w", false, false, N, C, OC, &d, &w, dd, dw, OC, C},
                          {"weight grad dᵀ·x", true, false, OC, C, N, &d, &x, dd, dx, OC, C}};
    for (const Case& c : cases) {
      float* out = nullptr;
      check_cuda(cudaMalloc(&out, static_cast<std::size_t>(c.m * c.n) * sizeof(float)),
                 "cudaMalloc");
      gemm.gemm(c.ta ? Transpose::yes : Transpose::no, c.tb ? Transpose::yes : Transpose::no, c.m,
                c.n, c.k, 1.0f, {c.da, dtype, c.lda}, {c.db, dtype, c.ldb}, 0.0f, out, DType::fp32,
                c.n);
      std::vector<float> got(static_cast<std::size_t>(c.m * c.n));
      check_cuda(cudaMemcpy(got.data(), out, got.size() * sizeof(float), cudaMemcpyDeviceToHost),
                 "cudaMemcpy");
      cudaFree(out);
      const auto want = reference(c.ta, c.tb, c.m, c.n, c.k, c.a->values, c.b->values);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5 * static_cast<double>(c.k)) << c.name << " " << i;
    }
    cudaFree(dx);
    cudaFree(dw);
    cudaFree(dd);
  }
  PinnedHostBuffer pinned(4096), back(4096);
  std::memset(pinned.data(), 0x5a, 4096);
  void* device = to_device(pinned.data(), 4096);
  copy_async(back.data(), device, 4096, nullptr);
  check_cuda(cudaStreamSynchronize(nullptr), "cudaStreamSynchronize");
  EXPECT_EQ(std::memcmp(back.data(), pinned.data(), 4096), 0);
  cudaFree(device);
}

}  // namespace
}  // namespace strata::backends::cuda
