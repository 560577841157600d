// Gradient norm in double and gradient scaling, each one pass.
#include "kernels/grad_norm.hpp"

#include <cmath>
#include <cstdint>

#include "kernels/fast_math.hpp"

namespace strata::kernels {
namespace {

// Host backends (kHostExec) run chunks of kChunk elements through the ISA
// clones below; device backends one element per thread (Kokkos' reduction
// tree sums).
constexpr std::int64_t kChunk = 4096;
// Independent double partials inside a chunk: the compiler does not
// reassociate a single sum, so without them the loop is one add chain.
constexpr int kLanes = 8;

// Σ g² over n elements in kLanes double partials, compiled for SSE2, AVX2
// and AVX-512 and picked when the program loads.
STRATA_X86_CLONES double sum_squares_span(const float* g, std::int64_t n) {
  double lane[kLanes] = {};
  const std::int64_t main = n - n % kLanes;
  for (std::int64_t i = 0; i < main; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const double x = g[i + l];
      lane[l] += x * x;
    }
  for (std::int64_t i = main; i < n; ++i) {
    const double x = g[i];
    lane[i - main] += x * x;
  }
  double total = 0.0;
  for (int l = 0; l < kLanes; ++l) total += lane[l];
  return total;
}

}  // namespace

double grad_sum_of_squares(const ConstVectorF& grads) {
  const std::int64_t size = grads.extent(0);
  const float* g = grads.data();
  double total = 0.0;
  if (kHostExec) {
    Kokkos::parallel_reduce(
        "strata::grad_sum_of_squares",
        Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, (size + kChunk - 1) / kChunk),
        [=](std::int64_t chunk, double& sum) {
          const std::int64_t b = chunk * kChunk, e = b + kChunk < size ? b + kChunk : size;
          sum += sum_squares_span(g + b, e - b);
        },
        total);
  } else {
    Kokkos::parallel_reduce(
        "strata::grad_sum_of_squares", Kokkos::RangePolicy<ExecSpace>(0, size),
        KOKKOS_LAMBDA(std::int64_t i, double& sum) {
          const double x = g[i];
          sum += x * x;
        },
        total);
  }
  return total;
}

double global_grad_norm(const std::vector<ConstVectorF>& buffers) {
  double total = 0.0;
  for (const auto& buffer : buffers) total += grad_sum_of_squares(buffer);
  return std::sqrt(total);
}

float clip_coefficient(double norm, double max_norm) {
  if (max_norm <= 0.0) return 1.0f;
  const double coefficient = max_norm / (norm + 1e-6);
  // A NaN norm fails the test and leaves the gradients to the caller's
  // overflow check rather than zeroing them silently.
  return coefficient < 1.0 ? static_cast<float>(coefficient) : 1.0f;
}

void scale_gradients(const VectorF& grads, float scale) {
  const std::int64_t size = grads.extent(0);
  float* g = grads.data();
  // A plain multiply vectorises at any width: chunks on the host, one
  // element per device thread.
  const std::int64_t width = kHostExec ? kChunk : 1;
  Kokkos::parallel_for(
      "strata::scale_gradients", Kokkos::RangePolicy<ExecSpace>(0, (size + width - 1) / width),
      KOKKOS_LAMBDA(std::int64_t chunk) {
        const std::int64_t end = (chunk + 1) * width < size ? (chunk + 1) * width : size;
        for (std::int64_t i = chunk * width; i < end; ++i) g[i] *= scale;
      });
}

}  // namespace strata::kernels
