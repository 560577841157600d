// The child process of kernels_blas_runtime's re-exec test: calls
// ensure_blas_tuning with its real argv (so a re-exec restarts this very
// program) and reports the outcome and the OpenBLAS core it ends up on.
#include <cstdio>

#include "kernels/blas_runtime.hpp"

int main(int argc, char** argv) {
  const strata::kernels::BlasTuning tuning = strata::kernels::ensure_blas_tuning(argc, argv);
  std::printf("RESULT tuning=%d core=%s\n", static_cast<int>(tuning),
              strata::kernels::blas_info().core.c_str());
  return 0;
}
