// What the host loops of the pointwise, row and attention kernels share: the
// Kokkos math namespace, the host/device switch, the multi-versioning macro
// and a vectorisable exp. They live together because they serve one scheme:
// our targets build without -march, so each hot host loop is compiled once
// per x86-64 ISA level (baseline, AVX2+FMA, AVX-512) and the variant the CPU
// supports is picked when the program loads; the helpers below are written so
// that those loops still vectorise (no libm calls, force-inlined pieces that
// are cloned with their callers). Include it from kernel .cpp files only.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/views.hpp"

// GCC on x86-64: function multi-versioning (ifunc) for a host loop. Force-
// inlined helpers are cloned with their caller, so they get its ISA too.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__) && \
    !defined(__HIPCC__)
#define STRATA_X86_CLONES \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define STRATA_X86_CLONES
#endif

// attention_rows.cpp keeps its own clone set: "avx2" and "avx512f" do not
// enable FMA, so its softmax rows are rounded without contraction. Moving it
// to STRATA_X86_CLONES would change attention's rounding and showed no gain
// on perf_kernels_attention (median +4%, within noise; GCC 12, AMD EPYC).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define STRATA_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STRATA_VECTOR_CLONES
#endif

// For host-only helpers of a STRATA_X86_CLONES function: inlined into each
// clone, so their loops are vectorised for that clone's ISA.
#define STRATA_ALWAYS_INLINE inline __attribute__((always_inline))

namespace strata::kernels {

#if KOKKOS_VERSION >= 30700
namespace kmath = Kokkos;
#else
namespace kmath = Kokkos::Experimental;
#endif

// Host backends run chunks or rows through the ISA clones; device backends
// one element (or row) per thread.
inline constexpr bool kHostExec = std::is_same<ExecSpace, Kokkos::DefaultHostExecutionSpace>::value;

// exp(x) in plain arithmetic, so a loop of it vectorises (libm's expf is a
// call the compiler cannot vectorise without -ffast-math). Cody–Waite
// reduction x = k·ln2 + r, |r| <= ln2/2 (ln2 split in two: the high part has
// few enough bits that k·ln2_hi is exact), then a degree-7 Taylor polynomial:
// relative error below 1e-7 over the range; exp(x) = 0 below -87.3 (no
// denormals), exp(-inf) = 0, and +inf from 88.4 up. Force-inlined so that it
// is cloned and vectorised with its caller.
KOKKOS_FORCEINLINE_FUNCTION float exp_approx(float x) {
  // Clamped so that k stays a small integer; NaN lands on -87.3, so the
  // conversion to int below is defined, and is passed through at the end.
  const float xc = x > -87.3f ? (x < 88.7f ? x : 88.7f) : -87.3f;
  // Adding and subtracting 1.5·2^23 rounds to the nearest integer.
  const float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - k * 0.693145751953125f) - k * 1.428606765330187e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    std::int32_t i;
    float f;
  } scale;  // 2^k built from its exponent bits; k is in [-126, 128]
  scale.i = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::int32_t>(k) + 127)
                                      << 23);
  const float result = x < -87.3f ? 0.0f : p * scale.f;
  return x == x ? result : x;  // NaN in, NaN out
}

}  // namespace strata::kernels
