// comm_watchdog_probe: a two-rank program for check_watchdog.sh.
//   abort:  rank 1 skips an all_reduce on group "dp" (timeout 2 s) that rank
//           0 waits on in the blocking call; rank 0's watchdog thread must
//           abort the job, naming it.
//   abort-started: the same with rank 0 waiting on start_all_reduce's
//           Request, which polls against the deadline itself.
//   finish: rank 1 joins late, 0.5 s into a 2 s limit and then 3 s into an
//           unlimited one (timeout 0); both must simply complete.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "comm/communicator.hpp"
#include "core/app.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace {

using std::chrono::milliseconds;
using strata::comm::Communicator;

constexpr int kCount = 1024;

int probe(int argc, char** argv) {
  const bool started = argc > 1 && std::strcmp(argv[1], "abort-started") == 0;
  const bool skip = started || (argc > 1 && std::strcmp(argv[1], "abort") == 0);
  MPI_Comm dp = MPI_COMM_NULL;
  STRATA_CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dp));
  strata::comm::CommLedger ledger;
  std::vector<float> buffer(kCount, 1.0f);
  const bool late = !skip && strata::world_rank() == 1;

  Communicator watched(dp, "dp", &ledger, milliseconds(2000));
  if (skip) {
    // Rank 1 "forgets" the collective and heads for the exit.
    if (strata::world_rank() == 0) {
      if (started)
        watched.start_all_reduce(buffer.data(), kCount, strata::DType::fp32).wait();
      else
        watched.all_reduce(buffer.data(), kCount, strata::DType::fp32);
      std::printf("all_reduce returned although rank 1 never joined\n");
    }
    return 0;
  }
  if (late) std::this_thread::sleep_for(milliseconds(500));
  watched.all_reduce(buffer.data(), kCount, strata::DType::fp32);

  Communicator unlimited(dp, "dp", &ledger, milliseconds(0));
  if (late) std::this_thread::sleep_for(milliseconds(3000));
  unlimited.all_reduce(buffer.data(), kCount, strata::DType::fp32);

  STRATA_CHECK_MPI(MPI_Comm_free(&dp));
  if (buffer[0] != 4.0f) {
    std::printf("wrong result %g (expected 4)\n", static_cast<double>(buffer[0]));
    return 1;
  }
  if (strata::world_rank() == 0) std::printf("finished both all_reduces\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return strata::run_app("comm_watchdog_probe", argc, argv, probe);
}
