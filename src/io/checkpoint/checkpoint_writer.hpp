// Writing a checkpoint: one step-N.h5, every rank writing its own slice of
// every tensor collectively, published atomically with the `latest` pointer.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "io/checkpoint/checkpoint.hpp"

namespace strata::io {

// Collective over comm; returns <dir>/step-<state.step>.h5. Every rank
// passes the same dir, state and shard names/shapes (checked), and the
// slices of all ranks tile each tensor exactly (checked). The file is built
// as step-N.h5.tmp, flushed, closed and fsynced, renamed by rank 0, the
// directory fsynced, `latest` rewritten atomically, and only then do the
// ranks return (the last step is one agreed collective, so every rank
// returns or every rank throws). A crash at any point leaves the previous
// checkpoint and `latest` as they were. Input errors (unwritable dir, bad
// shards) are all-ranks errors; a failed HDF5 call mid-write is a
// this-rank error (the job aborts; the .tmp file is left behind and is
// overwritten by the next attempt).
std::string write_checkpoint(MPI_Comm comm, const std::string& dir, const CheckpointState& state,
                             const std::vector<ParameterShard>& shards);

}  // namespace strata::io
