// perf_kernels_pointwise: the memory-bound kernels (embedding, layernorm,
// gelu, residual, cross-entropy, AdamW, grad norm) at GPT-2-small shapes, in
// bytes/s of their minimum traffic and as a fraction of a STREAM triad
// measured by this same binary on this core.
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "cpu_clock.hpp"
#include "kernels/adamw.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/grad_norm.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/residual.hpp"

namespace {

using namespace strata::kernels;
using strata::perf::thread_seconds;

constexpr std::int64_t kB = 4, kT = 256, kN = kB * kT, kC = 768;  // GPT-2 small, 4 samples
constexpr double kF = sizeof(float);

VectorF random_vector(std::int64_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  VectorF v(Kokkos::view_alloc(Kokkos::WithoutInitializing, "v"), n);
  auto h = Kokkos::create_mirror_view(v);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (std::int64_t i = 0; i < n; ++i) h(i) = dist(gen);
  Kokkos::deep_copy(v, h);
  return v;
}

MatrixF random_matrix(std::int64_t rows, std::int64_t cols, unsigned seed, float lo = -1.0f,
                      float hi = 1.0f) {
  VectorF flat = random_vector(rows * cols, seed, lo, hi);
  MatrixF m(Kokkos::view_alloc(Kokkos::WithoutInitializing, "m"), rows, cols);
  Kokkos::deep_copy(m, MatrixF(flat.data(), rows, cols));
  return m;
}

Vector<std::int32_t> random_tokens(std::int64_t n, int vocab, unsigned seed) {
  Vector<std::int32_t> v("tokens", n);
  auto h = Kokkos::create_mirror_view(v);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, vocab - 1);
  for (std::int64_t i = 0; i < n; ++i) h(i) = dist(gen);
  Kokkos::deep_copy(v, h);
  return v;
}

// STREAM triad a = b + s·c in bytes/s (3 arrays of 4-byte floats moved per
// element; write-allocate traffic not counted, as STREAM does), best of 10.
double triad_bytes_per_second(std::int64_t n) {
  VectorF a = random_vector(n, 1), b = random_vector(n, 2), c = random_vector(n, 3);
  float* pa = a.data();
  const float* pb = b.data();
  const float* pc = c.data();
  double best = 0.0;
  for (int rep = 0; rep < 10; ++rep) {
    const double start = thread_seconds();
    Kokkos::parallel_for(
        "triad", Kokkos::RangePolicy<ExecSpace>(0, (n + 4095) / 4096),
        KOKKOS_LAMBDA(std::int64_t chunk) {
          const std::int64_t end = std::min(n, (chunk + 1) * 4096);
          for (std::int64_t i = chunk * 4096; i < end; ++i) pa[i] = pb[i] + 3.0f * pc[i];
        });
    Kokkos::fence();
    best = std::max(best, 3.0 * kF * static_cast<double>(n) / (thread_seconds() - start));
  }
  return best;
}

// The reference peak: a triad over 3 × 128 MiB, far beyond any cache.
double& dram_triad() {
  static double bw = triad_bytes_per_second(std::int64_t{32} << 20);
  return bw;
}

void report(benchmark::State& state, double bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes_per_iteration) * state.iterations());
  state.counters["of_dram_triad"] = benchmark::Counter(
      bytes_per_iteration / dram_triad(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_StreamTriad(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(triad_bytes_per_second(n));
  state.counters["triad_GBps"] = triad_bytes_per_second(n) * 1e-9;
  state.counters["dram_triad_GBps"] = dram_triad() * 1e-9;
}
// 3 × 3 MiB (one activation's size: caches) and 3 × 128 MiB (DRAM).
BENCHMARK(BM_StreamTriad)->Arg(std::int64_t{3} << 18)->Arg(std::int64_t{32} << 20)->Iterations(1);

void BM_EmbeddingForward(benchmark::State& state) {
  const int V = 50304;
  auto tokens = random_tokens(kN, V, 1);
  MatrixF wte = random_matrix(V, kC, 2), wpe = random_matrix(1024, kC, 3), out("out", kN, kC);
  for (auto _ : state) embedding_forward(tokens, wte, wpe, kT, 0, out);
  report(state, kF * (3.0 * kN * kC) + 4.0 * kN);  // rows read (≈ all distinct), out written
}
BENCHMARK(BM_EmbeddingForward);

void BM_EmbeddingBackward(benchmark::State& state) {
  const int V = 50304;
  auto tokens = random_tokens(kN, V, 1);
  MatrixF dout = random_matrix(kN, kC, 2), dwte("dwte", V, kC), dwpe("dwpe", 1024, kC);
  for (auto _ : state) embedding_backward(tokens, dout, kT, 0, dwte, dwpe);
  // dout read; ≈ kN distinct dwte rows and kT dwpe rows read and written.
  report(state, kF * (kN * kC + 2.0 * kN * kC + 2.0 * kT * kC) + 4.0 * kN);
}
BENCHMARK(BM_EmbeddingBackward);

void BM_LayerNormForward(benchmark::State& state) {
  MatrixF inp = random_matrix(kN, kC, 1), out("out", kN, kC);
  VectorF w = random_vector(kC, 2), b = random_vector(kC, 3), mean("mean", kN), rstd("rstd", kN);
  for (auto _ : state) layernorm_forward(inp, w, b, out, mean, rstd);
  report(state, kF * (2.0 * kN * kC + 2.0 * kC + 2.0 * kN));
}
BENCHMARK(BM_LayerNormForward);

void BM_LayerNormBackward(benchmark::State& state) {
  MatrixF inp = random_matrix(kN, kC, 1), dout = random_matrix(kN, kC, 2), dinp("dinp", kN, kC);
  VectorF w = random_vector(kC, 3), b = random_vector(kC, 4), mean("mean", kN), rstd("rstd", kN);
  VectorF dw("dw", kC), db("db", kC);
  MatrixF out("out", kN, kC);
  layernorm_forward(inp, w, b, out, mean, rstd);
  for (auto _ : state) layernorm_backward(dout, inp, w, mean, rstd, dinp, dw, db);
  // dout and inp read, dinp read and written (accumulated), params small.
  report(state, kF * (4.0 * kN * kC + 5.0 * kC + 2.0 * kN));
}
BENCHMARK(BM_LayerNormBackward);

void BM_GeluForward(benchmark::State& state) {
  MatrixF inp = random_matrix(kN, 4 * kC, 1, -4.0f, 4.0f), out("out", kN, 4 * kC);
  for (auto _ : state) gelu_forward(inp, out);
  report(state, kF * 2.0 * kN * 4 * kC);
}
BENCHMARK(BM_GeluForward);

void BM_GeluBackward(benchmark::State& state) {
  MatrixF inp = random_matrix(kN, 4 * kC, 1, -4.0f, 4.0f), dout = random_matrix(kN, 4 * kC, 2);
  MatrixF dinp("dinp", kN, 4 * kC);
  for (auto _ : state) gelu_backward(dout, inp, dinp);
  report(state, kF * 3.0 * kN * 4 * kC);
}
BENCHMARK(BM_GeluBackward);

void BM_ResidualForward(benchmark::State& state) {
  MatrixF a = random_matrix(kN, kC, 1), b = random_matrix(kN, kC, 2), out("out", kN, kC);
  for (auto _ : state) residual_forward(a, b, out);
  report(state, kF * 3.0 * kN * kC);
}
BENCHMARK(BM_ResidualForward);

void BM_ResidualBackward(benchmark::State& state) {
  MatrixF dout = random_matrix(kN, kC, 1), da("da", kN, kC), db("db", kN, kC);
  for (auto _ : state) residual_backward(dout, da, db);
  report(state, kF * 5.0 * kN * kC);
}
BENCHMARK(BM_ResidualBackward);

// Cross-entropy at the padded GPT-2 vocabulary (50304, 50257 real) and the
// tiny character model's 65. Logits span ±8, a trained model's range.
enum class CrossEntropyPart { forward, backward, fused };
void BM_CrossEntropy(benchmark::State& state) {
  const auto part = static_cast<CrossEntropyPart>(state.range(0));
  const std::int64_t Vp = state.range(1), V = Vp == 50304 ? 50257 : Vp;
  MatrixF logits = random_matrix(kN, Vp, 1, -8.0f, 8.0f), work("work", kN, Vp);
  auto targets = random_tokens(kN, static_cast<int>(V), 2);
  VectorF losses("losses", kN);
  for (auto _ : state) {
    if (part == CrossEntropyPart::forward) {
      benchmark::DoNotOptimize(cross_entropy_forward(logits, targets, V, losses));
    } else if (part == CrossEntropyPart::backward) {
      cross_entropy_backward(logits, targets, V, 1.0f / kN, work);
    } else {
      state.PauseTiming();  // the fused form overwrites its input
      Kokkos::deep_copy(work, logits);
      state.ResumeTiming();
      benchmark::DoNotOptimize(cross_entropy_forward_backward(work, targets, V, 1.0f / kN, losses));
    }
  }
  report(state, kF * (part == CrossEntropyPart::forward ? 1.0 : 2.0) * kN * Vp);
}
BENCHMARK(BM_CrossEntropy)->ArgNames({"part", "Vp"})->ArgsProduct({{0, 1, 2}, {50304, 65}});

// AdamW over 8M parameters (4 buffers of 32 MiB: DRAM) and 0.8M (the tiny
// model's size: cache). 7 arrays moved per element: p g m v read, p m v written.
void BM_AdamW(benchmark::State& state) {
  const std::int64_t P = state.range(0);
  VectorF p = random_vector(P, 1), g = random_vector(P, 2), m("m", P), v("v", P);
  AdamWHyper hyper{6e-4, 0.9, 0.95, 1e-8, 0.1};
  std::int64_t step = 0;
  for (auto _ : state) adamw_update(p, g, m, v, hyper, ++step);
  report(state, kF * 7.0 * P);
}
BENCHMARK(BM_AdamW)->Arg(std::int64_t{8} << 20)->Arg(800 * 1024);

void BM_GradNorm(benchmark::State& state) {
  const std::int64_t P = state.range(0);
  VectorF g = random_vector(P, 1);
  for (auto _ : state) benchmark::DoNotOptimize(global_grad_norm({g}));
  report(state, kF * P);
}
BENCHMARK(BM_GradNorm)->Arg(std::int64_t{8} << 20)->Arg(800 * 1024);

}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
