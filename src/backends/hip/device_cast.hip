// The HIP conversion kernels: one grid-stride kernel per direction and
// 2-byte type, dispatched on the run-time dtype. hipcc compiles this file
// alone (not the host Kokkos, whose headers do not build in HIP mode), so
// it takes the scalar conversions from dtype_bits.hpp, which has no Kokkos.
#include <hip/hip_runtime.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>

#include "backends/hip/device_cast.hpp"
#include "backends/hip/hip_check.hpp"
#include "core/error.hpp"

// The architectures this file was compiled for, from the build
// (-DSTRATA_HIP_ARCHITECTURES=gfx90a,...), for the rebuild message.
#define STRATA_STRINGIZE(...) #__VA_ARGS__
#define STRATA_STRINGIZE_VALUE(...) STRATA_STRINGIZE(__VA_ARGS__)

namespace strata::backends::hip::device_cast {
namespace {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 1 << 16;

__device__ std::int64_t first_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return static_cast<std::int64_t>(gridDim.x) * blockDim.x; }

template <class Target>
__global__ void narrow_kernel(const float* src, Target* dst, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) {
    if constexpr (std::is_same_v<Target, bf16_t>) {
      dst[i] = to_bf16(src[i]);
    } else {
      dst[i] = to_fp16(src[i]);
    }
  }
}

template <class Source>
__global__ void widen_kernel(const Source* src, float* dst, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) dst[i] = to_float(src[i]);
}

unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>(std::min<std::int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
}

// A failed launch or copy. Without any GPU the refusal names what needed
// one; a GPU whose architecture was not compiled gets the rebuild fix.
void check_enqueued(hipError_t status, const char* call) {
  if (status == hipSuccess) return;
  require_hip_device("HIP dtype conversions");
  if (status == hipErrorNoBinaryForGpu || status == hipErrorInvalidDeviceFunction) {
    int device = 0;
    hipDeviceProp_t properties{};
    std::string arch = "unknown";
    if (hipGetDevice(&device) == hipSuccess &&
        hipGetDeviceProperties(&properties, device) == hipSuccess)
      arch = properties.gcnArchName;
    throw STRATA_ERROR(std::string(call) + " failed: " + hipGetErrorString(status) +
                           " (this GPU is " + arch + "; the kernels were compiled for " +
                           STRATA_STRINGIZE_VALUE(STRATA_HIP_ARCHITECTURES) + ")",
                       "STRATA_HIP_ARCHITECTURES",
                       "rebuild with -DSTRATA_HIP_ARCHITECTURES=<the GPU's gfx name, as "
                       "rocminfo prints it> and a hipcc that knows it");
  }
  check_hip(status, call);
}

template <class Target>
void launch_narrow(const float* src, void* dst, std::int64_t n, hipStream_t stream) {
  narrow_kernel<<<blocks_for(n), kThreads, 0, stream>>>(src, static_cast<Target*>(dst), n);
  check_enqueued(hipGetLastError(), "narrow_kernel launch");
}

template <class Source>
void launch_widen(const void* src, float* dst, std::int64_t n, hipStream_t stream) {
  widen_kernel<<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const Source*>(src), dst, n);
  check_enqueued(hipGetLastError(), "widen_kernel launch");
}

void copy_fp32(const void* src, void* dst, std::int64_t n, hipStream_t stream) {
  const auto bytes = static_cast<std::size_t>(n) * sizeof(float);
  check_enqueued(hipMemcpyAsync(dst, src, bytes, hipMemcpyDeviceToDevice, stream),
                 "hipMemcpyAsync");
}

}  // namespace

void narrow(const float* src, DType dst_type, void* dst, std::int64_t n, hipStream_t stream) {
  if (n <= 0) return;
  switch (dst_type) {
    case DType::fp32: return copy_fp32(src, dst, n, stream);
    case DType::bf16: return launch_narrow<bf16_t>(src, dst, n, stream);
    case DType::fp16: return launch_narrow<fp16_t>(src, dst, n, stream);
  }
}

void widen(const void* src, DType src_type, float* dst, std::int64_t n, hipStream_t stream) {
  if (n <= 0) return;
  switch (src_type) {
    case DType::fp32: return copy_fp32(src, dst, n, stream);
    case DType::bf16: return launch_widen<bf16_t>(src, dst, n, stream);
    case DType::fp16: return launch_widen<fp16_t>(src, dst, n, stream);
  }
}

}  // namespace strata::backends::hip::device_cast
