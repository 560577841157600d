// The bulk conversions of precision_cast.hpp, written once as Kokkos
// patterns on the default execution space, so that buffers in device
// memory (CUDA, HIP) convert where they live. On the host backends these
// give the same bits as precision_cast (both round through dtype.hpp's
// scalar conversions; portable_cast_test checks it element for element),
// but precision_cast's per-ISA loops are the faster there, so callers pick
// this only when device memory is not host memory (zero/convert.cpp).
//
// All pointers are in the default execution space's memory. Buffers may not
// overlap.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace strata::kernels::portable_cast {

// dst[i] = dst_type(src[i]); fp32 to fp32 copies.
void narrow(const float* src, DType dst_type, void* dst, std::int64_t n);
// dst[i] = float(src[i]), exact.
void widen(const void* src, DType src_type, float* dst, std::int64_t n);
// dst[i] = dst_type(float(dst[i]) + src[i]), rounded once.
void accumulate_narrow(const float* src, DType dst_type, void* dst, std::int64_t n);
// dst[i] = dst_type(float(dst[i]) + float(src[i])): a 16-bit contribution
// added into a buffer of the same or wider type.
void accumulate(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n);
// Whether any element is Inf or NaN.
bool has_inf_or_nan(const void* data, DType type, std::int64_t n);
// Σ float(x)² in double.
double sum_of_squares(const void* data, DType type, std::int64_t n);
// bytes of dst set to zero.
void fill_zero(void* dst, std::size_t bytes);
// bytes copied from src to dst, both in device memory.
void copy(const void* src, void* dst, std::size_t bytes);
// Between device memory and the host.
void copy_to_host(const void* device_src, void* host_dst, std::size_t bytes);
void copy_from_host(const void* host_src, void* device_dst, std::size_t bytes);

}  // namespace strata::kernels::portable_cast
