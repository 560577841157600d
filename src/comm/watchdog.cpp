// The watchdog's abort line, and the thread that watches blocking calls.
#include "comm/impl/watchdog.hpp"

#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "comm/impl/request_state.hpp"
#include "core/error.hpp"

namespace strata::comm::impl {

void abort_stuck(const Request::State& stuck) {
  const double seconds = static_cast<double>(stuck.timeout.count()) / 1000.0;
  const std::string where = stuck.detail.empty() ? "" : " (" + stuck.detail + ")";
  // One line, flushed before the abort, so the job's log names the culprit.
  std::fprintf(stderr,
               "strata: comm watchdog: %s of %lld %s elements%s on group '%s' did not finish "
               "within %g s on world rank %d (group rank %d of %d); the limit is [comm] "
               "timeout_s = %g. A rank skipped this collective or died; raise [comm] timeout_s "
               "if the step is legitimately slow. Aborting the job.\n",
               stuck.operation.c_str(), static_cast<long long>(stuck.count), stuck.dtype.c_str(),
               where.c_str(), stuck.group.c_str(), seconds, world_rank(), stuck.group_rank,
               stuck.group_size, seconds);
  std::fflush(stderr);
  // From the watchdog thread this is outside the letter of MPI_THREAD_FUNNELED
  // (the main thread is inside MPI). Open MPI and MPICH implement MPI_Abort as
  // a request to the launcher to kill the job, which is all we need; should it
  // ever return, exiting non-zero makes mpirun and srun end the job anyway.
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

namespace {

using Clock = std::chrono::steady_clock;

// One thread per process, started by the first watched blocking call. It
// sleeps until the armed call's deadline; a call disarmed by then costs it
// nothing but that wake-up.
class WatchdogThread {
 public:
  static WatchdogThread& instance() {
    static WatchdogThread watchdog;
    return watchdog;
  }

  void arm(const Request::State& call) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      call_ = &call;
      deadline_ = Clock::now() + call.timeout;
    }
    wake_.notify_one();
  }

  void disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    call_ = nullptr;
  }

  ~WatchdogThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  WatchdogThread() : thread_([this] { watch(); }) {}

  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (call_ == nullptr) {
        wake_.wait(lock);
      } else if (Clock::now() < deadline_) {
        wake_.wait_until(lock, deadline_);
      } else {
        // Still holding the lock: the caller cannot disarm and destroy the
        // description while it is printed.
        abort_stuck(*call_);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  const Request::State* call_ = nullptr;
  Clock::time_point deadline_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts watching once the rest exists
};

}  // namespace

WatchedCall::WatchedCall(const Request::State& call) {
  if (call.timeout.count() <= 0) return;
  WatchdogThread::instance().arm(call);
  armed_ = true;
}

WatchedCall::~WatchedCall() {
  if (armed_) WatchdogThread::instance().disarm();
}

}  // namespace strata::comm::impl
