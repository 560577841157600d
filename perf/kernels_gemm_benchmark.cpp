// GEMM dispatch routes and the linear layer at the three target models'
// shapes, in GFLOP/s and as a fraction of this binary's SGEMM peak.
//   perf_kernels_gemm [--benchmark_filter=Matmul]
#include <KokkosBlas3_gemm.hpp>
#include "blas_peak.hpp"

#include "kernels/matmul.hpp"

namespace {

using strata::kernels::ConstMatrixF;
using strata::kernels::MatrixF;
using strata::kernels::Trans;
using strata::kernels::VectorF;
using strata::perf::CpuTimer;
using strata::perf::random_matrix;
using strata::perf::report_flops;

// KokkosBlas::gemm on LayoutStride views: no TPL specialisation matches, so
// KokkosKernels runs its own portable kernel. What a view of the "wrong"
// layout would silently cost on the KokkosKernels route.
void kokkoskernels_native(const ConstMatrixF& a, const ConstMatrixF& b, const MatrixF& c) {
  using Strided = Kokkos::View<float**, Kokkos::LayoutStride, strata::kernels::MemSpace>;
  using ConstStrided = Kokkos::View<const float**, Kokkos::LayoutStride, strata::kernels::MemSpace>;
  const ConstStrided as = a, bs = b;
  const Strided cs = c;
  KokkosBlas::gemm("N", "T", 1.0f, as, bs, 0.0f, cs);
}

// state: route (0 dispatch, 1 cblas, 2 KokkosBlas::gemm, 3 KokkosBlas::gemm's
// native kernel), M, N, K, packed
// width of A and B (0: contiguous; else a head's columns of a wider matrix,
// as attention issues them).
void BM_GemmRoute(benchmark::State& state) {
  const auto route = state.range(0);
  const auto m = static_cast<int>(state.range(1)), n = static_cast<int>(state.range(2));
  const auto k = static_cast<int>(state.range(3));
  const auto width = static_cast<int>(state.range(4));
  auto a_full = random_matrix("a", m, width > 0 ? width : k, 1);
  auto b_full = random_matrix("b", n, width > 0 ? width : k, 2);
  const ConstMatrixF a = Kokkos::subview(a_full, Kokkos::ALL, std::make_pair(0, k));
  const ConstMatrixF b = Kokkos::subview(b_full, Kokkos::ALL, std::make_pair(0, k));
  MatrixF c("c", m, n);
  const CpuTimer timer;
  for (auto _ : state) {
    if (route == 0) strata::kernels::gemm(Trans::no, Trans::yes, 1.0f, a, b, 0.0f, c);
    if (route == 1) strata::kernels::detail::gemm_cblas(Trans::no, Trans::yes, 1.0f, a, b, 0.0f, c);
    if (route == 2)
      strata::kernels::detail::gemm_kokkoskernels(Trans::no, Trans::yes, 1.0f, a, b, 0.0f, c);
    if (route == 3) kokkoskernels_native(a, b, c);
    benchmark::DoNotOptimize(c.data());
  }
  report_flops(state, strata::kernels::gemm_flops(m, n, k), timer.seconds());
}
BENCHMARK(BM_GemmRoute)
    ->ArgNames({"route", "M", "N", "K", "ld"})
    ->ArgsProduct({{1, 2}, {8}, {8}, {8}, {0}})
    ->ArgsProduct({{1, 2, 3}, {64}, {64}, {32, 64}, {0, 2304}})
    ->ArgsProduct({{1, 2}, {128, 256, 1024}, {128, 256, 1024}, {64}, {0}})
    ->ArgsProduct({{1, 2, 3}, {1024}, {2304}, {768}, {0}})
    ->Unit(benchmark::kMicrosecond);

// The nn.Linear shapes of the targets: rows N = B·T, in C, out OC.
// tiny 4×4×128 (B 12, T 64), small 6×6×384 (B 8, T 256), gpt2 12×12×768
// (B 4, T 256); in each, qkv, attention projection, MLP up, MLP down, LM head.
void linear_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "C", "OC", "bias"});
  struct Model {
    int rows, c, vocab;
  };
  for (const Model& m : {Model{768, 128, 65}, Model{2048, 384, 65}, Model{1024, 768, 50304}}) {
    for (const auto& io : {std::pair{m.c, 3 * m.c}, std::pair{m.c, m.c}, std::pair{m.c, 4 * m.c},
                           std::pair{4 * m.c, m.c}}) {
      b->Args({m.rows, io.first, io.second, 1});
    }
    b->Args({m.rows, m.c, m.vocab, 0});
  }
}

// state: N, C, OC, bias; fusion: how the bias is added.
void matmul_forward(benchmark::State& state, strata::kernels::detail::BiasFusion fusion) {
  const auto n = state.range(0), c = state.range(1), oc = state.range(2);
  const auto inp = random_matrix("inp", n, c, 1), w = random_matrix("w", oc, c, 2);
  const VectorF bias = state.range(3) != 0 ? VectorF("bias", oc) : VectorF();
  MatrixF out("out", n, oc);
  const CpuTimer timer;
  for (auto _ : state) {
    strata::kernels::detail::matmul_forward(inp, w, bias, out, fusion);
    benchmark::DoNotOptimize(out.data());
  }
  report_flops(state, strata::kernels::gemm_flops(n, oc, c), timer.seconds());
}
BENCHMARK_CAPTURE(matmul_forward, preload, strata::kernels::detail::BiasFusion::preload)
    ->Name("BM_MatmulForward/preload")
    ->Apply(linear_shapes)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(matmul_forward, epilogue, strata::kernels::detail::BiasFusion::epilogue)
    ->Name("BM_MatmulForward/epilogue")
    ->Apply(linear_shapes)
    ->Unit(benchmark::kMillisecond);

// dinp (overwrite), dW and dbias (accumulate): 4·N·C·OC flops.
void BM_MatmulBackward(benchmark::State& state) {
  const auto n = state.range(0), c = state.range(1), oc = state.range(2);
  const auto inp = random_matrix("inp", n, c, 1), w = random_matrix("w", oc, c, 2);
  const auto dout = random_matrix("dout", n, oc, 3);
  MatrixF dinp("dinp", n, c), dw("dw", oc, c);
  const VectorF dbias = state.range(3) != 0 ? VectorF("dbias", oc) : VectorF();
  const CpuTimer timer;
  for (auto _ : state) {
    strata::kernels::matmul_backward(dout, inp, w, dinp, dw, dbias);
    benchmark::DoNotOptimize(dw.data());
  }
  report_flops(state, 2.0 * strata::kernels::gemm_flops(n, oc, c), timer.seconds());
}
BENCHMARK(BM_MatmulBackward)->Apply(linear_shapes)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK(strata::perf::BM_PeakSgemm2048)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) { return strata::perf::benchmark_main(argc, argv); }
