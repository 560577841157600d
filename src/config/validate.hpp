// The one validator: resolves what derives from other keys (dp, the batch
// triple, DeepSpeed's stage-dependent defaults) and refuses contradictions,
// each with the key, the numbers and the fix.
#pragma once

#include <mpi.h>

#include "config/config.hpp"

namespace strata::config {

// Checks every key and sets parallel.dp, the missing members of
// global_batch = micro_batch * grad_accum * dp, train.decay_steps (0 -> steps),
// checkpoint.dir (empty -> <output.dir>/checkpoints), zero.overlap_comm when
// unset (on at stage 3), and onecycle's second-half sizes when 0. Throws the
// first input error found. Pure: no MPI, no files.
void validate(Config& config, int world_size);

// validate() on every rank of comm, agreeing on the outcome with one
// collective (strata::agree_on_success): every rank either returns or throws
// the same all-ranks error. Call it before any other collective.
void validate_on_all_ranks(Config& config, MPI_Comm comm);

}  // namespace strata::config
