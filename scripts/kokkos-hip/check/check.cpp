// Proves a HIP Kokkos + Kokkos Kernels install usable: a parallel_for, a
// parallel_reduce, a TeamPolicy with level-0 scratch and a KokkosBlas::gemm
// (Kokkos Kernels' native kernels: Debian has no rocBLAS) on HIPSpace views.
// Exits non-zero on a wrong result.
#include <Kokkos_Core.hpp>
#include <KokkosBlas3_gemm.hpp>

#include <cmath>
#include <cstdio>

namespace {

using Device = Kokkos::Experimental::HIP;
using Space = Kokkos::Experimental::HIPSpace;
using Matrix = Kokkos::View<float**, Kokkos::LayoutLeft, Space>;

// x(i) = i / 2, summed by a reduction and by teams that stage rows in scratch.
int check_reduce_and_team() {
  const int cols = 256, rows = 4096, n = rows * cols;
  Kokkos::View<float*, Space> x("x", n);
  Kokkos::parallel_for(
      "fill", Kokkos::RangePolicy<Device>(0, n), KOKKOS_LAMBDA(int i) { x(i) = 0.5f * i; });
  double sum = 0;
  Kokkos::parallel_reduce(
      "sum", Kokkos::RangePolicy<Device>(0, n),
      KOKKOS_LAMBDA(int i, double& s) { s += x(i); }, sum);

  using Team = Kokkos::TeamPolicy<Device>;
  using Scratch = Kokkos::View<float*, Device::scratch_memory_space,
                               Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  Kokkos::View<double*, Space> row_sum("row_sum", rows);
  const auto policy =
      Team(rows, Kokkos::AUTO).set_scratch_size(0, Kokkos::PerTeam(Scratch::shmem_size(cols)));
  Kokkos::parallel_for(
      "rows", policy, KOKKOS_LAMBDA(const Team::member_type& team) {
        Scratch row(team.team_scratch(0), cols);
        const int r = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, cols),
                             [&](int j) { row(j) = x(r * cols + j); });
        team.team_barrier();
        double acc = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, cols), [&](int j, double& a) { a += row(j); }, acc);
        Kokkos::single(Kokkos::PerTeam(team), [&]() { row_sum(r) = acc; });
      });
  double team_total = 0;
  Kokkos::parallel_reduce(
      "total", Kokkos::RangePolicy<Device>(0, rows),
      KOKKOS_LAMBDA(int r, double& a) { a += row_sum(r); }, team_total);
  const double want = 0.5 * (double(n) * (n - 1) / 2);
  std::printf("reduce %.1f, teams with scratch %.1f (want %.1f)\n", sum, team_total, want);
  return sum == want && team_total == want ? 0 : 1;
}

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

}  // namespace

int main(int argc, char* argv[]) {
  Kokkos::initialize(argc, argv);
  int failures = 0;
  {
    failures += check_reduce_and_team();
    failures += check_gemm() != 0;
  }
  Kokkos::finalize();
  std::printf("%s\n", failures == 0 ? "PASSED" : "FAILED");
  return failures == 0 ? 0 : 1;
}
