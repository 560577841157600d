// Stopwatch: elapsed wall time from a monotonic clock, for step timings and
// trace events. steady_clock never jumps with NTP adjustments, unlike
// system_clock, so durations are never negative.
#pragma once

#include <chrono>
#include <cstdint>

namespace strata {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;

  Stopwatch() : start_(Clock::now()) {}

  void restart() { start_ = Clock::now(); }
  Clock::time_point started_at() const { return start_; }

  double elapsed_seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }
  double elapsed_microseconds() const {
    return std::chrono::duration<double, std::micro>(Clock::now() - start_).count();
  }

 private:
  Clock::time_point start_;
};

}  // namespace strata
