// GoogleTest main for sequential tests: Kokkos is initialised around the
// whole run because Tensor and the kernels need it; MPI is not.
#include <Kokkos_Core.hpp>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  return RUN_ALL_TESTS();
}
