// One-core SGEMM GFLOP/s of the loaded BLAS at square sizes and at the GPT-2
// shapes, as Strata's matmul issues them (run per BLAS setting by blas_peak.sh).
//   OPENBLAS_CORETYPE=SkylakeX perf_blas_peak --benchmark_repetitions=5
#include "blas_peak.hpp"

namespace {

using strata::kernels::Trans;

// state: M, N, K, transpose A, transpose B.
void BM_Sgemm(benchmark::State& state) {
  const auto m = static_cast<std::size_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const auto k = static_cast<std::size_t>(state.range(2));
  const Trans ta = state.range(3) != 0 ? Trans::yes : Trans::no;
  const Trans tb = state.range(4) != 0 ? Trans::yes : Trans::no;
  auto a = ta == Trans::no ? strata::perf::random_matrix("a", m, k, 1)
                           : strata::perf::random_matrix("a", k, m, 1);
  auto b = tb == Trans::no ? strata::perf::random_matrix("b", k, n, 2)
                           : strata::perf::random_matrix("b", n, k, 2);
  strata::kernels::MatrixF c("c", m, n);
  const strata::perf::CpuTimer timer;
  for (auto _ : state) {
    strata::kernels::gemm(ta, tb, 1.0f, a, b, 0.0f, c);
    benchmark::DoNotOptimize(c.data());
  }
  strata::perf::report_flops(state, strata::kernels::gemm_flops(m, n, k), timer.seconds());
}

void square_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "tA", "tB"});
  for (int n : {1024, 2048, 3072, 4096}) b->Args({n, n, n, 0, 0});
}

// GPT-2 124M at B·T = 1024 rows (B = 4, T = 256). For each nn.Linear
// (C→OC): forward out = inp·Wᵀ (NT), backward dinp = dout·W (NN) and
// dW = doutᵀ·inp (TN).
void model_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "tA", "tB"});
  const int rows = 1024;
  const int shapes[][2] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}, {768, 50304}};
  for (const auto& s : shapes) {
    const int in = s[0], out = s[1];
    b->Args({rows, out, in, 0, 1});  // forward
    b->Args({rows, in, out, 0, 0});  // dinp
    b->Args({out, in, rows, 1, 0});  // dW
  }
}

}  // namespace

BENCHMARK(strata::perf::BM_PeakSgemm2048)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sgemm)->Apply(square_sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sgemm)->Name("BM_SgemmGpt2")->Apply(model_shapes)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) { return strata::perf::benchmark_main(argc, argv); }
