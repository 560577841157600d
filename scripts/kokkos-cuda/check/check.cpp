// Proves a CUDA Kokkos + Kokkos Kernels install usable: a parallel_for and a
// KokkosBlas::gemm (cuBLAS) on device views, plus the code the CUDA 13 patches
// touched (half_t conversions, Kokkos graphs). Exits non-zero on a wrong result.
#include <Kokkos_Core.hpp>
#include <Kokkos_Graph.hpp>
#include <KokkosBlas3_gemm.hpp>

#include <cmath>
#include <cstdio>

namespace {

using Device = Kokkos::Cuda;
using Matrix = Kokkos::View<float**, Kokkos::LayoutLeft, Kokkos::CudaSpace>;

// C = A * B with A(i,k) = i + k and B(k,j) = 1, so C(i,j) = K*i + K*(K-1)/2.
int check_gemm() {
  const int m = 64, n = 48, k = 32;
  Matrix a("a", m, k), b("b", k, n), c("c", m, n);
  Kokkos::parallel_for(
      "fill", Kokkos::MDRangePolicy<Device, Kokkos::Rank<2>>({0, 0}, {m, k}),
      KOKKOS_LAMBDA(int i, int l) { a(i, l) = float(i + l); });
  Kokkos::deep_copy(b, 1.0f);
  KokkosBlas::gemm("N", "N", 1.0f, a, b, 0.0f, c);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), c);
  int wrong = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      if (std::fabs(host(i, j) - float(k * i + k * (k - 1) / 2)) > 1e-3f) ++wrong;
  std::printf("gemm %dx%dx%d on %s: %d wrong entries\n", m, n, k, Device::name(), wrong);
  return wrong;
}

// Exercises the patched half_t -> float/double/int conversions in device code.
int check_half() {
  using half = Kokkos::Experimental::half_t;
  Kokkos::View<double[3], Kokkos::CudaSpace> out("out");
  Kokkos::parallel_for(
      "half", Kokkos::RangePolicy<Device>(0, 1), KOKKOS_LAMBDA(int) {
        const half h(1.5f);
        out(0) = static_cast<double>(h);
        out(1) = static_cast<float>(h);
        out(2) = static_cast<int>(h);
      });
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  const bool ok = host(0) == 1.5 && host(1) == 1.5 && host(2) == 1.0;
  std::printf("half_t conversions: %s\n", ok ? "ok" : "wrong");
  return ok ? 0 : 1;
}

// A functor, since nvcc allows no device lambda inside create_graph's generic one.
struct AddTo {
  Kokkos::View<int, Kokkos::CudaSpace> count;
  int amount;
  KOKKOS_FUNCTION void operator()(int) const { count() += amount; }
};

// Exercises the patched cudaGraphInstantiate / cudaGraphAddDependencies calls.
int check_graph() {
  Kokkos::View<int, Kokkos::CudaSpace> count("count");
  auto graph = Kokkos::Experimental::create_graph<Device>([&](auto root) {
    root.then_parallel_for(1, AddTo{count, 1}).then_parallel_for(1, AddTo{count, 2});
  });
  graph.submit();
  int host = 0;
  Kokkos::deep_copy(host, count);
  std::printf("graph of two kernels: count %d (want 3)\n", host);
  return host == 3 ? 0 : 1;
}

}  // namespace

int main(int argc, char* argv[]) {
  Kokkos::initialize(argc, argv);
  int failures = 0;
  {
    failures += check_gemm() != 0;
    failures += check_half();
    failures += check_graph();
  }
  Kokkos::finalize();
  std::printf("%s\n", failures == 0 ? "PASSED" : "FAILED");
  return failures == 0 ? 0 : 1;
}
