// A TensorSlice's runs as an HDF5 selection of the tensor's file space, with
// as few hyperslab calls as the runs' pattern allows.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <string>

#include "io/checkpoint/checkpoint.hpp"

namespace strata::io::checkpoint_impl {

// Selects the slice's runs in file_space (none if it has no elements). Each
// run is a union of at most 2 * rank - 1 boxes. Consecutive runs of equal
// count at equal stride (a row-parallel block: one run per row) whose boxes
// translate along one dimension become one strided hyperslab per box, so a
// 768-row block costs a call, not 768. HDF5 visits the selection in row-major
// order, which for runs in increasing order (check_shards) is the order
// their elements sit back to back in the rank's 1-D buffer. Returns the
// number of hyperslab calls made (what the merging saves).
std::size_t select_runs(hid_t file_space, const TensorSlice& slice, const std::string& path);

}  // namespace strata::io::checkpoint_impl
