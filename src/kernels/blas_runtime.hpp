// Which host BLAS this process runs on, and the one-time re-exec that makes
// a runtime-dispatching OpenBLAS use its AVX-512 kernels (docs/blas.md).
#pragma once

#include <string>

namespace strata::kernels {

// What the loaded BLAS says about itself; looked up with dlsym, so any BLAS
// (or none of these functions) is fine.
struct BlasInfo {
  std::string library;  // "OpenBLAS", "BLIS" or "unknown"
  std::string core;     // OpenBLAS: kernel set in use (openblas_get_corename)
  std::string config;   // OpenBLAS: openblas_get_config(); BLIS: its version
  int threads = 0;      // OpenBLAS: openblas_get_num_threads(); 0 if unknown
};

BlasInfo blas_info();
// One line for logs and benchmark headers, e.g.
// "OpenBLAS core=SkylakeX threads=1 (OpenBLAS 0.3.21 DYNAMIC_ARCH ...)".
std::string describe(const BlasInfo& info);

// What ensure_blas_tuning decided when it returned (it does not return when
// it re-executes the process).
enum class BlasTuning {
  tuned,         // this process is the re-exec: OPENBLAS_CORETYPE set by Strata
  user_choice,   // OPENBLAS_CORETYPE was already set (and not forced over)
  opted_out,     // STRATA_BLAS_AUTOTUNE=0
  not_openblas,  // another BLAS; nothing to tune
  not_needed,    // no AVX-512 on this CPU, or OpenBLAS already picked an AVX-512 core
  fixed_arch,    // OpenBLAS built without DYNAMIC_ARCH ignores OPENBLAS_CORETYPE
  exec_failed,   // the re-exec failed; running untuned (a warning went to stderr)
};
const char* to_string(BlasTuning tuning);

// Call first thing in main(), before MPI_Init and Kokkos. OpenBLAS picks its
// kernels once, when the library loads, from OPENBLAS_CORETYPE or its CPU
// table; 0.3.21 maps Zen 4/5 to "Haswell" (AVX2), about half the SGEMM rate
// of its "SkylakeX" (AVX-512) kernels on those cores. So when the CPU has
// AVX-512 F/BW/DQ/VL, the BLAS is a DYNAMIC_ARCH OpenBLAS that chose a
// non-AVX-512 core, OPENBLAS_CORETYPE is unset (or names a non-AVX-512 core
// and STRATA_BLAS_AUTOTUNE=force) and STRATA_BLAS_AUTOTUNE is not 0, this sets
// OPENBLAS_CORETYPE=SkylakeX (and STRATA_BLAS_AUTOTUNED=1, so logs can tell) and execv()s
// /proc/self/exe with the same argv. The variable being set is what stops a second re-exec. argv
// must be main's (argv[argc] == nullptr).
BlasTuning ensure_blas_tuning(int argc, char** argv);

}  // namespace strata::kernels
