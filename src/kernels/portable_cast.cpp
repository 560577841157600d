// Kokkos forms of the bulk conversions: one kernel per (source, target)
// element type pair, dispatched on the run-time dtypes.
#include "kernels/portable_cast.hpp"

#include <Kokkos_Core.hpp>

#include <cmath>

#include "kernels/views.hpp"

namespace strata::kernels::portable_cast {
namespace {

using Policy = Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>;
template <class T>
using Unmanaged = Kokkos::View<T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using HostBytes =
    Kokkos::View<unsigned char*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

Unmanaged<unsigned char> device_bytes(const void* data, std::size_t bytes) {
  return Unmanaged<unsigned char>(static_cast<unsigned char*>(const_cast<void*>(data)), bytes);
}

// The kernels are templates on the element types, dispatched below by a
// switch: nvcc refuses device lambdas inside generic lambdas.
template <class Target>
void narrow_to(const float* src, Target* out, std::int64_t n) {
  Kokkos::parallel_for(
      "strata::portable_narrow", Policy(0, n),
      KOKKOS_LAMBDA(std::int64_t i) { out[i] = strata::narrow<Target>(src[i]); });
}

template <class Source>
void widen_from(const Source* in, float* dst, std::int64_t n) {
  Kokkos::parallel_for(
      "strata::portable_widen", Policy(0, n),
      KOKKOS_LAMBDA(std::int64_t i) { dst[i] = strata::widen(in[i]); });
}

template <class Source, class Target>
void accumulate_into(const Source* in, Target* out, std::int64_t n) {
  Kokkos::parallel_for(
      "strata::portable_accumulate", Policy(0, n), KOKKOS_LAMBDA(std::int64_t i) {
        out[i] = strata::narrow<Target>(strata::widen(out[i]) + strata::widen(in[i]));
      });
}

template <class Source>
void accumulate_from(const Source* in, DType dst_type, void* dst, std::int64_t n) {
  switch (dst_type) {
    case DType::fp32: return accumulate_into(in, static_cast<float*>(dst), n);
    case DType::bf16: return accumulate_into(in, static_cast<bf16_t*>(dst), n);
    case DType::fp16: return accumulate_into(in, static_cast<fp16_t*>(dst), n);
  }
}

template <class Element>
bool any_inf_or_nan(const Element* in, std::int64_t n) {
  int found = 0;
  Kokkos::parallel_reduce(
      "strata::portable_has_inf_or_nan", Policy(0, n),
      KOKKOS_LAMBDA(std::int64_t i, int& any) {
        const float value = strata::widen(in[i]);
        // value - value is NaN exactly for Inf and NaN.
        if (!(value - value == 0.0f)) any = 1;
      },
      Kokkos::Max<int>(found));
  return found > 0;  // the reducer starts from the lowest int, not 0
}

template <class Element>
double squares(const Element* in, std::int64_t n) {
  double sum = 0;
  Kokkos::parallel_reduce(
      "strata::portable_sum_of_squares", Policy(0, n),
      KOKKOS_LAMBDA(std::int64_t i, double& total) {
        const double value = strata::widen(in[i]);
        total += value * value;
      },
      sum);
  return sum;
}

}  // namespace

void narrow(const float* src, DType dst_type, void* dst, std::int64_t n) {
  if (n <= 0) return;
  switch (dst_type) {
    case DType::fp32: return narrow_to(src, static_cast<float*>(dst), n);
    case DType::bf16: return narrow_to(src, static_cast<bf16_t*>(dst), n);
    case DType::fp16: return narrow_to(src, static_cast<fp16_t*>(dst), n);
  }
}

void widen(const void* src, DType src_type, float* dst, std::int64_t n) {
  if (n <= 0) return;
  switch (src_type) {
    case DType::fp32: return widen_from(static_cast<const float*>(src), dst, n);
    case DType::bf16: return widen_from(static_cast<const bf16_t*>(src), dst, n);
    case DType::fp16: return widen_from(static_cast<const fp16_t*>(src), dst, n);
  }
}

void accumulate_narrow(const float* src, DType dst_type, void* dst, std::int64_t n) {
  accumulate(src, DType::fp32, dst, dst_type, n);
}

void accumulate(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n) {
  if (n <= 0) return;
  switch (src_type) {
    case DType::fp32: return accumulate_from(static_cast<const float*>(src), dst_type, dst, n);
    case DType::bf16: return accumulate_from(static_cast<const bf16_t*>(src), dst_type, dst, n);
    case DType::fp16: return accumulate_from(static_cast<const fp16_t*>(src), dst_type, dst, n);
  }
}

bool has_inf_or_nan(const void* data, DType type, std::int64_t n) {
  if (n <= 0) return false;
  switch (type) {
    case DType::fp32: return any_inf_or_nan(static_cast<const float*>(data), n);
    case DType::bf16: return any_inf_or_nan(static_cast<const bf16_t*>(data), n);
    case DType::fp16: return any_inf_or_nan(static_cast<const fp16_t*>(data), n);
  }
  return false;
}

double sum_of_squares(const void* data, DType type, std::int64_t n) {
  if (n <= 0) return 0;
  switch (type) {
    case DType::fp32: return squares(static_cast<const float*>(data), n);
    case DType::bf16: return squares(static_cast<const bf16_t*>(data), n);
    case DType::fp16: return squares(static_cast<const fp16_t*>(data), n);
  }
  return 0;
}

void fill_zero(void* dst, std::size_t bytes) {
  if (bytes == 0) return;
  Kokkos::deep_copy(device_bytes(dst, bytes), static_cast<unsigned char>(0));
}

void copy(const void* src, void* dst, std::size_t bytes) {
  if (bytes == 0) return;
  Kokkos::deep_copy(device_bytes(dst, bytes), device_bytes(src, bytes));
}

void copy_to_host(const void* device_src, void* host_dst, std::size_t bytes) {
  if (bytes == 0) return;
  Kokkos::deep_copy(HostBytes(static_cast<unsigned char*>(host_dst), bytes),
                    device_bytes(device_src, bytes));
}

void copy_from_host(const void* host_src, void* device_dst, std::size_t bytes) {
  if (bytes == 0) return;
  Kokkos::deep_copy(device_bytes(device_dst, bytes),
                    HostBytes(static_cast<unsigned char*>(const_cast<void*>(host_src)), bytes));
}

}  // namespace strata::kernels::portable_cast
