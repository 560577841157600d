// The element types' bits: DType, the 2-byte storage types and their exact
// IEEE-754 conversions, with no Kokkos include, so that a device compiler's
// translation unit that cannot take the host Kokkos (backends/hip's kernels,
// under hipcc) rounds with this same code. core/dtype.hpp adds the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// KOKKOS_INLINE_FUNCTION without Kokkos: host and device under the CUDA and
// HIP compilers, as the CUDA and HIP Kokkos define it, plain inline elsewhere.
#if defined(__CUDACC__) || defined(__HIPCC__)
#define STRATA_HOST_DEVICE_INLINE __host__ __device__ inline
#else
#define STRATA_HOST_DEVICE_INLINE inline
#endif

namespace strata {

enum class DType { fp32, bf16, fp16 };

constexpr std::size_t size_in_bytes(DType dtype) noexcept { return dtype == DType::fp32 ? 4 : 2; }

// Storage-only types: arithmetic happens in fp32 after conversion, so these
// carry the bits and nothing else (trivially copyable, Kokkos-friendly).
struct bf16_t {
  std::uint16_t bits;
};
struct fp16_t {
  std::uint16_t bits;
};
static_assert(std::is_trivially_copyable_v<bf16_t> && sizeof(bf16_t) == 2);
static_assert(std::is_trivially_copyable_v<fp16_t> && sizeof(fp16_t) == 2);

namespace detail {

// std::bit_cast is C++20; device compilers offer intrinsics instead of memcpy.
STRATA_HOST_DEVICE_INLINE std::uint32_t bits_of(float value) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __float_as_uint(value);
#else
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
#endif
}

STRATA_HOST_DEVICE_INLINE float float_from_bits(std::uint32_t bits) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __uint_as_float(bits);
#else
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
#endif
}

}  // namespace detail

// bf16 is the top half of an fp32, so rounding is "add just under half an ulp
// of the kept part, plus its lowest bit for ties-to-even, then truncate". The
// carry runs into the exponent naturally, which also rounds the largest
// finite floats up to Inf exactly when RNE says so, and handles subnormals.
STRATA_HOST_DEVICE_INLINE bf16_t to_bf16(float value) {
  const std::uint32_t bits = detail::bits_of(value);
  // Truncating a NaN whose payload sits in the low half would give Inf;
  // set the quiet bit instead (sign and top payload bits kept).
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return bf16_t{static_cast<std::uint16_t>((bits >> 16) | 0x0040u)};
  const std::uint32_t lowest_kept_bit = (bits >> 16) & 1u;
  return bf16_t{static_cast<std::uint16_t>((bits + 0x7fffu + lowest_kept_bit) >> 16)};
}

STRATA_HOST_DEVICE_INLINE float to_float(bf16_t value) {
  return detail::float_from_bits(static_cast<std::uint32_t>(value.bits) << 16);
}

// fp16: 1 sign, 5 exponent (bias 15), 10 fraction bits. Largest finite is
// 65504 = (2 - 2^-10) * 2^15; the halfway point to the next binade, 65520,
// ties to even (away from the odd 0x3ff fraction), so |x| >= 65520 -> Inf.
// Subnormals are m * 2^-24 for m in [1, 1023].
STRATA_HOST_DEVICE_INLINE fp16_t to_fp16(float value) {
  const std::uint32_t bits = detail::bits_of(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u)  // NaN: quiet it, keep the top payload bits
    return fp16_t{static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x03ffu))};
  if (magnitude >= 0x477ff000u)  // 65520 and above, Inf included
    return fp16_t{static_cast<std::uint16_t>(sign | 0x7c00u)};
  if (magnitude >= 0x38800000u) {  // 2^-14 and above: normal fp16
    // Rebias the exponent (127 -> 15), then round the 13 dropped bits RNE;
    // a carry out of the fraction correctly bumps the exponent.
    const std::uint32_t rebiased = magnitude - (112u << 23);
    const std::uint32_t lowest_kept_bit = (rebiased >> 13) & 1u;
    return fp16_t{
        static_cast<std::uint16_t>(sign | ((rebiased + 0x0fffu + lowest_kept_bit) >> 13))};
  }
  // At most 2^-25 (half the smallest subnormal; the tie goes to even, 0).
  if (magnitude <= 0x33000000u) return fp16_t{sign};
  // Subnormal result: m = RNE(|x| * 2^24). With |x| = s * 2^(e-23), s the
  // 24-bit significand and e in [-25, -15], that is s shifted right by -e-1.
  const int exponent = static_cast<int>(magnitude >> 23) - 127;
  const std::uint32_t significand = (magnitude & 0x007fffffu) | 0x00800000u;
  const int shift = -exponent - 1;  // 14..24
  std::uint32_t m = significand >> shift;
  const std::uint32_t remainder = significand & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (m & 1u))) ++m;  // m = 0x400 is 2^-14: fine
  return fp16_t{static_cast<std::uint16_t>(sign | m)};
}

STRATA_HOST_DEVICE_INLINE float to_float(fp16_t value) {
  const std::uint32_t sign = static_cast<std::uint32_t>(value.bits & 0x8000u) << 16;
  const std::uint32_t exponent = (value.bits >> 10) & 0x1fu;
  std::uint32_t fraction = value.bits & 0x03ffu;
  if (exponent == 0x1fu)  // Inf, or NaN with its payload (non-zero, so it stays NaN)
    return detail::float_from_bits(sign | 0x7f800000u | (fraction << 13));
  if (exponent != 0)
    return detail::float_from_bits(sign | ((exponent + 112u) << 23) | (fraction << 13));
  if (fraction == 0) return detail::float_from_bits(sign);
  // Subnormal m * 2^-24 with highest set bit p: normal float 2^(p-24) * (m / 2^p).
  int p = 9;
  while (!(fraction & (1u << p))) --p;
  const std::uint32_t float_exponent = static_cast<std::uint32_t>(p - 24 + 127);
  return detail::float_from_bits(sign | (float_exponent << 23) |
                                 ((fraction << (23 - p)) & 0x007fffffu));
}

}  // namespace strata
