// The sequence chunk of a micro-batch that one Ulysses rank trains on: every
// sample of the batch (all SP ranks of a replica read the same ones),
// positions rank·T/SP … (rank+1)·T/SP − 1, inputs and targets alike.
#pragma once

#include "io/batch_reader.hpp"

namespace strata::sequence {

// batch.block_size must divide by size (the validator checked it).
io::TokenBatch sequence_chunk(const io::TokenBatch& batch, int rank, int size);

}  // namespace strata::sequence
