// The benchmarks' clock: Google Benchmark divides rates by the thread's CPU
// time, so every hand-timed reference (SGEMM peak, memcpy, STREAM) is
// measured the same way.
#pragma once

#include <ctime>

namespace strata::perf {

inline double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Thread CPU time since construction.
class CpuTimer {
 public:
  CpuTimer() : start_(thread_seconds()) {}
  double seconds() const { return thread_seconds() - start_; }

 private:
  double start_;
};

}  // namespace strata::perf
