// Element conversions between the store's buffers: fp32 working and master
// copies on one side, fp32/bf16/fp16 storage and wire buffers on the other.
// Rounding is dtype.hpp's (nearest even), so every path narrows identically.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/dtype.hpp"

namespace strata::zero::impl {

// dst[i] = src[i] converted from src_type to dst_type.
void convert(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n);
// dst[i] = round_dst(widen(dst[i]) + widen(src[i])): adds a contribution
// into a buffer of dst_type, in fp32 arithmetic.
void accumulate(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n);
// Whether any element is Inf or NaN.
bool any_non_finite(const void* data, DType type, std::int64_t n);
// Σ x² in double of the widened elements.
double sum_of_squares(const void* data, DType type, std::int64_t n);

// The store's buffers are device tensors: plain memory operations on the
// host backends, Kokkos copies where device memory is not host memory.
void copy_bytes(const void* src, void* dst, std::size_t bytes);
void fill_zero(void* dst, std::size_t bytes);
// Between a store buffer and host memory (initialisation, set_param,
// whole-parameter reads).
void copy_to_host(const void* src, void* host_dst, std::size_t bytes);
void copy_from_host(const void* host_src, void* dst, std::size_t bytes);

inline const std::byte* at(const void* base, DType type, std::int64_t index) {
  return static_cast<const std::byte*>(base) +
         index * static_cast<std::int64_t>(size_in_bytes(type));
}
inline std::byte* at(void* base, DType type, std::int64_t index) {
  return static_cast<std::byte*>(base) + index * static_cast<std::int64_t>(size_in_bytes(type));
}

}  // namespace strata::zero::impl
