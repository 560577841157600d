// The softmax row primitives both cross-entropy kernels share: the row max
// and the sum of exponentials, each in the form the host's ISA clones
// vectorise, and the per-row launcher. Private to src/kernels.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>

#include "kernels/fast_math.hpp"
#include "kernels/views.hpp"

namespace strata::kernels::softmax_rows {

constexpr int kLanes = 16;            // independent fp32 partials: one AVX-512 register
constexpr std::int64_t kBlock = 256;  // columns summed in fp32 before adding in double
constexpr float kLowest = -3.402823466e38f;

// Floats reordered as int32 so that integer order is float order (negative
// values' magnitude bits flipped). The max then runs on integers, which the
// compiler vectorises; a float max reduction it will not without
// -ffinite-math-only. A NaN logit maps beyond ±inf; whether or not it is
// the max, its exp is NaN, so the row's loss shows it.
KOKKOS_INLINE_FUNCTION std::int32_t order_key(float value) {
  union {
    float f;
    std::int32_t i;
  } bits;
  bits.f = value;
  return bits.i ^ ((bits.i >> 31) & 0x7fffffff);
}
KOKKOS_INLINE_FUNCTION float from_order_key(std::int32_t key) {
  union {
    float f;
    std::int32_t i;
  } bits;
  bits.i = key ^ ((key >> 31) & 0x7fffffff);  // the map is its own inverse
  return bits.f;
}

KOKKOS_INLINE_FUNCTION float row_max(const float* x, std::int64_t V) {
  std::int32_t key = order_key(kLowest);
  for (std::int64_t c = 0; c < V; ++c) {
    const std::int32_t k = order_key(x[c]);
    key = k > key ? k : key;
  }
  return from_order_key(key);
}

// Σ_v exp(x[v] - max); with kStore each term is also written to e[v]
// (e may be x: each element is read before it is written).
template <bool kStore>
KOKKOS_INLINE_FUNCTION double sum_exp(const float* x, float max, std::int64_t V, float* e) {
  double total = 0.0;
  for (std::int64_t b = 0; b < V; b += kBlock) {
    const std::int64_t end = b + kBlock < V ? b + kBlock : V;
    const std::int64_t main = end - (end - b) % kLanes;
    float lane[kLanes] = {};
    for (std::int64_t c = b; c < main; c += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        const float t = exp_approx(x[c + l] - max);
        if (kStore) e[c + l] = t;
        lane[l] += t;
      }
    for (std::int64_t c = main; c < end; ++c) {
      const float t = exp_approx(x[c] - max);
      if (kStore) e[c] = t;
      lane[c - main] += t;
    }
    float block = 0.0f;
    for (int l = 0; l < kLanes; ++l) block += lane[l];
    total += static_cast<double>(block);
  }
  return total;
}

// Σ_n row(n) in double over the rows: a plain host lambda calling the
// clones on host backends, a portable one elsewhere.
template <class HostRow, class DeviceRow>
double sum_rows(const char* label, std::int64_t N, HostRow host_row, DeviceRow device_row) {
  double total = 0.0;
  if (kHostExec) {
    Kokkos::parallel_reduce(
        label, Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, N),
        [=](std::int64_t n, double& sum) { sum += host_row(n); }, total);
  } else {
    Kokkos::parallel_reduce(label, Kokkos::RangePolicy<ExecSpace>(0, N), device_row, total);
  }
  return total;
}

}  // namespace strata::kernels::softmax_rows
