// SGEMM probe: best of a few timed GEMMs after one warm-up.
#include "engine/sgemm_probe.hpp"

#include <algorithm>

#include "core/timer.hpp"
#include "kernels/gemm.hpp"

namespace strata::engine {

double measure_sgemm_peak_tflops(int n, int repeats) {
  kernels::MatrixF a("strata::probe_a", n, n), b("strata::probe_b", n, n),
      c("strata::probe_c", n, n);
  Kokkos::deep_copy(a, 0.5f);
  Kokkos::deep_copy(b, 0.25f);
  double best = 0.0;
  for (int r = 0; r <= repeats; ++r) {
    Kokkos::fence();
    Stopwatch clock;
    kernels::gemm(kernels::Trans::no, kernels::Trans::yes, 1.0f, a, b, 0.0f, c);
    Kokkos::fence();
    const double seconds = clock.elapsed_seconds();
    if (r > 0 && seconds > 0)  // the first run pays for page faults and packing buffers
      best = std::max(best, kernels::gemm_flops(n, n, n) / seconds / 1e12);
  }
  return best;
}

}  // namespace strata::engine
