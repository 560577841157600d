// The fp32 GEMM rate this process reaches, measured once at start-up, as
// the peak that MFU is reported against (no deck key names a peak).
#pragma once

namespace strata::engine {

// Best TFLOP/s of a few n×n×n SGEMMs through kernels::gemm (about a second
// at n = 1024 on one core). Returns 0 if the measurement failed to run.
double measure_sgemm_peak_tflops(int n = 1024, int repeats = 4);

}  // namespace strata::engine
