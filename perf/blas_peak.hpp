// Shared by the BLAS and kernel benchmarks: one-core setup, the SGEMM peak of
// the running binary, and GFLOP/s counters measured against that peak.
#pragma once

#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include <dlfcn.h>
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "cpu_clock.hpp"
#include "kernels/blas_runtime.hpp"
#include "kernels/gemm.hpp"

namespace strata::perf {

inline kernels::MatrixF random_matrix(const char* name, std::size_t rows, std::size_t cols,
                                      unsigned seed = 1) {
  kernels::MatrixF m(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(name)), rows,
                     cols);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto host = Kokkos::create_mirror_view(m);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) host(i, j) = dist(gen);
  Kokkos::deep_copy(m, host);
  return m;
}

// Best of several 2048³ SGEMMs in thread CPU time (the benchmarks' clock;
// it ignores the time other users' processes take the core): the most this
// binary's BLAS does on one core, which every "of_peak" counter divides by.
inline double& sgemm_peak_gflops() {
  static double peak = [] {
    const std::size_t n = 2048;
    auto a = random_matrix("peak_a", n, n, 1), b = random_matrix("peak_b", n, n, 2);
    kernels::MatrixF c("peak_c", n, n);
    double best = 0.0;
    for (int rep = 0; rep < 7; ++rep) {
      const double start = thread_seconds();
      kernels::gemm(kernels::Trans::no, kernels::Trans::no, 1.0f, a, b, 0.0f, c);
      const double seconds = thread_seconds() - start;
      best = std::max(best, kernels::gemm_flops(n, n, n) / seconds * 1e-9);
    }
    return best;
  }();
  return peak;
}

// GFLOP/s (as FLOP/s with a G suffix) and the fraction of the peak, both
// per CPU second of the benchmark thread; `seconds` is the thread CPU time
// of the whole timing loop (CpuTimer below).
inline void report_flops(benchmark::State& state, double flops_per_iteration, double seconds) {
  const double rate = flops_per_iteration * static_cast<double>(state.iterations()) / seconds;
  state.counters["FLOPS"] =
      benchmark::Counter(rate, benchmark::Counter::kDefaults, benchmark::Counter::kIs1000);
  state.counters["of_peak"] = rate / (sgemm_peak_gflops() * 1e9);
}

// The peak itself as a benchmark, so it sits in the same table.
inline void BM_PeakSgemm2048(benchmark::State& state) {
  const std::size_t n = 2048;
  auto a = random_matrix("a", n, n, 1), b = random_matrix("b", n, n, 2);
  kernels::MatrixF c("c", n, n);
  const CpuTimer timer;
  for (auto _ : state) {
    kernels::gemm(kernels::Trans::no, kernels::Trans::no, 1.0f, a, b, 0.0f, c);
    benchmark::DoNotOptimize(c.data());
  }
  report_flops(state, kernels::gemm_flops(n, n, n), timer.seconds());
}

// main() of every kernel benchmark: Strata's BLAS tuning first (it may
// re-exec), then one BLAS thread (these are one-core figures, and CPU-time
// rates would overstate a threaded BLAS), then the peak, then the runs.
inline int benchmark_main(int argc, char** argv) {
  const kernels::BlasTuning tuning = kernels::ensure_blas_tuning(argc, argv);
  using SetThreads = void(int);
  if (auto* set_threads =
          reinterpret_cast<SetThreads*>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_threads(1);
  Kokkos::ScopeGuard kokkos(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::string blas = kernels::describe(kernels::blas_info());
  benchmark::AddCustomContext("blas", blas);
  benchmark::AddCustomContext("blas_tuning", kernels::to_string(tuning));
  char peak[64];
  std::snprintf(peak, sizeof peak, "%.1f", sgemm_peak_gflops());
  benchmark::AddCustomContext("sgemm_peak_gflops", peak);
  std::fprintf(stderr, "BLAS: %s | tuning: %s | one-core SGEMM peak %s GFLOP/s\n", blas.c_str(),
               kernels::to_string(tuning), peak);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace strata::perf
