// Reading a checkpoint: validate the file against the tensors the model
// expects, then every rank reads the slices it owns, whatever layout wrote it.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "io/checkpoint/checkpoint.hpp"

namespace strata::io {

// Collective over comm. Every rank checks that it can see the file; rank 0
// checks format, version, and that the file holds exactly the expected
// tensors (the targets' names, each as model/<name> and its two moments) at
// the expected shapes; the ranks agree on the outcome, so a bad file is one
// all-ranks Error naming the file, the tensor and the fix. Then each rank
// reads its targets' slices (any slices: a checkpoint written by one layout
// loads into any other) and every rank returns the stored state. Every rank
// passes the same names and shapes (checked).
CheckpointState read_checkpoint(MPI_Comm comm, const std::string& path,
                                const std::vector<ParameterTarget>& targets);

// The state (step, RNG, data position, config) alone, read serially by the
// calling process: for tools, and to decide things before allocating.
CheckpointState read_checkpoint_state(const std::string& path);

}  // namespace strata::io
