// Conversions for the ZeRO buffers, dispatched on the run-time dtype, and on
// where the store's buffers live: host memory takes precision_cast's per-ISA
// loops, device memory (CUDA, HIP) the Kokkos kernels of portable_cast.
#include <algorithm>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "kernels/grad_norm.hpp"
#include "kernels/portable_cast.hpp"
#include "kernels/precision_cast.hpp"
#include "zero/impl/convert.hpp"

namespace strata::zero::impl {

namespace cast = kernels::precision_cast;
namespace portable = kernels::portable_cast;

void convert(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n) {
  if (n <= 0) return;
  if (src_type == dst_type) {
    copy_bytes(src, dst, static_cast<std::size_t>(n) * size_in_bytes(src_type));
  } else if constexpr (!kDeviceMemoryIsHostMemory) {
    if (src_type == DType::fp32) {
      portable::narrow(static_cast<const float*>(src), dst_type, dst, n);
    } else if (dst_type == DType::fp32) {
      portable::widen(src, src_type, static_cast<float*>(dst), n);
    } else {
      // Never needed by the store (see below); no untested device path.
      throw STRATA_ERROR("a 16-bit to 16-bit conversion was asked of device memory",
                         "strata::zero::impl::convert",
                         "this is a bug in Strata; please report it");
    }
  } else if (src_type == DType::fp32) {
    cast::narrow(static_cast<const float*>(src), dst_type, dst, n);
  } else if (dst_type == DType::fp32) {
    cast::widen(src, src_type, static_cast<float*>(dst), n);
  } else {
    // 16-bit to the other 16-bit type: never needed by the store; widen and
    // narrow element by element rather than add a path nobody tests.
    for (std::int64_t i = 0; i < n; ++i) {
      float value;
      cast::widen(at(src, src_type, i), src_type, &value, 1);
      cast::narrow(&value, dst_type, at(dst, dst_type, i), 1);
    }
  }
}

void accumulate(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n) {
  if (n <= 0) return;
  if constexpr (!kDeviceMemoryIsHostMemory) {
    portable::accumulate(src, src_type, dst, dst_type, n);
    return;
  }
  constexpr std::int64_t kBlock = 4096;
  float widened[kBlock];
  for (std::int64_t begin = 0; begin < n; begin += kBlock) {
    const std::int64_t count = std::min(kBlock, n - begin);
    const float* contribution = nullptr;
    if (src_type == DType::fp32) {
      contribution = static_cast<const float*>(src) + begin;
    } else {
      cast::widen(at(src, src_type, begin), src_type, widened, count);
      contribution = widened;
    }
    if (dst_type == DType::fp32) {
      float* out = static_cast<float*>(dst) + begin;
      for (std::int64_t i = 0; i < count; ++i) out[i] += contribution[i];
    } else {
      cast::accumulate_narrow(contribution, dst_type, at(dst, dst_type, begin), count);
    }
  }
}

bool any_non_finite(const void* data, DType type, std::int64_t n) {
  if constexpr (!kDeviceMemoryIsHostMemory) return portable::has_inf_or_nan(data, type, n);
  return n > 0 && cast::has_inf_or_nan(data, type, n);
}

double sum_of_squares(const void* data, DType type, std::int64_t n) {
  if (n <= 0) return 0;
  if (type == DType::fp32)  // the vectorised kernel the one-rank norm always used
    return kernels::grad_sum_of_squares(
        kernels::ConstVectorF(static_cast<const float*>(data), static_cast<std::size_t>(n)));
  if constexpr (!kDeviceMemoryIsHostMemory) return portable::sum_of_squares(data, type, n);
  constexpr std::int64_t kBlock = 4096;
  float widened[kBlock];
  double sum = 0;
  for (std::int64_t begin = 0; begin < n; begin += kBlock) {
    const std::int64_t count = std::min(kBlock, n - begin);
    cast::widen(at(data, type, begin), type, widened, count);
    for (std::int64_t i = 0; i < count; ++i) sum += static_cast<double>(widened[i]) * widened[i];
  }
  return sum;
}

void copy_bytes(const void* src, void* dst, std::size_t bytes) {
  if constexpr (kDeviceMemoryIsHostMemory)
    std::memcpy(dst, src, bytes);
  else
    portable::copy(src, dst, bytes);
}

void fill_zero(void* dst, std::size_t bytes) {
  if constexpr (kDeviceMemoryIsHostMemory)
    std::fill_n(static_cast<std::byte*>(dst), bytes, std::byte{0});
  else
    portable::fill_zero(dst, bytes);
}

void copy_to_host(const void* src, void* host_dst, std::size_t bytes) {
  if constexpr (kDeviceMemoryIsHostMemory)
    std::memcpy(host_dst, src, bytes);
  else
    portable::copy_to_host(src, host_dst, bytes);
}

void copy_from_host(const void* host_src, void* dst, std::size_t bytes) {
  if constexpr (kDeviceMemoryIsHostMemory)
    std::memcpy(dst, host_src, bytes);
  else
    portable::copy_from_host(host_src, dst, bytes);
}

}  // namespace strata::zero::impl
