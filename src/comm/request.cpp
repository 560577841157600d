// Request: completion of a started operation, and the watchdog that turns a
// collective some rank never joined into an abort that names it.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <thread>
#include <utility>

#include "comm/communicator.hpp"
#include "comm/impl/request_state.hpp"
#include "comm/impl/watchdog.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace strata::comm {

namespace {

// MPI_Test is what progresses a non-blocking collective on MPI libraries
// without a progress thread, so waiting means testing. A short spin keeps
// small operations fast; after it the waiter sleeps between tests so that
// oversubscribed ranks (more ranks than cores) leave their peers the CPU.
constexpr int kSpinTests = 256;
constexpr std::chrono::microseconds kFirstSleep{50};
constexpr std::chrono::microseconds kLongestSleep{200};

}  // namespace

bool Request::State::test_once() {
  if (device) return device->done();
  int done = 0;
  STRATA_CHECK_MPI(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
  return done != 0;
}

void Request::State::wait_or_abort() {
  for (int spin = 0; spin < kSpinTests; ++spin) {
    if (test_once()) return;
  }
  using Clock = std::chrono::steady_clock;
  const bool watched = timeout.count() > 0;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::chrono::microseconds sleep = kFirstSleep;
  while (!test_once()) {
    if (watched && Clock::now() >= deadline) impl::abort_stuck(*this);
    std::this_thread::sleep_for(sleep);
    sleep = std::min(sleep * 2, kLongestSleep);
  }
}

void Request::State::finish_noexcept() noexcept {
  try {
    wait_or_abort();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "strata: error while finishing a %s on group '%s': %s\n",
                 operation.c_str(), group.c_str(), error.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

Request::Request() = default;

Request::Request(std::unique_ptr<State> state) : state_(std::move(state)) {}

Request::Request(Request&& other) noexcept = default;

// Assigning over an unfinished request finishes it first, as destroying it
// would: MPI must not be left writing into a buffer nobody waits for.
Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (state_) state_->finish_noexcept();
    state_ = std::move(other.state_);
  }
  return *this;
}

Request::~Request() {
  if (state_) state_->finish_noexcept();
}

void Request::wait() {
  if (!state_) return;
  state_->wait_or_abort();
  state_.reset();
}

bool Request::test() {
  if (!state_) return true;
  if (!state_->test_once()) return false;
  state_.reset();
  return true;
}

bool Request::active() const noexcept { return state_ != nullptr; }

}  // namespace strata::comm
