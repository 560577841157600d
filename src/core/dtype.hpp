// Element types of tensors (fp32, bf16, fp16): their names, which C++ type
// stands for which, and narrow/widen for generic Kokkos code. The types and
// their exact IEEE-754 conversions, usable on any device, are dtype_bits.hpp.
#pragma once

#include <Kokkos_Core.hpp>

#include <string>
#include <string_view>
#include <type_traits>

#include "core/dtype_bits.hpp"

namespace strata {

// "fp32", "bf16" or "fp16": the spelling of [precision] dtype.
std::string_view name(DType dtype) noexcept;

// Parses the spelling above; anything else is an input error about `key`.
DType parse_dtype(std::string_view text, const std::string& key = "[precision] dtype");

// The DType a C++ element type stands for; Tensor checks typed access with it.
template <class T>
struct dtype_of;
template <>
struct dtype_of<float> : std::integral_constant<DType, DType::fp32> {};
template <>
struct dtype_of<bf16_t> : std::integral_constant<DType, DType::bf16> {};
template <>
struct dtype_of<fp16_t> : std::integral_constant<DType, DType::fp16> {};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<std::remove_cv_t<T>>::value;

// Uniform spelling for generic code: narrow<T>(x) and widen(x).
template <class T>
KOKKOS_INLINE_FUNCTION T narrow(float value);
template <>
KOKKOS_INLINE_FUNCTION float narrow<float>(float value) {
  return value;
}
template <>
KOKKOS_INLINE_FUNCTION bf16_t narrow<bf16_t>(float value) {
  return to_bf16(value);
}
template <>
KOKKOS_INLINE_FUNCTION fp16_t narrow<fp16_t>(float value) {
  return to_fp16(value);
}

KOKKOS_INLINE_FUNCTION float widen(float value) { return value; }
KOKKOS_INLINE_FUNCTION float widen(bf16_t value) { return to_float(value); }
KOKKOS_INLINE_FUNCTION float widen(fp16_t value) { return to_float(value); }

}  // namespace strata
