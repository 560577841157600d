// GoogleTest main for multi-rank tests. Every rank runs every test; rank 0
// prints the usual report, the other ranks print only their failures, and
// the exit code is the worst over all ranks, so a failure on any rank fails
// the ctest entry. `--hang-rank N` makes rank N wait for a debugger:
//   gdb -p <pid> ; then `set var strata_hang = 0` and `continue`.
#include <mpi.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

volatile int strata_hang = 0;

namespace {

int take_hang_rank(int& argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--hang-rank") == 0) {
      const int rank = std::atoi(argv[i + 1]);
      for (int j = i; j + 2 < argc + 1; ++j) argv[j] = argv[j + 2];
      argc -= 2;
      return rank;
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int hang_rank = take_hang_rank(argc, argv);
  if (rank == hang_rank) {
    strata_hang = 1;
    std::fprintf(stderr, "rank %d (pid %d) waiting for a debugger\n", rank, getpid());
    while (strata_hang) sleep(1);
  }
  // The printer is chosen inside InitGoogleTest, so the flag must be set
  // first: other ranks keep failure lines but drop per-test chatter.
  if (rank != 0) ::testing::GTEST_FLAG(brief) = true;
  ::testing::InitGoogleTest(&argc, argv);
  int result = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    result = RUN_ALL_TESTS();
  }
  int worst = 0;
  MPI_Allreduce(&result, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
