// What a started operation carries until it completes: the MPI request, the
// arrays MPI may still read, and the description the watchdog prints.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"

namespace strata::comm {

struct Request::State {
  MPI_Request request = MPI_REQUEST_NULL;
  // Set instead of request when a device transport carries the operation.
  std::unique_ptr<DeviceCompletion> device;
  // Non-blocking collectives may read their count and displacement arrays
  // until they complete (all_to_all_v), so the request owns them.
  std::vector<int> counts_and_displacements;

  // The watchdog's message: "all_reduce of 1024 fp32 elements on group 'dp'".
  std::string operation;
  std::int64_t count = 0;
  std::string dtype;
  std::string detail;  // "root 1", "to group rank 3, tag 7", or empty
  std::string group;
  int group_rank = 0;
  int group_size = 1;
  std::chrono::milliseconds timeout{0};

  // One MPI_Test: true once the operation has completed.
  bool test_once();
  // Polls until the operation completes; at the timeout prints one line
  // naming it and aborts the job (MPI_Abort on MPI_COMM_WORLD).
  void wait_or_abort();
  // The same for destructors and move assignment, which cannot throw: a
  // failed MPI call there aborts the job like any this-rank error.
  void finish_noexcept() noexcept;
};

}  // namespace strata::comm
