// GoogleTest main for sequential tests: Kokkos is initialised around the
// whole run because Tensor and the kernels need it; MPI is not.
#include <gtest/gtest.h>
#include <Kokkos_Core.hpp>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  return RUN_ALL_TESTS();
}
