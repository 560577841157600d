// The watchdog of blocking calls. A blocking MPI collective cannot be polled
// against a deadline the way a started one is (Request::State::wait_or_abort),
// so a thread of its own watches it: the caller arms it with the operation's
// description before entering MPI and disarms it on return. If the deadline
// passes first, the thread prints the watchdog line and aborts the job.
//
// Why blocking calls at all, when every operation could be started and then
// waited on: the blocking collectives run MPI's tuned algorithms, and the
// non-blocking ones a generic schedule (Open MPI's libnbc), which on this
// project's test machine took twice as long for the same all-reduce
// (docs/comm.md, "Blocking and started calls").
#pragma once

#include "comm/communicator.hpp"

namespace strata::comm::impl {

// Prints the one-line watchdog message for `stuck` and aborts the job
// (MPI_Abort on MPI_COMM_WORLD). Safe to call from the watchdog thread.
[[noreturn]] void abort_stuck(const Request::State& stuck);

// Arms the process's watchdog thread for one blocking call and disarms it when
// it goes out of scope. `call` must outlive the guard; a zero timeout in it
// means unwatched, and then no thread is involved at all. Blocking calls are
// not nested (the process runs MPI from one thread), so one slot suffices.
class WatchedCall {
 public:
  explicit WatchedCall(const Request::State& call);
  ~WatchedCall();
  WatchedCall(const WatchedCall&) = delete;
  WatchedCall& operator=(const WatchedCall&) = delete;

 private:
  bool armed_ = false;
};

}  // namespace strata::comm::impl
