// perf_precision_cast: the fp32 <-> bf16/fp16 buffer conversions of mixed
// precision and the Inf/NaN scan, in GB/s of their traffic (bytes read +
// bytes written) next to a memcpy moving as many bytes, timed right after
// each (memcpy_GBps, of_memcpy), in cache (512 KiB of fp32) and in DRAM
// (64 MiB of fp32).
//   perf_precision_cast [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cpu_clock.hpp"
#include "kernels/precision_cast.hpp"

namespace {

namespace cast = strata::kernels::precision_cast;
using strata::DType;
using strata::perf::CpuTimer;
using strata::perf::thread_seconds;

constexpr std::int64_t kCache = std::int64_t{1} << 17;  // elements: 768 KiB moved, in L2
constexpr std::int64_t kDram = std::int64_t{1} << 24;

// Thread CPU seconds of `copies` memcpys of traffic / 2 bytes (traffic / 2
// read, as many written), after one untimed copy (first touch).
double memcpy_seconds(std::int64_t traffic, std::int64_t copies) {
  const auto bytes = static_cast<std::size_t>(traffic / 2);
  std::vector<char> from(bytes, 1), to(bytes, 0);
  std::memcpy(to.data(), from.data(), bytes);
  const double start = thread_seconds();
  for (std::int64_t c = 0; c < copies; ++c) {
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::DoNotOptimize(to.data());
  }
  return thread_seconds() - start;
}

// Bytes/s of the op (its loop took `seconds` of thread CPU time), and a
// memcpy of the same traffic timed right after it for as many iterations:
// on a shared machine the other core's memory traffic changes from minute to
// minute, so the reference must see the same conditions as the op.
void report(benchmark::State& state, std::int64_t traffic, double seconds) {
  const double copy_seconds = memcpy_seconds(traffic, state.iterations());
  const double moved = static_cast<double>(traffic) * static_cast<double>(state.iterations());
  state.SetBytesProcessed(traffic * state.iterations());
  state.counters["GBps"] = moved / seconds * 1e-9;
  state.counters["memcpy_GBps"] = moved / copy_seconds * 1e-9;
  state.counters["of_memcpy"] = copy_seconds / seconds;
}

std::vector<float> gradients(std::int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1e-2f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(gen);
  return v;
}

// A buffer of n elements of `type` holding narrowed gradients (raw bytes).
std::vector<std::uint8_t> narrowed(DType type, std::int64_t n, unsigned seed) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n) * strata::size_in_bytes(type));
  cast::narrow(gradients(n, seed).data(), type, bytes.data(), n);
  return bytes;
}

DType type_arg(const benchmark::State& state) { return static_cast<DType>(state.range(0)); }

void BM_Narrow(benchmark::State& state) {
  const DType type = type_arg(state);
  const std::int64_t n = state.range(1);
  const std::vector<float> src = gradients(n, 1);
  std::vector<std::uint8_t> dst(static_cast<std::size_t>(n) * 2, 0);
  const CpuTimer timer;
  for (auto _ : state) {
    cast::narrow(src.data(), type, dst.data(), n);
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, 6 * n, timer.seconds());
}

void BM_Widen(benchmark::State& state) {
  const DType type = type_arg(state);
  const std::int64_t n = state.range(1);
  const std::vector<std::uint8_t> src = narrowed(type, n, 2);
  std::vector<float> dst(static_cast<std::size_t>(n), 0.0f);
  const CpuTimer timer;
  for (auto _ : state) {
    cast::widen(src.data(), type, dst.data(), n);
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, 6 * n, timer.seconds());
}

// Reads src (4 bytes) and dst, writes dst: 8 bytes an element for 2-byte
// buffers, 12 for fp32. The gradients stay small, so repeated adds stay in
// the normal range.
void BM_AccumulateNarrow(benchmark::State& state) {
  const DType type = type_arg(state);
  const std::int64_t n = state.range(1);
  const std::vector<float> src = gradients(n, 3);
  std::vector<std::uint8_t> dst = narrowed(type, n, 4);
  const CpuTimer timer;
  for (auto _ : state) {
    cast::accumulate_narrow(src.data(), type, dst.data(), n);
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, (4 + 2 * static_cast<std::int64_t>(strata::size_in_bytes(type))) * n,
         timer.seconds());
}

// Reads the whole buffer (all finite: the common case, no early way out).
void BM_HasInfOrNan(benchmark::State& state) {
  const DType type = type_arg(state);
  const std::int64_t n = state.range(1);
  const std::vector<std::uint8_t> data = narrowed(type, n, 5);
  const CpuTimer timer;
  for (auto _ : state) benchmark::DoNotOptimize(cast::has_inf_or_nan(data.data(), type, n));
  report(state, static_cast<std::int64_t>(strata::size_in_bytes(type)) * n, timer.seconds());
}

// dtype: 0 fp32, 1 bf16, 2 fp16 (DType's order).
constexpr std::int64_t kFp32 = static_cast<std::int64_t>(DType::fp32);
constexpr std::int64_t kBf16 = static_cast<std::int64_t>(DType::bf16);
constexpr std::int64_t kFp16 = static_cast<std::int64_t>(DType::fp16);

BENCHMARK(BM_Narrow)->ArgNames({"dtype", "n"})->ArgsProduct({{kBf16, kFp16}, {kCache, kDram}});
BENCHMARK(BM_Widen)->ArgNames({"dtype", "n"})->ArgsProduct({{kBf16, kFp16}, {kCache, kDram}});
BENCHMARK(BM_AccumulateNarrow)
    ->ArgNames({"dtype", "n"})
    ->ArgsProduct({{kFp32, kBf16, kFp16}, {kCache, kDram}});
BENCHMARK(BM_HasInfOrNan)
    ->ArgNames({"dtype", "n"})
    ->ArgsProduct({{kFp32, kBf16, kFp16}, {kCache, kDram}});

}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
